// What `zfsync status` reports: plain data, rendered as text or as the versioned JSON document.

export interface SnapshotCounts {
  /** zfsync's own snapshots (`<prefix>_<stamp>`). */
  own: number;
  all: number;
}

export interface StatusConflict {
  message: string;
  resolution: string;
}

export interface CommonSnapshot {
  name: string;
  guid: string;
  /** ISO time of the snapshot: from zfsync's own name where it has one, else its `creation`. */
  time: string;
  timeFrom: 'name' | 'creation';
}

export interface DatasetStatus {
  source: string;
  target: string;
  targetExists: boolean;
  /** The newest snapshot both sides hold (matched by GUID); null when never replicated. */
  common: CommonSnapshot | null;
  /** now minus the common snapshot's time (never negative); null when never replicated. */
  lagSeconds: number | null;
  /** Source snapshots newer than the common one (all of them when there is none) that the pair replicates. */
  pending: number;
  snapshots: { source: SnapshotCounts; target: SnapshotCounts };
  conflicts: StatusConflict[];
  /** With a max lag: lag above it, or never replicated. */
  behind: boolean;
}

export interface PairStatus {
  /** `from -> to`, as the plan names pairs. */
  pair: string;
  from: string;
  to: string;
  sourceHost: string;
  targetHost: string;
  /** The target dataset the pair's copies land under. */
  targetRoot: string;
  /** A host of this pair that could not be reached: nothing is known about its datasets. */
  unreachable: { host: string; error: string } | null;
  /** Conflicts that belong to no single dataset (a missing source root, a missing pool). */
  conflicts: StatusConflict[];
  datasets: DatasetStatus[];
}

export interface StatusSummary {
  pairs: number;
  datasets: number;
  neverReplicated: number;
  behind: number;
  conflicts: number;
  unreachableHosts: string[];
}

export interface StatusReport {
  generatedAt: string;
  /** Seconds; null when no --max-lag was given. */
  maxLagSeconds: number | null;
  pairs: PairStatus[];
  summary: StatusSummary;
}
