// What each host's state read lists: the roots the spec names, not whole pools, so that the
// read grows with the selection. Sources: their roots (with descendants unless not recursive);
// a source selecting by property may find it set anywhere, so its host lists every dataset.
// Targets: the target root's subtree, and each ancestor on its own (the plan creates missing
// parents and must know which exist, down to whether the pool does). Rebase groups: the pool of
// their base, and zfsync's rebase markers as selection-like properties (set locally only).
import { isWithin } from '../spec/mapping.js';
import type { Spec } from '../types.js';
import { BASE_PROPERTY, REBUILD_PROPERTY } from '../rebase/names.js';
import { ALL_DATASETS, type ListDepth, type ListRoot } from '../zfs/state-read.js';

const RANK: Record<ListDepth, number> = { self: 0, children: 1, tree: 2 };

function ancestors(name: string): string[] {
  const out: string[] = [];
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) out.push(name.slice(0, i));
  return out;
}

const parentOf = (name: string): string | undefined => {
  const i = name.lastIndexOf('/');
  return i < 0 ? undefined : name.slice(0, i);
};

/** Whether listing `by` already yields everything listing `root` would. */
function covers(by: ListRoot, root: ListRoot): boolean {
  if (by.name === ALL_DATASETS && by.depth === 'tree') return true;
  if (by.depth === 'tree') return isWithin(root.name, by.name);
  if (by.depth === 'children') return root.depth === 'self' ? root.name === by.name || parentOf(root.name) === by.name : root.depth === 'children' && root.name === by.name;
  return root.depth === 'self' && root.name === by.name;
}

/** Drops every root another one covers; sorted by name. */
export function mergeRoots(roots: readonly ListRoot[]): ListRoot[] {
  const strongest = new Map<string, ListRoot>();
  for (const r of roots) {
    const seen = strongest.get(r.name);
    if (!seen || RANK[r.depth] > RANK[seen.depth]) strongest.set(r.name, r);
  }
  const all = [...strongest.values()];
  return all.filter((r) => !all.some((o) => o !== r && covers(o, r))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** host -> the roots its state read lists. */
export function rootsToRead(spec: Spec): Map<string, ListRoot[]> {
  const raw = new Map<string, ListRoot[]>();
  const add = (host: string, r: ListRoot) => {
    let list = raw.get(host);
    if (!list) raw.set(host, (list = []));
    list.push(r);
  };
  for (const src of Object.values(spec.sources)) {
    for (const d of src.datasets) add(src.host, { name: d, depth: src.recursive ? 'tree' : 'children' });
    if (src.property !== undefined) add(src.host, { name: ALL_DATASETS, depth: 'tree' });
  }
  for (const pair of spec.replicate) {
    const t = spec.targets[pair.to];
    if (!t) continue;
    add(t.host, { name: t.dataset, depth: 'tree' });
    for (const a of ancestors(t.dataset)) add(t.host, { name: a, depth: 'self' });
  }
  // A rebase group: its whole pool (members, base and every clone of a member must share it).
  for (const g of Object.values(spec.rebase)) add(g.host, { name: g.base.dataset.split('/')[0]!, depth: 'tree' });
  return new Map([...raw].map(([host, roots]) => [host, mergeRoots(roots)]));
}

/** host -> the selection properties its state read gets, sorted. */
export function propertiesToRead(spec: Spec): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const src of Object.values(spec.sources)) {
    if (src.property === undefined) continue;
    let set = out.get(src.host);
    if (!set) out.set(src.host, (set = new Set()));
    set.add(src.property);
  }
  for (const g of Object.values(spec.rebase)) {
    let set = out.get(g.host);
    if (!set) out.set(g.host, (set = new Set()));
    set.add(REBUILD_PROPERTY).add(BASE_PROPERTY);
  }
  return new Map([...out].map(([host, props]) => [host, [...props].sort()]));
}
