// Which datasets of a host a source selects.
import { compileGlob } from '../spec/glob.js';
import { isWithin } from '../spec/mapping.js';
import type { HostState, SourceSpec } from '../types.js';

export interface Selection {
  /** Selected dataset names, parents before children. */
  datasets: string[];
  /** Roots named in the spec that do not exist on the host. */
  missingRoots: string[];
}

export function selectDatasets(source: SourceSpec, host: HostState): Selection {
  const excluded = source.exclude.map(compileGlob);
  const isExcluded = (name: string) => excluded.some((m) => m(name));
  const picked = new Set<string>();
  const missingRoots: string[] = [];
  for (const root of source.datasets) {
    if (!host.datasets.has(root)) {
      missingRoots.push(root);
      continue;
    }
    if (!source.recursive) {
      if (!isExcluded(root)) picked.add(root);
      continue;
    }
    for (const name of host.datasets.keys()) {
      if (isWithin(name, root) && !isExcluded(name)) picked.add(name);
    }
  }
  return { datasets: [...picked].sort(compareDatasetNames), missingRoots };
}

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
