// Orphans: replicas below a target root that no selected source dataset maps to any more (a
// source renamed or destroyed). Only named in the plan's notes: zfsync never destroys them.
import type { HostState, Spec } from '../types.js';

export interface OrphanInput {
  spec: Spec;
  hosts: Record<string, HostState>;
  /** Target host -> every target dataset some selected source dataset maps to. */
  mapped: Map<string, Set<string>>;
  /** Targets (spec names) whose mapping is not fully known (a source host unreachable). */
  blind: Set<string>;
  /** Host -> datasets selected as sources there (a source below a target root is no orphan). */
  selected: Map<string, Set<string>>;
}

const isBelow = (name: string, root: string): boolean => name.startsWith(root + '/');

export function orphanNotes(o: OrphanInput): string[] {
  const found = new Set<string>();
  const notes: string[] = [];
  for (const t of Object.values(o.spec.targets)) {
    const hs = o.hosts[t.host];
    if (!hs || o.blind.has(t.name) || !o.spec.replicate.some((p) => p.to === t.name)) continue;
    const mapped = o.mapped.get(t.host) ?? new Set<string>();
    const selected = o.selected.get(t.host) ?? new Set<string>();
    const ancestors = new Set<string>();
    for (const m of mapped) for (let i = m.lastIndexOf('/'); i > 0; i = m.lastIndexOf('/', i - 1)) ancestors.add(m.slice(0, i));
    for (const d of hs.datasets.values()) {
      if (!isBelow(d.name, t.dataset) || d.snapshots.length === 0) continue;
      if (mapped.has(d.name) || selected.has(d.name) || ancestors.has(d.name)) continue;
      const key = `${t.host}\0${d.name}`;
      if (found.has(key)) continue;
      found.add(key);
      notes.push(`${d.name}: no source dataset maps to it any more (orphan; zfsync never destroys it)`);
    }
  }
  return notes.sort();
}
