// The status of one (source dataset, target dataset) pair, from the state alone.
import { newestCommonSnapshot } from '../plan/replicate.js';
import { ownSnapshotTime } from '../plan/snapshot-names.js';
import type { Dataset, Snapshot } from '../types.js';
import type { CommonSnapshot, DatasetStatus, SnapshotCounts, StatusConflict } from './types.js';

function counts(prefix: string, snapshots: readonly Snapshot[]): SnapshotCounts {
  let own = 0;
  for (const s of snapshots) if (ownSnapshotTime(prefix, s.name) !== undefined) own++;
  return { own, all: snapshots.length };
}

export interface DatasetInput {
  prefix: string;
  source: Dataset;
  targetName: string;
  target: Dataset | undefined;
  conflicts: StatusConflict[];
  nowSec: number;
  maxLagSeconds: number | null;
  /** Which source snapshots the pair replicates (pending counts only those). */
  travels: (name: string) => boolean;
}

export function datasetStatus(d: DatasetInput): DatasetStatus {
  const sourceSnaps = d.source.snapshots;
  const targetSnaps = d.target?.snapshots ?? [];
  const match = newestCommonSnapshot(sourceSnaps, targetSnaps);
  let common: CommonSnapshot | null = null;
  let lagSeconds: number | null = null;
  if (match) {
    const s = sourceSnaps[match.sourceIndex]!;
    const named = ownSnapshotTime(d.prefix, s.name);
    const at = named ?? s.creation;
    common = { name: s.name, guid: s.guid, time: new Date(at * 1000).toISOString().replace('.000Z', 'Z'), timeFrom: named !== undefined ? 'name' : 'creation' };
    // A snapshot stamped ahead of this clock (skew between hosts) is not lag.
    lagSeconds = Math.max(0, d.nowSec - at);
  }
  const pending = sourceSnaps.slice(match ? match.sourceIndex + 1 : 0).filter((s) => d.travels(s.name)).length;
  const behind = d.maxLagSeconds !== null && (lagSeconds === null || lagSeconds > d.maxLagSeconds);
  return {
    source: d.source.name,
    target: d.targetName,
    targetExists: d.target !== undefined,
    common,
    lagSeconds,
    pending,
    snapshots: { source: counts(d.prefix, sourceSnaps), target: counts(d.prefix, targetSnaps) },
    conflicts: d.conflicts,
    behind,
  };
}
