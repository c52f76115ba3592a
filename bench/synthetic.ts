// Synthetic `zfs list -H -p` output in the OpenZFS format, for the read + plan benchmark.
//
// One host (`local`) with two pools, as the state read of a local pair lists them in one call:
//   tank                          the source: `tank`, `tank/gNN`, `tank/gNN/dNNN`
//   backup, backup/copy           the target root
//   backup/copy/tank/...          a replica of every source dataset
// Every source dataset has `snapshots` snapshots (taken with -r: one txg per snapshot across
// datasets); its replica holds the first `replicated` of them with the same GUIDs, so the plan
// has one incremental send per dataset. Output order is zfs's: pools sorted, each dataset
// followed by its snapshots (oldest first) and then its children.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Capabilities } from '../src/types.js';
import { stateColumns } from '../src/zfs/state-read.js';

export interface Shape {
  /** `tank/gNN` datasets. */
  groups: number;
  /** `tank/gNN/dNNN` datasets under each group. */
  childrenPerGroup: number;
  snapshots: number;
  /** How many of each dataset's snapshots (the oldest) the target holds. */
  replicated: number;
}

/** 10,000 datasets x 100 snapshots per side (scale 1), or 1,000 x 100 (scale 0.1). */
export function shapeFor(scale: 'full' | 'tenth'): Shape {
  return scale === 'full'
    ? { groups: 99, childrenPerGroup: 100, snapshots: 100, replicated: 99 } // 1 + 99 * 101 = 10,000
    : { groups: 9, childrenPerGroup: 110, snapshots: 100, replicated: 99 }; // 1 + 9 * 111 = 1,000
}

export const datasetCount = (s: Shape): number => 1 + s.groups * (1 + s.childrenPerGroup);

export const SOURCE_POOL = 'tank';
export const TARGET_POOL = 'backup';
export const TARGET_ROOT = 'backup/copy';

/** The spec the benchmark plans: `tank` (recursive) -> `backup/copy`, both on host local. */
export const BENCH_SPEC = `version: 1
sources:
  tank:
    datasets: [tank]
targets:
  copy:
    dataset: ${TARGET_ROOT}
replicate:
  - { from: tank, to: copy }
`;

/** The source datasets in zfs's listing order (parents first, children sorted). */
function sourceDatasets(s: Shape): string[] {
  const out = [SOURCE_POOL];
  for (let g = 0; g < s.groups; g++) {
    const group = `${SOURCE_POOL}/g${String(g).padStart(2, '0')}`;
    out.push(group);
    for (let c = 0; c < s.childrenPerGroup; c++) out.push(`${group}/d${String(c).padStart(3, '0')}`);
  }
  return out;
}

/** 32-bit integer hash (a murmur3 finaliser). */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A deterministic 64-bit GUID, as zfs prints it (decimal), for (dataset index, salt). */
function guid(index: number, salt: number): string {
  const hi = mix(index * 0x9e3779b1 + salt * 0x7feb352d + 1);
  const lo = mix(hi ^ (index + 0x632be5ab * (salt + 7)));
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

const BASE_TIME = Date.UTC(2025, 0, 1) / 1000;
const stamp = (unix: number): string => new Date(unix * 1000).toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';

export interface SyntheticStats {
  lines: number;
  sourceLines: number;
  targetLines: number;
  datasets: number;
  snapshotsPerSide: { source: number; target: number };
  bytes: number;
}

/**
 * Writes the listing of `backup` and `tank` (in that order, as `zfs list -r backup tank`
 * prints them) to `file`, with exactly the columns of `stateColumns(caps)`.
 */
export function writeSynthetic(file: string, shape: Shape, caps: Capabilities): SyntheticStats {
  const columns = stateColumns(caps);
  const datasets = sourceDatasets(shape);
  const snapNames: string[] = [];
  for (let k = 0; k < shape.snapshots; k++) snapNames.push(`zfsync_${stamp(BASE_TIME + k * 3600)}`);

  const fd = openSync(file, 'w');
  let buf: string[] = [];
  let bufLen = 0;
  let bytes = 0;
  const counts = { source: 0, target: 0 };
  const flush = () => {
    const chunk = buf.join('');
    writeSync(fd, chunk);
    bytes += Buffer.byteLength(chunk);
    buf = [];
    bufLen = 0;
  };
  const line = (side: 'source' | 'target', values: Record<string, string>) => {
    const l = columns.map((c) => values[c] ?? '-').join('\t') + '\n';
    buf.push(l);
    bufLen += l.length;
    counts[side]++;
    if (bufLen > 1 << 20) flush();
  };
  const fs = (side: 'source' | 'target', name: string, g: string, txg: number, written: number) =>
    line(side, { name, type: 'filesystem', guid: g, createtxg: String(txg), creation: String(BASE_TIME - 86400 + txg), referenced: '1048576', written: String(written) });

  // Target pool first (`backup` < `tank`); its txgs are its own, its snapshot GUIDs the source's.
  fs('target', TARGET_POOL, guid(0, 1_000_001), 1, 0);
  fs('target', TARGET_ROOT, guid(0, 1_000_002), 2, 0);
  datasets.forEach((name, i) => {
    // Unmodified replicas: written 0, else the plan would report divergence.
    fs('target', `${TARGET_ROOT}/${name}`, guid(i, 2_000_000), 10 + i, 0);
    for (let k = 0; k < shape.replicated; k++) {
      line('target', {
        name: `${TARGET_ROOT}/${name}@${snapNames[k]!}`,
        type: 'snapshot',
        guid: guid(i, k),
        createtxg: String(20_000 + k * 10_000 + i),
        creation: String(BASE_TIME + k * 3600 + 60),
        referenced: '1048576',
        written: String(4096 * (1 + (k % 7))),
      });
    }
  });
  datasets.forEach((name, i) => {
    fs('source', name, guid(i, 3_000_000), 10 + i, 8192);
    for (let k = 0; k < shape.snapshots; k++) {
      line('source', {
        name: `${name}@${snapNames[k]!}`,
        type: 'snapshot',
        guid: guid(i, k),
        createtxg: String(100_000 + k * 100), // -r snapshots: one txg across datasets
        creation: String(BASE_TIME + k * 3600),
        referenced: '1048576',
        written: String(4096 * (1 + (k % 7))),
      });
    }
  });
  flush();
  closeSync(fd);
  return {
    lines: counts.source + counts.target,
    sourceLines: counts.source,
    targetLines: counts.target,
    datasets: datasets.length,
    snapshotsPerSide: { source: datasets.length * shape.snapshots, target: datasets.length * shape.replicated },
    bytes,
  };
}
