// Which locks a plan needs: the root of every target it writes to, and every source root it
// snapshots (two applies snapshotting one source would collide). Conflicts write nothing.
import type { Plan, Spec } from '../types.js';
import type { LockTarget } from './record.js';

const within = (root: string, name: string) => name === root || name.startsWith(`${root}/`);

/** Sorted by host, then dataset: every apply takes its locks in this order, so two never deadlock. */
export function locksForPlan(spec: Spec, plan: Plan): LockTarget[] {
  const found = new Map<string, LockTarget>();
  const add = (t: LockTarget) => {
    const key = JSON.stringify([t.host, t.dataset]);
    // A dataset both received into and snapshotted (a chain a -> b -> c) is one lock; call it a target.
    if (!found.has(key) || t.role === 'target') found.set(key, t);
  };
  const pairs = new Map(spec.replicate.map((p) => [`${p.from} -> ${p.to}`, p]));
  for (const a of plan.actions) {
    if (a.kind === 'conflict') continue;
    if (a.kind === 'snapshot') {
      const source = spec.sources[a.source];
      for (const root of source?.datasets ?? []) {
        if (a.datasets.some((d) => within(root, d))) add({ host: a.host, dataset: root, role: 'source' });
      }
      continue;
    }
    const pair = a.pair !== undefined ? pairs.get(a.pair) : undefined;
    const target = pair ? spec.targets[pair.to] : undefined;
    if (!target) throw new Error(`locksForPlan: action ${a.id} names no known pair (${a.pair ?? 'none'})`);
    add({ host: target.host, dataset: target.dataset, role: 'target' });
  }
  return [...found.values()].sort((x, y) => (x.host === y.host ? cmp(x.dataset, y.dataset) : cmp(x.host, y.host)));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
