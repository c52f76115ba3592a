// The base of a group: ready (its snapshot exists: whoever made it, members are cloned from it),
// to create, to build again (zfsync's own left half built; rebuild_base), or a name taken.
import type { HostState, RebaseSpec } from '../types.js';
import { BASE_PROPERTY, isSeedSnapshot, REBUILD_PROPERTY } from './names.js';

export type BaseState =
  | { kind: 'ready' }
  | { kind: 'create'; previous?: 'destroy' | 'rename'; reason: string; discard: string[] }
  | { kind: 'conflict'; message: string; resolution: string };

export function baseState(group: RebaseSpec, hs: HostState, members: readonly string[], prefix: string, anyToRebuild: boolean): BaseState {
  const { dataset, snapshot } = group.base;
  const d = hs.datasets.get(dataset);
  const full = `${dataset}@${snapshot}`;
  const discard = seedLeftovers(hs, members, prefix);
  if (!d) return { kind: 'create', reason: `${dataset} does not exist`, discard };
  const ours = hs.properties?.get(BASE_PROPERTY)?.get(dataset) === group.name;
  if (d.snapshots.some((s) => s.name === snapshot)) {
    if (!group.rebuildBase || !anyToRebuild) return { kind: 'ready' };
    if (hs.datasets.has(dataset + group.suffix)) {
      return { kind: 'conflict', message: `rebuild_base would move the old base to ${dataset}${group.suffix}, which exists`, resolution: `rename or destroy ${dataset}${group.suffix}, or set rebase.${group.name}.rebuild_base: false` };
    }
    return { kind: 'create', previous: 'rename', reason: `rebuild_base: true and a member is not a clone of ${full}`, discard };
  }
  if (!ours) {
    return { kind: 'conflict', message: `${dataset} exists without @${snapshot} and zfsync did not create it (no ${BASE_PROPERTY} marker)`, resolution: `snapshot it as ${full} to use it as the base, or choose another rebase.${group.name}.base` };
  }
  return { kind: 'create', previous: 'destroy', reason: `${dataset} was left half built (no @${snapshot})`, discard };
}

/** Temporary seed clones and seed snapshots an interrupted base build left on the members. */
function seedLeftovers(hs: HostState, members: readonly string[], prefix: string): string[] {
  const clones: string[] = [];
  const snaps: string[] = [];
  for (const m of members) {
    const clone = `${m}.${prefix}-rebase-seed`;
    if (hs.properties?.get(REBUILD_PROPERTY)?.get(clone) === 'seed' && hs.datasets.has(clone)) clones.push(clone);
    for (const s of hs.datasets.get(m)?.snapshots ?? []) if (isSeedSnapshot(s.name, prefix)) snaps.push(`${m}@${s.name}`);
  }
  return [...clones, ...snaps];
}
