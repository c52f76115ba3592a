// Protecting each pair's base (its newest common snapshot) from being destroyed while the pair
// still needs it: a user hold with the pair's tag on both sides, moved to the new base after
// every send, and a bookmark of it on the source, from which `send -i` can start even after the
// snapshot was pruned. Pure: from the state and the pairs as planned to `hold` drafts and notes.
//
// The tag identifies the dataset pair, not the spec's names: `zfsync-` + 16 hex digits of
// sha256(source dataset guid, target pool guid, target dataset name). A dataset guid survives
// renaming the dataset and every spec rename (hosts, sources, targets, pairs) and a new address
// of the host; the target's pool guid (its root dataset's) and the target's name pin where the
// copy lives, which does not exist yet before the first send. A source that is destroyed and
// re-created, or a target moved to another pool or dataset, is another pair: its old holds are
// orphans, named in the notes and never released by zfsync (another pair's or tool's holds
// never carry the tag, so zfsync never releases those either).
//
// `zfs holds` takes only snapshot names, so the state read cannot list every hold in one pass;
// zfsync records its tags in the `zfsync:holds` property of the held snapshot (listed with the
// rest) and what each tag means in `zfsync:hold:<tag>`. A hold counts as there when the record
// names it and the snapshot's `userrefs` is above 0: a hold released by hand is re-placed.
import { createHash } from 'node:crypto';
import type { Dataset, HoldAction, HoldSide, HostState, State } from '../types.js';
import type { PairLink } from '../retention/links.js';
import { newestCommon } from '../retention/links.js';

export type HoldDraft = Omit<HoldAction, 'id'>;

const poolOf = (dataset: string): string => dataset.split('/')[0]!;

export function pairTag(sourceGuid: string, targetPoolGuid: string, targetDataset: string): string {
  return 'zfsync-' + createHash('sha256').update(`${sourceGuid}\0${targetPoolGuid}\0${targetDataset}`).digest('hex').slice(0, 16);
}

export interface ProtectInput {
  state: State;
  links: readonly PairLink[];
  /** Per source: its host and the datasets it selected, where zfsync's orphaned holds are looked for. */
  sources: readonly { host: string; datasets: readonly string[] }[];
  /** Adds a draft to the plan and returns its id (a later hold on the same source dataset waits for it). */
  add(draft: HoldDraft): string;
}

export interface ProtectResult {
  notes: string[];
  /** Tag -> the pair (`from -> to`) it belongs to, for retention's reasons. */
  owners: Map<string, string>;
}

/** The pair's tag, where its target pool is known. */
export function linkTag(state: State, l: PairLink): string | undefined {
  const pool = state.hosts[l.targetHost]?.datasets.get(poolOf(l.targetName));
  return pool ? pairTag(l.source.guid, pool.guid, l.targetName) : undefined;
}

/** Where this plan leaves the pair's newest common snapshot: its last send's, else the one it has. */
function baseAfter(l: PairLink): string | undefined {
  const last = l.sends[l.sends.length - 1];
  return last ? last.to.name : newestCommon(l.source, l.target);
}

/**
 * `zfsync:holds` of each snapshot as the plan goes along: a second pair's record keeps the
 * first's tag. Only snapshots an action changed are kept here (per dataset, by name), so a
 * dataset with thousands of snapshots and no holds costs one lookup per snapshot.
 */
class Records {
  private readonly changed = new Map<string, Map<string, string[]>>();
  get(host: string, dataset: string): Map<string, string[]> | undefined {
    return this.changed.get(`${host}\0${dataset}`);
  }
  set(host: string, dataset: string, name: string, tags: string[]): void {
    const key = `${host}\0${dataset}`;
    let m = this.changed.get(key);
    if (!m) this.changed.set(key, (m = new Map()));
    m.set(name, tags);
  }
}

function sideFor(side: HoldSide['side'], host: string, d: Dataset | undefined, datasetName: string, base: string, tag: string, records: Records): HoldSide {
  const out: HoldSide = { side, host, dataset: datasetName, release: [] };
  const changed = records.get(host, datasetName);
  let baseHeld = false;
  let baseTags: string[] | undefined;
  for (const s of d?.snapshots ?? []) {
    const tags = changed?.get(s.name) ?? s.holds;
    if (s.name === base) baseTags = tags;
    if (tags === undefined || !tags.includes(tag)) continue;
    const held = (s.userrefs ?? 0) > 0;
    if (s.name === base) {
      baseHeld = held;
      continue;
    }
    const after = tags.filter((t) => t !== tag);
    records.set(host, datasetName, s.name, after);
    out.release.push({ snapshot: s.name, tags: after, held });
  }
  if (!baseHeld) {
    const tags = baseTags ?? changed?.get(base) ?? [];
    const after = tags.includes(tag) ? tags : [...tags, tag];
    records.set(host, datasetName, base, after);
    out.hold = { snapshot: base, tags: after };
  }
  return out;
}

const changes = (s: HoldSide): boolean => s.hold !== undefined || s.release.length > 0;

export function planProtection(input: ProtectInput): ProtectResult {
  const { state } = input;
  const result: ProtectResult = { notes: [], owners: new Map() };
  const records = new Records();
  const bookmarked = new Set<string>();
  /** `host\0dataset` of a source -> the last hold action on it. */
  const lastOnSource = new Map<string, string>();
  const unprotected = new Set<string>();
  for (const l of input.links) {
    const sh = state.hosts[l.sourceHost]!;
    const th = state.hosts[l.targetHost]!;
    const holds = { source: sh.capabilities.holds, target: th.capabilities.holds };
    const bookmarks = sh.capabilities.bookmarks;
    if (!holds.source || !holds.target || !bookmarks) unprotectedNote(result.notes, unprotected, l, sh, th);
    const tag = linkTag(state, l);
    if (tag === undefined) continue;
    result.owners.set(tag, l.pair);
    if ((!holds.source && !holds.target && !bookmarks) || l.conflict) continue;
    const base = baseAfter(l);
    if (base === undefined) continue;

    const sides: HoldSide[] = [];
    if (holds.source) sides.push(sideFor('source', l.sourceHost, l.source, l.source.name, base, tag, records));
    if (holds.target) sides.push(sideFor('target', l.targetHost, l.target, l.targetName, base, tag, records));
    const markKey = `${l.sourceHost}\0${l.source.name}#${base}`;
    const mark = bookmarks && !bookmarked.has(markKey) && !(l.source.bookmarks ?? []).some((b) => b.name === base);
    if (!mark && !sides.some(changes)) continue;
    if (mark) bookmarked.add(markKey);

    const sourceKey = `${l.sourceHost}\0${l.source.name}`;
    const deps = [...(l.rollback ? [l.rollback.id] : []), ...l.sends.slice(-1).map((a) => a.id)];
    const before = lastOnSource.get(sourceKey);
    if (before) deps.push(before);
    const draft: HoldDraft = {
      kind: 'hold',
      pair: l.pair,
      tag,
      meaning: `${l.sourceHost}:${l.source.name} -> ${l.targetHost}:${l.targetName}`,
      sides: sides.filter(changes),
      reason: reasonFor(l, base, sides),
      dependsOn: deps,
    };
    if (mark) draft.bookmark = { host: l.sourceHost, dataset: l.source.name, snapshot: base };
    lastOnSource.set(sourceKey, input.add(draft));
  }
  result.notes.push(...orphanHolds(state, input, result.owners));
  return result;
}

function reasonFor(l: PairLink, base: string, sides: readonly HoldSide[]): string {
  const missing = sides.some((s) => s.hold && s.release.length === 0) && l.sends.length === 0;
  const why = l.sends.length > 0 ? `@${base} becomes the newest common snapshot` : missing ? `the hold on the newest common snapshot @${base} is missing` : `@${base} is the newest common snapshot`;
  return `${why}: held so that no pruning forces a full resend`;
}

function unprotectedNote(notes: string[], seen: Set<string>, l: PairLink, sh: HostState, th: HostState): void {
  if (seen.has(l.pair)) return;
  seen.add(l.pair);
  const lacking: string[] = [];
  if (!sh.capabilities.holds && !sh.capabilities.bookmarks) lacking.push(`${l.sourceHost} (source) has no zfs holds or bookmarks`);
  else if (!sh.capabilities.holds) lacking.push(`${l.sourceHost} (source) has no zfs holds`);
  else if (!sh.capabilities.bookmarks) lacking.push(`${l.sourceHost} (source) has no bookmarks`);
  if (!th.capabilities.holds) lacking.push(`${l.targetHost} (target) has no zfs holds`);
  const none = !sh.capabilities.holds && !th.capabilities.holds && !sh.capabilities.bookmarks;
  notes.push(`${l.pair}: ${none ? 'the base is protected by retention rules only' : 'the base is partly protected by retention rules only'} (${lacking.join('; ')})`);
}

/** zfsync holds whose tag no pair of this plan has: named, never released by zfsync. */
function orphanHolds(state: State, input: ProtectInput, owners: ReadonlyMap<string, string>): string[] {
  // A pair not planned (an unreachable host) would look orphaned: say nothing rather than something wrong.
  if (Object.keys(state.unreachable ?? {}).length > 0) return [];
  const notes: string[] = [];
  const seen = new Set<Dataset>();
  const look = (host: string, d: Dataset | undefined) => {
    if (!d || seen.has(d)) return;
    seen.add(d);
    for (const s of d.snapshots) {
      if (!s.holds || !(s.userrefs ?? 0)) continue;
      for (const tag of s.holds) {
        if (owners.has(tag)) continue;
        const at = `${d.name}@${s.name}`;
        notes.push(`${host}: ${at} keeps zfsync hold ${tag} of a pair no longer in the spec (zfs get zfsync:hold:${tag} ${at} says which); zfsync never releases it: zfs release ${tag} ${at}`);
      }
    }
  };
  for (const l of input.links) {
    look(l.sourceHost, l.source);
    look(l.targetHost, l.target);
  }
  for (const src of input.sources) {
    const hs = state.hosts[src.host];
    for (const name of src.datasets) look(src.host, hs?.datasets.get(name));
  }
  return notes;
}
