// Clones in replication. A clone's first send starts from its origin snapshot when the target
// has that snapshot (or this plan sends it there), so a group of clones costs their origin once
// plus each clone's differences, and the replica is a clone tree as on the source.
import type { Dataset, HostState, RebaseSpec, Snapshot } from '../types.js';

export interface OriginRef {
  /** The origin's dataset on the source host. */
  dataset: string;
  snapshot: Snapshot;
}

const splitSnapshot = (full: string): [string, string] => {
  const at = full.indexOf('@');
  return [full.slice(0, at), full.slice(at + 1)];
};

/** The origin of a clone as it is on the same host, when that snapshot is in the state. */
export function originOf(d: Dataset, hs: HostState): OriginRef | undefined {
  if (!d.origin || !d.origin.includes('@')) return undefined;
  const [dataset, name] = splitSnapshot(d.origin);
  const snapshot = hs.datasets.get(dataset)?.snapshots.find((s) => s.name === name);
  return snapshot ? { dataset, snapshot } : undefined;
}

/**
 * Per selected dataset, the snapshots of it that other selected datasets are clones of: they
 * must reach the target (they travel whatever the pair's snapshot filter says).
 */
export function neededOrigins(selected: readonly string[], hs: HostState): Map<string, Set<string>> {
  const inSelection = new Set(selected);
  const needs = new Map<string, Set<string>>();
  for (const name of selected) {
    const o = originOf(hs.datasets.get(name)!, hs);
    if (!o || !inSelection.has(o.dataset)) continue;
    let set = needs.get(o.dataset);
    if (!set) needs.set(o.dataset, (set = new Set()));
    set.add(o.snapshot.name);
  }
  return needs;
}

/**
 * A rank per selected dataset for the order a pair plans them in: parents before children (a
 * child lands inside its parent) and origins before their clones (a clone's stream needs its
 * origin on the target). Lower ranks first; equal ranks keep the usual name order.
 */
export function cloneRanks(selected: readonly string[], hs: HostState): Map<string, number> {
  const inSelection = new Set(selected);
  const rank = new Map<string, number>();
  const rankOf = (name: string, depth: number): number => {
    const known = rank.get(name);
    if (known !== undefined) return known;
    if (depth > 1000) return 0; // ZFS has no cycles; never loop on a malformed state
    let r = 0;
    const slash = name.lastIndexOf('/');
    if (slash > 0 && inSelection.has(name.slice(0, slash))) r = rankOf(name.slice(0, slash), depth + 1);
    const o = originOf(hs.datasets.get(name)!, hs);
    if (o && inSelection.has(o.dataset)) r = Math.max(r, rankOf(o.dataset, depth + 1) + 1);
    rank.set(name, r);
    return r;
  };
  for (const name of selected) rankOf(name, 0);
  return rank;
}

/** The rebase group whose declared base snapshot this dataset is a clone of (a rebuilt member). */
export function rebasedBy(d: Dataset, host: string, groups: Readonly<Record<string, RebaseSpec>>): RebaseSpec | undefined {
  if (!d.origin) return undefined;
  return Object.values(groups).find((g) => g.host === host && d.origin === `${g.base.dataset}@${g.base.snapshot}`);
}

/**
 * Originals a rebase kept under `<name><suffix>` (replace: true): a recursive source would
 * otherwise pick them up and send each in full. Explicitly named roots are kept.
 */
export function rebaseOriginals(selected: readonly string[], roots: readonly string[], host: string, hs: HostState, groups: Readonly<Record<string, RebaseSpec>>): Set<string> {
  const suffixes = Object.values(groups).filter((g) => g.host === host && g.replace).map((g) => g.suffix);
  const out = new Set<string>();
  if (suffixes.length === 0) return out;
  const named = new Set(roots);
  for (const name of selected) {
    if (named.has(name)) continue;
    for (const suffix of suffixes) {
      if (name.endsWith(suffix) && name.length > suffix.length && hs.datasets.has(name.slice(0, -suffix.length))) out.add(name);
    }
  }
  // What is below an original goes with it.
  for (const name of selected) {
    for (const o of out) if (name.startsWith(o + '/')) out.add(name);
  }
  return out;
}
