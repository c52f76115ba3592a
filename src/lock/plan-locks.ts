// Which locks an apply takes, from the spec alone (they are taken before the state is read):
// the root of every target a pair writes to, and every root of a source that zfsync snapshots
// or prunes (two applies snapshotting one source would collide), and what rebase groups rewrite. Hosts that could not be connected are
// left out: their pairs become conflicts and write nothing.
import type { Spec } from '../types.js';
import type { LockTarget } from './record.js';

/** Sorted by host, then dataset: every apply takes its locks in this order, so two never deadlock. */
export function locksForSpec(spec: Spec, connected: { has(host: string): boolean }): LockTarget[] {
  const found = new Map<string, LockTarget>();
  const add = (t: LockTarget) => {
    if (!connected.has(t.host)) return;
    const key = JSON.stringify([t.host, t.dataset]);
    // A dataset both received into and snapshotted (a chain a -> b -> c) is one lock; call it a target.
    if (!found.has(key) || t.role === 'target') found.set(key, t);
  };
  for (const pair of spec.replicate) {
    const target = spec.targets[pair.to];
    if (target) add({ host: target.host, dataset: target.dataset, role: 'target' });
  }
  for (const source of Object.values(spec.sources)) {
    if (source.snapshotEvery === undefined && source.retention === undefined) continue;
    for (const root of source.datasets) add({ host: source.host, dataset: root, role: 'source' });
  }
  // A rebase group rewrites its members and its base: each member (a glob's fixed leading part) and the base.
  for (const g of Object.values(spec.rebase)) {
    add({ host: g.host, dataset: g.base.dataset, role: 'source' });
    for (const pattern of g.datasets) add({ host: g.host, dataset: fixedPart(pattern), role: 'source' });
  }
  return [...found.values()].sort((x, y) => (x.host === y.host ? cmp(x.dataset, y.dataset) : cmp(x.host, y.host)));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `tank/vm/*` -> `tank/vm`; a name without glob characters is itself. */
function fixedPart(pattern: string): string {
  const parts = pattern.split('/');
  const i = parts.findIndex((p) => /[*?]/.test(p));
  return i < 0 ? pattern : parts.slice(0, Math.max(1, i)).join('/');
}
