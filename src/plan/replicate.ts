// The pure diff for one (source dataset, target dataset) pair: what must happen so that the
// target holds the source's snapshots. Snapshots are matched by GUID, ordered by createtxg.
import type { Bookmark, Capabilities, Dataset, Snapshot, SnapRef, TargetSpec } from '../types.js';
import { bookmarkBaseSteps } from './bookmark-base.js';
import { formatBytes, listSnapshots, plural } from './format.js';
import type { Travels } from './travel.js';
import { resumeOrAbort, type AbortStep, type ResumeStep } from './resume.js';

/** A source snapshot as the planner sees it: existing, or to be taken by this plan. */
export interface PlannedSnapshot {
  name: string;
  guid?: string;
  createtxg?: number;
  referenced?: number;
  written?: number;
}

export type PairStep =
  | { kind: 'full'; to: PlannedSnapshot; bytes?: number; reason: string; placeholder?: 'existing' }
  | { kind: 'incremental'; from: SnapRef; to: PlannedSnapshot; count: number; intermediates: boolean; bytes?: number; force: boolean; reason: string }
  | { kind: 'rollback'; to: SnapRef; destroys: string[]; discardsBytes?: number; reason: string }
  | { kind: 'clone'; origin: string; from: SnapRef; to: PlannedSnapshot; bytes?: number; reason: string }
  | { kind: 'aside'; to: string; reason: string }
  | { kind: 'conflict'; message: string; resolution: string }
  | { kind: 'note'; text: string }
  | ResumeStep
  | AbortStep;

export interface PairInput {
  sourceName: string;
  /** The spec's name of the source (`sources.<name>`). */
  sourceSpecName: string;
  /** Existing snapshots, oldest first, plus the one this plan takes (last), if any. */
  sourceSnapshots: readonly PlannedSnapshot[];
  /** The source's bookmarks, where the host has them: a base pruned on the source may live on as one. */
  sourceBookmarks?: readonly Bookmark[];
  targetName: string;
  target: Dataset | undefined;
  /** How many datasets the target has below it (counted only where it has no snapshots). */
  targetBelow: number;
  targetSpec: TargetSpec;
  targetCaps: Capabilities;
  /** Which source snapshots this pair replicates (see travel.ts); all when absent. */
  travels?: Travels;
  /** Names that show a target snapshot came from this source (see travel.ts namedByPair). */
  namedByPair?: Travels;
  /** What `travels` selects, for messages (`zfsync's own (zfsync_*)`). */
  travelText?: string;
  /** zfsync's snapshot prefix (own snapshots on a target with retention may be rolled away). */
  prefix?: string;
  /** A clone whose origin snapshot is (or will be) on the target: its first send starts from it (see clones.ts). */
  cloneOf?: { dataset: string; snapshot: PlannedSnapshot };
  /** Snapshots clones of this dataset need on the target: they travel, and a first send starts at the oldest. */
  mustArrive?: ReadonlySet<string>;
  /** Rebuilt by a rebase group: a replica that shares no snapshot with it holds the old lineage and is moved aside. */
  rebased?: { group: string; suffix: string; asideTaken: boolean };
  /** Whether the source can `zfs send -t` is asked of these (absent: as the target). */
  sourceCaps?: Capabilities;
}

export const ref = (s: PlannedSnapshot): SnapRef => {
  const r: SnapRef = { name: s.name };
  if (s.guid !== undefined) r.guid = s.guid;
  if (s.createtxg !== undefined) r.createtxg = s.createtxg;
  return r;
};

/** Bytes of an incremental stream from after `fromIndex` through `toIndex`, where every part is known. */
function incrementalBytes(snaps: readonly PlannedSnapshot[], fromIndex: number, toIndex: number): number | undefined {
  let sum = 0;
  for (let i = fromIndex + 1; i <= toIndex; i++) {
    const w = snaps[i]!.written;
    if (w === undefined) return undefined;
    sum += w;
  }
  return sum;
}

/**
 * The newest target snapshot whose GUID a source snapshot has (never a match by name), as
 * indexes into both lists (oldest first); undefined when they share none.
 */
export function newestCommonSnapshot(source: readonly { guid?: string }[], target: readonly { guid: string }[]): { sourceIndex: number; targetIndex: number } | undefined {
  const sourceIndexByGuid = new Map<string, number>();
  source.forEach((s, i) => {
    if (s.guid !== undefined) sourceIndexByGuid.set(s.guid, i);
  });
  for (let i = target.length - 1; i >= 0; i--) {
    const found = sourceIndexByGuid.get(target[i]!.guid);
    if (found !== undefined) return { sourceIndex: found, targetIndex: i };
  }
  return undefined;
}

export function diffPair(p: PairInput): PairStep[] {
  const snaps = p.sourceSnapshots;
  const filter = p.travels ?? (() => true);
  const must = p.mustArrive;
  const travels: Travels = must && must.size > 0 ? (n) => filter(n) || must.has(n) : filter;
  const wanted = snaps.filter((s) => travels(s.name));
  const newest = wanted[wanted.length - 1];
  if (!newest) {
    const text = snaps.length === 0
      ? `${p.sourceName}: no snapshots to replicate yet (set snapshot_every on its source, or snapshot it)`
      : `${p.sourceName}: ${snaps.length === 1 ? 'its only snapshot does not travel' : `none of its ${snaps.length} snapshots travels`} to ${p.targetName} (this pair replicates ${p.travelText ?? 'its chosen snapshots'}; replicate[].snapshots adds others)`;
    return [{ kind: 'note', text }];
  }
  const t = p.target;
  if (t?.resumeToken) return resumeOrAbort(p, t, t.resumeToken, diffPair);
  // `recv -F` replaces what it receives into: only ever into an empty placeholder of zfsync's own.
  if (!t || (t.placeholder && t.snapshots.length === 0 && p.targetBelow === 0)) return initialSteps(p, wanted, travels, t ? 'existing' : undefined);

  const common = newestCommonSnapshot(snaps, t.snapshots);
  const fromBookmark = bookmarkBaseSteps({ ...p, target: t, commonTargetIndex: common?.targetIndex, force: p.targetSpec.onDivergence === 'rollback' && !p.targetCaps.written });
  if (fromBookmark) return fromBookmark;
  if (!common && p.rebased && t.snapshots.length > 0 && p.targetBelow === 0) return movedAside(p, wanted, travels, p.rebased);
  if (!common) return [noCommonSnapshot(p, t, newest)];
  const { sourceIndex: sourceBase, targetIndex: targetBase } = common;

  const base = snaps[sourceBase]!;
  const steps: PairStep[] = [];
  const later = t.snapshots.slice(targetBase + 1).map((s) => s.name);
  const written = t.written ?? 0;
  if (later.length > 0 || written > 0) {
    const after = afterCommon(p, base, later, written);
    if (after.kind === 'conflict') return [after];
    steps.push(after);
  }

  // Legacy ZFS cannot say whether the target was modified since its newest snapshot; with
  // rollback allowed, `recv -F` discards such changes instead of failing the receive.
  const force = p.targetSpec.onDivergence === 'rollback' && !p.targetCaps.written;
  const chain = sendChain(snaps, sourceBase, travels);
  chain.forEach((c, i) => {
    const step: PairStep = {
      kind: 'incremental',
      from: ref(snaps[c.from]!),
      to: snaps[c.to]!,
      count: c.count,
      intermediates: c.intermediates,
      force: force && i === 0,
      reason: chainReason(c, snaps, i === 0 ? `since the newest common snapshot @${base.name}` : `continuing from @${snaps[c.from]!.name}`) +
        (force && i === 0 ? '; recv -F discards unsnapshotted changes on the target (on_divergence: rollback)' : ''),
    };
    const bytes = incrementalBytes(snaps, c.from, c.to);
    if (bytes !== undefined) step.bytes = bytes;
    steps.push(step);
  });
  return steps;
}

/** One incremental stream: `-I from..to` carries `count` snapshots, `-i from to` exactly one. */
export interface ChainLink {
  from: number;
  to: number;
  count: number;
  intermediates: boolean;
  /** Snapshots between from and to that do not travel (stepped over by `-i`). */
  skipped: number;
}

/**
 * The streams that bring every travelling snapshot after `base` (indexes into `snaps`), in
 * order: one `-I` over each run of travelling snapshots with nothing unwanted in between, and a
 * `-i` that steps over the snapshots that do not travel to the next one that does.
 */
export function sendChain(snaps: readonly { name: string }[], base: number, travels: Travels): ChainLink[] {
  const links: ChainLink[] = [];
  let from = base;
  let runEnd = base;
  let skipped = 0;
  const flush = () => {
    if (runEnd > from) links.push({ from, to: runEnd, count: runEnd - from, intermediates: true, skipped: 0 });
    from = runEnd;
  };
  for (let i = base + 1; i < snaps.length; i++) {
    if (!travels(snaps[i]!.name)) {
      skipped++;
      continue;
    }
    if (skipped === 0) {
      runEnd = i;
      continue;
    }
    flush();
    links.push({ from, to: i, count: 1, intermediates: false, skipped });
    from = runEnd = i;
    skipped = 0;
  }
  flush();
  return links;
}

function chainReason(c: ChainLink, snaps: readonly PlannedSnapshot[], since: string): string {
  if (c.intermediates) return `${plural(c.count, 'new snapshot')} ${since}`;
  const over = snaps.slice(c.from + 1, c.to).map((s) => s.name);
  return `@${snaps[c.to]!.name} ${since}, stepping over ${listSnapshots(over)} (not replicated by this pair)`;
}

/**
 * Target snapshots after the newest common one, or data written since the target's newest
 * snapshot. Snapshots named like what this pair replicates, with nothing written since, came
 * from the source and are gone there (a transient snapshot deleted after it was sent): the plan
 * says so instead of calling it divergence. Either way the next incremental needs the target back
 * at the common snapshot: a rollback where the spec allows it, a conflict otherwise.
 */
function afterCommon(p: PairInput, baseSnap: PlannedSnapshot, later: string[], written: number): Extract<PairStep, { kind: 'rollback' | 'conflict' }> {
  const base = baseSnap.name;
  const named = p.namedByPair;
  const gone = named !== undefined && written === 0 && later.length > 0 && later.every((n) => named(n));
  const own = gone && p.prefix !== undefined && later.every((n) => n.startsWith(p.prefix!));
  const listed = listSnapshots(later);
  const what = gone
    ? `${listed} after the newest common snapshot @${base} came from ${p.sourceName} and ${later.length === 1 ? 'is' : 'are'} gone there (destroyed after ${later.length === 1 ? 'it was' : 'they were'} sent); nothing was written on the target`
    : [
        later.length ? `${plural(later.length, 'snapshot')} after the newest common snapshot @${base} (${listed})` : '',
        written > 0 ? `${formatBytes(written)} written since @${p.target!.snapshots[p.target!.snapshots.length - 1]!.name}` : '',
      ].filter(Boolean).join(' and ');
  // zfsync's own snapshots on a target with retention are zfsync's to destroy anyway.
  const allowed = p.targetSpec.onDivergence === 'rollback' ? 'on_divergence: rollback' : own && p.targetSpec.retention ? `targets.${p.targetSpec.name}.retention manages zfsync's snapshots there` : undefined;
  if (!allowed) {
    return {
      kind: 'conflict',
      message: gone ? `${p.targetName} cannot take the next incremental: ${what}` : `${p.targetName} has diverged: ${what}`,
      resolution: gone
        ? `the next incremental starts at @${base}: destroy ${listed} on the target yourself (zfs destroy ${p.targetName}@<name>), or set targets.${p.targetSpec.name}.on_divergence: rollback`
        : `set targets.${p.targetSpec.name}.on_divergence: rollback to roll it back to @${base}${later.length ? ` (destroys ${listed})` : ''}, or fix the target by hand`,
    };
  }
  const rollback: Extract<PairStep, { kind: 'rollback' }> = {
    kind: 'rollback',
    to: ref(baseSnap),
    destroys: later,
    reason: gone ? `${what}; the next incremental starts at @${base} (${allowed})` : `target has diverged: ${what}; ${allowed}`,
  };
  if (written > 0) rollback.discardsBytes = written;
  return rollback;
}

function initialSteps(p: PairInput, wanted: readonly PlannedSnapshot[], travels: Travels, placeholder: 'existing' | undefined): PairStep[] {
  const all = p.sourceSnapshots;
  const newest = wanted[wanted.length - 1]!;
  const why = placeholder ? 'target is an empty placeholder zfsync created; receiving into it' : 'target does not exist';
  // Snapshots that clones need on the target: the first send starts at the oldest of them.
  const firstNeeded = p.mustArrive?.size ? wanted.find((s) => p.mustArrive!.has(s.name)) : undefined;
  const everything = p.targetSpec.initial === 'all' && wanted.length > 1;
  const first = everything ? wanted[0]! : firstNeeded ?? newest;
  const steps: PairStep[] = [];
  if (p.cloneOf && !placeholder) {
    const o = p.cloneOf;
    const clone: PairStep = {
      kind: 'clone',
      origin: o.dataset,
      from: ref(o.snapshot),
      to: first,
      reason: `${why}; ${p.sourceName} is a clone of ${o.dataset}@${o.snapshot.name}, whose replica is on the target or sent there first: only what differs from it is sent, and the replica lands as a clone of it`,
    };
    const bytes = incrementalBytes(all, -1, all.indexOf(first));
    if (bytes !== undefined) clone.bytes = bytes;
    steps.push(clone);
  } else {
    const full: PairStep = {
      kind: 'full',
      to: first,
      reason: first === newest ? `${why}; sends the newest snapshot (initial: newest)` : everything ? `${why}; initial: all starts from the oldest snapshot` : `${why}; starts at @${first.name}, the origin of clones replicated with it`,
    };
    if (first.referenced !== undefined) full.bytes = first.referenced;
    if (placeholder) full.placeholder = placeholder;
    steps.push(full);
  }
  if (first === newest) return steps;
  // Every snapshot from `first` on travels unless the pair's filter skips it: step over those.
  const start = all.indexOf(first);
  for (const c of sendChain(all, start, travels)) {
    const inc: PairStep = {
      kind: 'incremental',
      from: ref(all[c.from]!),
      to: all[c.to]!,
      count: c.count,
      intermediates: c.intermediates,
      force: false,
      reason: c.intermediates && c.from === start ? (everything ? 'initial: all sends every later snapshot' : `${plural(c.count, 'later snapshot')} after @${first.name}`) : chainReason(c, all, `continuing from @${all[c.from]!.name}`),
    };
    const bytes = incrementalBytes(all, c.from, c.to);
    if (bytes !== undefined) inc.bytes = bytes;
    steps.push(inc);
  }
  return steps;
}

/**
 * A rebuilt member's replica holds its old lineage (the original, now `<name><suffix>` on the
 * source or destroyed): it is renamed aside with the group's suffix, kept until the user drops
 * it, and the member is received anew (from the base, where the target has it).
 */
function movedAside(p: PairInput, wanted: readonly PlannedSnapshot[], travels: Travels, r: NonNullable<PairInput['rebased']>): PairStep[] {
  const aside = p.targetName + r.suffix;
  if (r.asideTaken) {
    return [{
      kind: 'conflict',
      message: `${p.sourceName} was rebuilt by rebase.${r.group} and shares no snapshot with its replica ${p.targetName}, which zfsync would move aside to ${aside}; that name is taken`,
      resolution: `rename or destroy ${aside} on the target yourself, then run again (zfsync never replaces a dataset)`,
    }];
  }
  const step: PairStep = { kind: 'aside', to: aside, reason: `${p.sourceName} was rebuilt by rebase.${r.group}: its replica holds the old lineage (no snapshot in common by GUID) and is kept under the group's suffix` };
  return [step, ...initialSteps(p, wanted, travels, undefined)];
}

function noCommonSnapshot(p: PairInput, t: Dataset, newest: PlannedSnapshot): PairStep {
  const size = newest.referenced !== undefined ? ` (about ${formatBytes(newest.referenced)})` : '';
  const sourceNames = new Set(p.sourceSnapshots.map((s) => s.name));
  if (t.snapshots.length === 0 && p.targetBelow > 0) return holdsDatasetsBelow(p, size);
  const sameNames = t.snapshots.filter((s: Snapshot) => sourceNames.has(s.name)).map((s) => s.name);
  const message = t.snapshots.length === 0
    ? `${p.targetName} exists but has no snapshots, so it shares none with ${p.sourceName}`
    : `${p.targetName} shares no snapshot with ${p.sourceName} (matched by GUID)` +
      (sameNames.length ? `; ${listSnapshots(sameNames)} only share a name, not the data` : '');
  return {
    kind: 'conflict',
    message,
    resolution: `a full resend${size} is needed: rename or destroy ${p.targetName} yourself, or point targets.${p.targetSpec.name} elsewhere; zfsync never replaces it`,
  };
}

/** A target without snapshots that holds datasets below it (e.g. a parent zfsync created for earlier replicas). */
function holdsDatasetsBelow(p: PairInput, size: string): PairStep {
  const below = plural(p.targetBelow, 'dataset');
  return {
    kind: 'conflict',
    message: `${p.targetName} has no snapshots but holds ${below} below it (replicas or parents, e.g. ones zfsync created earlier): receiving ${p.sourceName} in full${size} would replace them all`,
    resolution: `replicate only what is below ${p.sourceName} (list its children in sources.${p.sourceSpecName}.datasets instead of ${p.sourceName}), point targets.${p.targetSpec.name}.dataset elsewhere, or move ${p.targetName} and the ${below} below it away yourself; zfsync never receives a full stream over datasets it holds`,
  };
}
