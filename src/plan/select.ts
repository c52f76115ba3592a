// Which datasets of a host a source selects: by the roots it names, or by a user property.
import { compileGlob } from '../spec/glob.js';
import { isWithin } from '../spec/mapping.js';
import type { HostState, SourceSpec, Spec } from '../types.js';

export interface Selection {
  /** Selected dataset names, parents before children. */
  datasets: string[];
  /** Roots named in the spec that do not exist on the host. */
  missingRoots: string[];
  /** Warnings for the plan's notes (an exclude that matches nothing, a property value that means nothing). */
  notes: string[];
}

/** The values a selection property can have; any other selects nothing (and is noted). */
const MEANINGFUL = new Set(['true', 'false', 'child', 'parent']);

/**
 * The target datasets of `host`: copies received there inherit a property set above them, and
 * selecting them would replicate the copies again, nested deeper each run. (For sources naming
 * datasets the spec check refuses such layouts.)
 */
export function receivingDatasets(spec: Spec, host: string): string[] {
  return Object.values(spec.targets).filter((t) => t.host === host).map((t) => t.dataset).sort();
}

/** `receiving`: see receivingDatasets; a property source never selects in or below them. */
export function selectDatasets(source: SourceSpec, host: HostState, receiving: readonly string[] = []): Selection {
  const excluded = source.exclude.map(compileGlob);
  const isExcluded = (name: string) => excluded.some((m) => m(name));
  const picked = new Set<string>();
  const missingRoots: string[] = [];
  const notes: string[] = [];
  const candidates = source.property !== undefined ? [...host.datasets.keys()] : rootCandidates(source, host, missingRoots);
  const chosen = source.property !== undefined ? byProperty(source, host, candidates, notes) : candidates;
  const skipped = new Set<string>();
  for (const name of chosen) {
    const into = source.property !== undefined ? receiving.find((t) => isWithin(name, t)) : undefined;
    if (into !== undefined) skipped.add(into);
    else if (!isExcluded(name)) picked.add(name);
  }
  for (const t of skipped) notes.push(`sources.${source.name}: skips ${t} and what is below it: a target receives there`);
  if (missingRoots.length === 0) {
    excluded.forEach((matches, i) => {
      if (!candidates.some(matches)) {
        notes.push(`sources.${source.name}.exclude[${i}] '${source.exclude[i]}' matches no dataset on ${source.host}`);
      }
    });
  }
  return { datasets: [...picked].sort(compareDatasetNames), missingRoots, notes };
}

/** The datasets under the source's roots (the roots alone when not recursive). */
function rootCandidates(source: SourceSpec, host: HostState, missingRoots: string[]): string[] {
  const out: string[] = [];
  for (const root of source.datasets) {
    if (!host.datasets.has(root)) {
      missingRoots.push(root);
      continue;
    }
    if (!source.recursive) {
      out.push(root);
      continue;
    }
    for (const name of host.datasets.keys()) if (isWithin(name, root)) out.push(name);
  }
  return out;
}

/**
 * zfs_autobackup's rules: a dataset takes the value of the nearest dataset (itself or an
 * ancestor) that sets the property. `true` selects it; `false` does not; `child` selects it
 * only when inherited (the setter's descendants); `parent` only where it is set (the setter).
 */
function byProperty(source: SourceSpec, host: HostState, names: readonly string[], notes: string[]): string[] {
  const set = host.properties?.get(source.property!) ?? new Map<string, string>();
  for (const [name, value] of [...set].sort(([a], [b]) => compareDatasetNames(a, b))) {
    if (!MEANINGFUL.has(value)) {
      notes.push(`sources.${source.name}: ${name} has ${source.property}=${value}, which selects nothing (use true, false, child or parent)`);
    }
  }
  const out: string[] = [];
  for (const name of names) {
    const own = set.get(name);
    let value = own;
    for (let p = parentOf(name); value === undefined && p !== undefined; p = parentOf(p)) value = set.get(p);
    if (value === 'true' || (value === 'child' && own === undefined) || (value === 'parent' && own !== undefined)) out.push(name);
  }
  return out;
}

const parentOf = (name: string): string | undefined => {
  const i = name.lastIndexOf('/');
  return i < 0 ? undefined : name.slice(0, i);
};

/** Orders by path components so that every parent sorts before its children. */
export function compareDatasetNames(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Which snapshotting source selected each dataset first, per host: two sources snapshotting one
 * dataset under the same name would make the second `zfs snapshot` fail half done. For sources
 * naming datasets the spec check refuses that; with property selection only the state shows it.
 */
export class SnapshotClaims {
  private readonly owners = new Map<string, string>();

  /** Claims `datasets` for `source` unless an earlier source has one: then that dataset and source. */
  claim(source: SourceSpec, datasets: readonly string[]): { dataset: string; by: string } | undefined {
    const key = (d: string) => `${source.host}\0${d}`; // NUL never occurs in a name
    for (const d of datasets) {
      const by = this.owners.get(key(d));
      if (by !== undefined) return { dataset: d, by };
    }
    for (const d of datasets) this.owners.set(key(d), source.name);
    return undefined;
  }
}
