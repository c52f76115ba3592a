// Rebase groups in the plan: per group, its base (+ create base) and one `-/+ rebuild` per member
// that is not already a clone of the base snapshot, or the conflict that stops it. Pure.
import type { BaseAction, ConflictAction, RebuildAction, Spec, State } from '../types.js';
import { baseState } from './base.js';
import { hostConflict, memberConflict } from './conflicts.js';
import { resolveMembers } from './members.js';
import { rebaseSnapshotName } from './names.js';
import { memberState, type MemberState } from './resume.js';
import { spaceNote } from './space.js';

type Draft<A> = Omit<A, 'id' | 'dependsOn'> & { /** Indexes into `drafts` this one waits for. */ after: number[] };
export type RebaseDraft = Draft<BaseAction> | Draft<RebuildAction> | Draft<ConflictAction>;

export interface RebasePlan {
  drafts: RebaseDraft[];
  notes: string[];
  /** Members this plan rebuilds, per host: their replicas are not sent this run (the lead's replication planning reads it). */
  rebuilding: Map<string, Set<string>>;
}

export function planRebase(spec: Spec, state: State, now: Date): RebasePlan {
  const out: RebasePlan = { drafts: [], notes: [], rebuilding: new Map() };
  const prefix = spec.snapshots.prefix;
  for (const group of Object.values(spec.rebase)) {
    const conflict = (dataset: string, c: { message: string; resolution: string }) =>
      out.drafts.push({ kind: 'conflict', group: group.name, host: group.host, dataset, reason: c.message, message: c.message, resolution: c.resolution, after: [] });
    const down = state.unreachable?.[group.host];
    const hs = state.hosts[group.host];
    if (down !== undefined || !hs) {
      conflict(group.base.dataset, { message: down ?? `no state for ${group.host}`, resolution: `nothing is done for rebase.${group.name}; fix the connection (hosts.${group.host}.ssh) and run again` });
      continue;
    }
    const members = resolveMembers(group, hs, prefix);
    if (members.length === 0) {
      out.notes.push(`rebase.${group.name}: no dataset on ${group.host} matches ${group.datasets.join(', ')}`);
      continue;
    }
    const ctx = { group, hs, prefix, baseReady: true };
    const anyToRebuild = members.some((m) => memberState(m, ctx).kind === 'rebuild');
    const base = baseState(group, hs, members, prefix, anyToRebuild);
    if (base.kind === 'conflict') {
      conflict(group.base.dataset, base);
      continue;
    }
    ctx.baseReady = base.kind === 'ready';
    const states = new Map<string, MemberState>(members.map((m) => [m, memberState(m, ctx)]));
    if (![...states.values()].some((s) => s.kind !== 'done') && base.kind === 'ready') continue;
    const blocked = hostConflict(group, spec, hs);
    if (blocked) {
      conflict(group.base.dataset, blocked);
      continue;
    }
    const space = spaceNote(group, hs, members);
    if (space) out.notes.push(space);
    let baseIndex: number | undefined;
    if (base.kind === 'create') {
      const seeds = (group.seed === 'all' ? members : [group.seed]).filter((m) => hs.datasets.get(m)?.type === 'filesystem');
      const draft: Draft<BaseAction> = {
        kind: 'base', group: group.name, prefix, host: group.host, dataset: group.base.dataset, snapshot: group.base.snapshot,
        seeds, seedSnapshot: rebaseSnapshotName(prefix, now, true), suffix: group.suffix, discard: base.discard, reason: base.reason, after: [],
      };
      if (base.previous) draft.previous = base.previous;
      baseIndex = out.drafts.push(draft) - 1;
    }
    for (const member of members) {
      const s = states.get(member)!;
      if (s.kind === 'done') continue;
      if (s.kind === 'conflict') {
        conflict(member, s);
        continue;
      }
      const m = hs.datasets.get(member);
      const c = s.stage === 'start' && m ? memberConflict(m, group, spec, hs) : undefined;
      if (c) {
        conflict(member, c);
        continue;
      }
      const draft: Draft<RebuildAction> = {
        kind: 'rebuild', group: group.name, prefix, host: group.host, dataset: member, base: `${group.base.dataset}@${group.base.snapshot}`,
        stage: s.stage, snapshot: rebaseSnapshotName(prefix, now), replace: group.replace, keepOriginals: group.keepOriginals, suffix: group.suffix,
        mount: s.mount, unmount: s.unmount, discard: s.discard, reason: s.reason, after: baseIndex === undefined ? [] : [baseIndex],
      };
      if (s.leftoverSource) draft.leftoverSource = s.leftoverSource;
      out.drafts.push(draft);
      let set = out.rebuilding.get(group.host);
      if (!set) out.rebuilding.set(group.host, (set = new Set()));
      set.add(member);
    }
  }
  return out;
}

/** Adds the drafts in order through `add` (which returns the new id), turning `after` indexes into ids. */
export function addRebaseDrafts(drafts: readonly RebaseDraft[], add: (a: Omit<BaseAction | RebuildAction | ConflictAction, 'id'>) => string): void {
  const ids: string[] = [];
  for (const { after, ...d } of drafts) ids.push(add({ ...d, dependsOn: after.map((i) => ids[i]!) } as Omit<BaseAction | RebuildAction | ConflictAction, 'id'>));
}
