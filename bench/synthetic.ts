// Synthetic zfs state listings for the read + plan benchmark, in either form the state read
// uses: `zfs list -H -p -o <stateColumns>` (OpenZFS: one line per object) or
// `zfs get -H -p -o name,property,value <stateColumns but name>` (legacy ZFS without `list -p`:
// one line per property of each object, in the order asked, `-` where it does not apply).
//
// One host with two pools, as the state read of a pair on one host lists them:
//   tank                          the source: `tank`, `tank/gNN`, `tank/gNN/dNNN`
//   backup/copy                   the target root
//   backup/copy/tank/...          a replica of every source dataset
//   backup                        the target root's ancestor, listed on its own
// Every source dataset has `snapshots` snapshots (taken with -r: one txg per snapshot across
// datasets); its replica holds the first `replicated` of them with the same GUIDs, so the plan
// has one incremental send per dataset. Output order is zfs's: each dataset followed by its
// snapshots (oldest first) and then its children.
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

/** The spec the benchmark plans: `tank` (recursive) -> `backup/copy`, both on `host`, whose `hosts:` entry is `hostEntry`. */
export function benchSpec(host: string, hostEntry: string): string {
  return `version: 1
hosts:
  ${host}: ${hostEntry}
sources:
  tank: { host: ${host}, datasets: [${SOURCE_POOL}] }
targets:
  copy: { host: ${host}, dataset: ${TARGET_ROOT} }
replicate:
  - { from: tank, to: copy }
`;
}

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

export type ListingForm = 'list' | 'get';

export const formOf = (caps: Capabilities): ListingForm => (caps.listParsable ? 'list' : 'get');

export interface SyntheticFiles {
  /** What zfs prints for the state read's `-r` call (`backup/copy` and `tank`, with descendants). */
  tree: string;
  /** What it prints for the call listing the ancestor `backup` on its own. */
  self: string;
}

export interface SyntheticStats {
  form: ListingForm;
  /** Output lines of both calls. */
  lines: number;
  /** Objects (datasets and snapshots) listed, per side; the target side includes `backup`. */
  objects: { source: number; target: number };
  datasets: number;
  snapshotsPerSide: { source: number; target: number };
  /** Bytes of both calls' output. */
  bytes: number;
}

/** Buffered writes of one output file. */
class Out {
  private readonly fd: number;
  private buf: string[] = [];
  private len = 0;
  lines = 0;
  bytes = 0;
  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }
  write(line: string): void {
    this.buf.push(line);
    this.len += line.length;
    this.lines++;
    if (this.len > 1 << 20) this.flush();
  }
  private flush(): void {
    const chunk = this.buf.join('');
    writeSync(this.fd, chunk);
    this.bytes += Buffer.byteLength(chunk);
    this.buf = [];
    this.len = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Writes what zfs prints for the state read's calls, for the form and exactly the columns
 * `caps` implies (`stateColumns(caps)`): `files.tree` for the `-r` call, `files.self` for `backup`.
 */
export function writeSynthetic(files: SyntheticFiles, shape: Shape, caps: Capabilities): SyntheticStats {
  const form = formOf(caps);
  const columns = stateColumns(caps);
  const props = columns.filter((c) => c !== 'name');
  const datasets = sourceDatasets(shape);
  const snapNames: string[] = [];
  for (let k = 0; k < shape.snapshots; k++) snapNames.push(`zfsync_${stamp(BASE_TIME + k * 3600)}`);

  const tree = new Out(files.tree);
  const self = new Out(files.self);
  const objects = { source: 0, target: 0 };
  // Values of properties that do not apply (origin of a snapshot, an unset user property) are `-`, in both forms.
  const object = (out: Out, side: 'source' | 'target', values: Record<string, string>) => {
    objects[side]++;
    if (form === 'list') {
      out.write(columns.map((c) => values[c] ?? '-').join('\t') + '\n');
    } else {
      const name = values.name!;
      for (const p of props) out.write(`${name}\t${p}\t${values[p] ?? '-'}\n`);
    }
  };
  const fs = (out: Out, side: 'source' | 'target', name: string, g: string, txg: number, written: number) =>
    object(out, side, { name, type: 'filesystem', guid: g, createtxg: String(txg), creation: String(BASE_TIME - 86400 + txg), referenced: '1048576', written: String(written) });

  // The target pool on its own; its txgs are its own, its snapshot GUIDs the source's.
  fs(self, 'target', TARGET_POOL, guid(0, 1_000_001), 1, 0);
  fs(tree, 'target', TARGET_ROOT, guid(0, 1_000_002), 2, 0);
  datasets.forEach((name, i) => {
    // Unmodified replicas: written 0, else the plan would report divergence.
    fs(tree, 'target', `${TARGET_ROOT}/${name}`, guid(i, 2_000_000), 10 + i, 0);
    for (let k = 0; k < shape.replicated; k++) {
      object(tree, 'target', {
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
    fs(tree, 'source', name, guid(i, 3_000_000), 10 + i, 8192);
    for (let k = 0; k < shape.snapshots; k++) {
      object(tree, 'source', {
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
  tree.close();
  self.close();
  return {
    form,
    lines: tree.lines + self.lines,
    objects,
    datasets: datasets.length,
    snapshotsPerSide: { source: datasets.length * shape.snapshots, target: datasets.length * shape.replicated },
    bytes: tree.bytes + self.bytes,
  };
}
