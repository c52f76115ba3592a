// The pure diff for one (source dataset, target dataset) pair: what must happen so that the
// target holds the source's snapshots. Snapshots are matched by GUID, ordered by createtxg.
import type { Capabilities, Dataset, Snapshot, SnapRef, TargetSpec } from '../types.js';
import { formatBytes, listSnapshots, plural } from './format.js';
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
  | { kind: 'incremental'; from: SnapRef; to: PlannedSnapshot; count: number; bytes?: number; force: boolean; reason: string }
  | { kind: 'rollback'; to: SnapRef; destroys: string[]; discardsBytes?: number; reason: string }
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
  targetName: string;
  target: Dataset | undefined;
  /** How many datasets the target has below it (counted only where it has no snapshots). */
  targetBelow: number;
  targetSpec: TargetSpec;
  targetCaps: Capabilities;
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
  const newest = snaps[snaps.length - 1];
  if (!newest) {
    return [{ kind: 'note', text: `${p.sourceName}: no snapshots to replicate yet (set snapshot_every on its source, or snapshot it)` }];
  }
  const t = p.target;
  if (t?.resumeToken) return resumeOrAbort(p, t, t.resumeToken, diffPair);
  // `recv -F` replaces what it receives into: only ever into an empty placeholder of zfsync's own.
  if (!t || (t.placeholder && t.snapshots.length === 0 && p.targetBelow === 0)) return initialSteps(p, snaps, t ? 'existing' : undefined);

  const common = newestCommonSnapshot(snaps, t.snapshots);
  if (!common) return [noCommonSnapshot(p, t, newest)];
  const { sourceIndex: sourceBase, targetIndex: targetBase } = common;

  const base = snaps[sourceBase]!;
  const steps: PairStep[] = [];
  const later = t.snapshots.slice(targetBase + 1).map((s) => s.name);
  const written = t.written ?? 0;
  if (later.length > 0 || written > 0) {
    const what = [
      later.length ? `${plural(later.length, 'snapshot')} after the newest common snapshot @${base.name} (${listSnapshots(later)})` : '',
      written > 0 ? `${formatBytes(written)} written since @${t.snapshots[t.snapshots.length - 1]!.name}` : '',
    ].filter(Boolean).join(' and ');
    if (p.targetSpec.onDivergence !== 'rollback') {
      return [{
        kind: 'conflict',
        message: `${p.targetName} has diverged: ${what}`,
        resolution: `set targets.${p.targetSpec.name}.on_divergence: rollback to roll it back to @${base.name}${later.length ? ` (destroys ${listSnapshots(later)})` : ''}, or fix the target by hand`,
      }];
    }
    const rollback: PairStep = {
      kind: 'rollback',
      to: ref(base),
      destroys: later,
      reason: `target has diverged: ${what}; on_divergence: rollback`,
    };
    if (written > 0) rollback.discardsBytes = written;
    steps.push(rollback);
  }

  const newer = snaps.length - 1 - sourceBase;
  if (newer > 0) {
    // Legacy ZFS cannot say whether the target was modified since its newest snapshot; with
    // rollback allowed, `recv -F` discards such changes instead of failing the receive.
    const force = p.targetSpec.onDivergence === 'rollback' && !p.targetCaps.written;
    const step: PairStep = {
      kind: 'incremental',
      from: ref(base),
      to: newest,
      count: newer,
      force,
      reason: `${plural(newer, 'new snapshot')} since the newest common snapshot @${base.name}` + (force ? '; recv -F discards unsnapshotted changes on the target (on_divergence: rollback)' : ''),
    };
    const bytes = incrementalBytes(snaps, sourceBase, snaps.length - 1);
    if (bytes !== undefined) step.bytes = bytes;
    steps.push(step);
  }
  return steps;
}

function initialSteps(p: PairInput, snaps: readonly PlannedSnapshot[], placeholder: 'existing' | undefined): PairStep[] {
  const newest = snaps[snaps.length - 1]!;
  const why = placeholder ? 'target is an empty placeholder zfsync created; receiving into it' : 'target does not exist';
  if (p.targetSpec.initial === 'all' && snaps.length > 1) {
    const first = snaps[0]!;
    const full: PairStep = { kind: 'full', to: first, reason: `${why}; initial: all starts from the oldest snapshot` };
    if (first.referenced !== undefined) full.bytes = first.referenced;
    if (placeholder) full.placeholder = placeholder;
    const inc: PairStep = {
      kind: 'incremental',
      from: ref(first),
      to: newest,
      count: snaps.length - 1,
      force: false,
      reason: `initial: all sends every later snapshot`,
    };
    const bytes = incrementalBytes(snaps, 0, snaps.length - 1);
    if (bytes !== undefined) inc.bytes = bytes;
    return [full, inc];
  }
  const full: PairStep = { kind: 'full', to: newest, reason: `${why}; sends the newest snapshot (initial: newest)` };
  if (newest.referenced !== undefined) full.bytes = newest.referenced;
  if (placeholder) full.placeholder = placeholder;
  return [full];
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
