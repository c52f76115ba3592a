// Which source snapshots a pair replicates: zfsync's own (by prefix) and those its
// `replicate[].snapshots` globs name. The rest never become a send's `to` and are stepped over.
import type { PairSpec } from '../types.js';

function snapshotGlob(pattern: string): RegExp {
  const body = pattern.replace(/[\\^$.+()[\]{}|/-]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`, 's');
}

export type Travels = (snapshotName: string) => boolean;

export function travelFilter(prefix: string, pair: Pick<PairSpec, 'snapshots'>): Travels {
  if (pair.snapshots.includes('*')) return () => true;
  const globs = pair.snapshots.map(snapshotGlob);
  return (name) => name.startsWith(prefix) || globs.some((g) => g.test(name));
}

/**
 * Whether a snapshot name is evidence that it came from this pair's source: zfsync's own, or
 * named by a pattern that is not the catch-all `*` (under which any snapshot made on the target
 * would match too).
 */
export function namedByPair(prefix: string, pair: Pick<PairSpec, 'snapshots'>): Travels {
  const globs = pair.snapshots.filter((p) => p !== '*').map(snapshotGlob);
  return (name) => name.startsWith(prefix) || globs.some((g) => g.test(name));
}

/** `zfsync's own (zfsync_*)`, `zfsync's own (zfsync_*) and autosnap_*`, `every snapshot`. */
export function describeTravel(prefix: string, pair: Pick<PairSpec, 'snapshots'>): string {
  if (pair.snapshots.includes('*')) return 'every snapshot';
  const own = `zfsync's own (${prefix}*)`;
  return pair.snapshots.length ? `${own} and ${pair.snapshots.join(', ')}` : own;
}
