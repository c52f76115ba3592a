// The batched state read: one zfs call per host lists every filesystem, volume and snapshot of
// the pools involved, with the properties the planner needs. OpenZFS: `zfs list -H -p` (one
// line per object). Legacy ZFS has no `list -p`, so `zfs get -H -p -r` (one line per property).
import type { Capabilities, Dataset, Snapshot } from '../types.js';
import { PLACEHOLDER_PROPERTY } from './commands.js';

type Column = 'name' | 'type' | 'guid' | 'createtxg' | 'creation' | 'origin' | 'referenced' | 'written' | 'receive_resume_token' | typeof PLACEHOLDER_PROPERTY;

export function stateColumns(caps: Capabilities): Column[] {
  const cols: Column[] = ['name', 'type', 'guid', 'createtxg', 'creation', 'origin', 'referenced'];
  if (caps.written) cols.push('written');
  if (caps.resumable) cols.push('receive_resume_token');
  cols.push(PLACEHOLDER_PROPERTY);
  return cols;
}

export function stateReadArgv(zfs: string, caps: Capabilities, pools: readonly string[]): string[] {
  const cols = stateColumns(caps);
  if (caps.listParsable) {
    return [zfs, 'list', '-H', '-p', '-t', 'filesystem,volume,snapshot', '-o', cols.join(','), '-r', ...pools];
  }
  return [zfs, 'get', '-H', '-p', '-r', '-o', 'name,property,value', cols.filter((c) => c !== 'name').join(','), ...pools];
}

/** Mutable accumulator while parsing; snapshots may be listed before their dataset. */
class Builder {
  readonly datasets = new Map<string, Dataset>();
  private readonly orphans = new Map<string, Snapshot[]>();

  addDataset(d: Dataset): void {
    const early = this.orphans.get(d.name);
    if (early) {
      d.snapshots.push(...early);
      this.orphans.delete(d.name);
    }
    this.datasets.set(d.name, d);
  }
  addSnapshot(dataset: string, s: Snapshot): void {
    const d = this.datasets.get(dataset);
    if (d) d.snapshots.push(s);
    else {
      const list = this.orphans.get(dataset);
      if (list) list.push(s);
      else this.orphans.set(dataset, [s]);
    }
  }
  finish(): Map<string, Dataset> {
    for (const d of this.datasets.values()) {
      const snaps = d.snapshots;
      for (let i = 1; i < snaps.length; i++) {
        if (snaps[i - 1]!.createtxg > snaps[i]!.createtxg) {
          snaps.sort((a, b) => a.createtxg - b.createtxg);
          break;
        }
      }
    }
    return this.datasets;
  }
}

const num = (v: string | undefined): number | undefined => (v === undefined || v === '-' || v === '' ? undefined : Number(v));
const str = (v: string | undefined): string | undefined => (v === undefined || v === '-' || v === '' ? undefined : v);

function record(b: Builder, name: string, get: (col: Column) => string | undefined): void {
  const at = name.indexOf('@');
  if (at >= 0) {
    if (name.includes('#')) return;
    const snap: Snapshot = {
      name: name.slice(at + 1),
      guid: get('guid') ?? '',
      createtxg: num(get('createtxg')) ?? 0,
      creation: num(get('creation')) ?? 0,
    };
    const referenced = num(get('referenced'));
    if (referenced !== undefined) snap.referenced = referenced;
    const written = num(get('written'));
    if (written !== undefined) snap.written = written;
    b.addSnapshot(name.slice(0, at), snap);
    return;
  }
  const type = get('type');
  if (type !== 'filesystem' && type !== 'volume') return;
  const d: Dataset = {
    name,
    type,
    guid: get('guid') ?? '',
    createtxg: num(get('createtxg')) ?? 0,
    creation: num(get('creation')) ?? 0,
    // The marker is a user property, so children inherit it: it counts only where its value names the dataset itself.
    placeholder: get(PLACEHOLDER_PROPERTY) === name,
    snapshots: [],
  };
  const origin = str(get('origin'));
  if (origin) d.origin = origin;
  const referenced = num(get('referenced'));
  if (referenced !== undefined) d.referenced = referenced;
  const written = num(get('written'));
  if (written !== undefined) d.written = written;
  const token = str(get('receive_resume_token'));
  if (token) d.resumeToken = token;
  b.addDataset(d);
}

/** Parses `zfs list -H -p -o <stateColumns>` output. */
export function parseListOutput(text: string, columns: readonly Column[]): Map<string, Dataset> {
  const b = new Builder();
  const index: Partial<Record<Column, number>> = {};
  columns.forEach((c, i) => (index[c] = i));
  // One accessor over the current line's fields, not a closure per line (2M lines at scale).
  let fields: string[] = [];
  const at = (c: Column): string | undefined => {
    const i = index[c];
    return i === undefined ? undefined : fields[i];
  };
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      fields = text.slice(start, end).split('\t');
      const name = fields[0];
      if (name) record(b, name, at);
    }
    start = end + 1;
  }
  return b.finish();
}

/** Parses `zfs get -H -p -r -o name,property,value` output (lines grouped by object). */
export function parseGetOutput(text: string): Map<string, Dataset> {
  const b = new Builder();
  let currentName: string | undefined;
  let props = new Map<string, string>();
  const flush = () => {
    if (currentName !== undefined) record(b, currentName, (c) => props.get(c));
  };
  for (const line of text.split('\n')) {
    if (!line) continue;
    const t2 = line.lastIndexOf('\t');
    const t1 = line.lastIndexOf('\t', t2 - 1);
    if (t1 < 0 || t2 < 0) continue;
    const name = line.slice(0, t1);
    if (name !== currentName) {
      flush();
      currentName = name;
      props = new Map();
    }
    props.set(line.slice(t1 + 1, t2), line.slice(t2 + 1));
  }
  flush();
  return b.finish();
}

export function parseStateOutput(text: string, caps: Capabilities): Map<string, Dataset> {
  return caps.listParsable ? parseListOutput(text, stateColumns(caps)) : parseGetOutput(text);
}
