// Builds planner input by hand: hosts, datasets and snapshots with controllable guids,
// createtxgs and creation times.
import type { Capabilities, Dataset, HostState, Snapshot, State } from '../../src/types.js';

export const LEGACY: Capabilities = {
  implementation: 'legacy',
  listParsable: false,
  multiSnapshot: false,
  receiveNoMount: false,
  receiveProperties: false,
  resumable: false,
  written: false,
  bookmarks: false,
  holds: false,
  multiDestroy: false,
  rawSend: false,
  compressedSend: false,
  largeBlocks: false,
  encryption: false,
  sendEstimate: false,
  tools: { zstd: false, lz4: false, gzip: true, mbuffer: false, pv: false, ddProgress: true, rsync: true },
};

export const OPENZFS: Capabilities = {
  implementation: 'openzfs',
  version: '2.1.11-1',
  listParsable: true,
  multiSnapshot: true,
  receiveNoMount: true,
  receiveProperties: true,
  resumable: true,
  written: true,
  bookmarks: true,
  holds: true,
  multiDestroy: true,
  rawSend: true,
  compressedSend: true,
  largeBlocks: true,
  encryption: true,
  sendEstimate: true,
  tools: { zstd: true, lz4: true, gzip: true, mbuffer: true, pv: false, ddProgress: true, rsync: true },
};

let guidCounter = 1000n;
const nextGuid = () => String(++guidCounter * 7919n + 18000000000000000000n);

export interface SnapOpts {
  guid?: string;
  creation?: number;
  written?: number;
  referenced?: number;
}

export class HostBuilder {
  readonly datasets = new Map<string, Dataset>();
  private txg = 100;
  constructor(
    readonly host: string,
    readonly capabilities: Capabilities = LEGACY,
  ) {}

  /** Adds a filesystem and any missing ancestors. */
  fs(name: string, extra: Partial<Dataset> = {}): this {
    const parts = name.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const n = parts.slice(0, i).join('/');
      if (!this.datasets.has(n)) {
        this.datasets.set(n, { name: n, type: 'filesystem', guid: nextGuid(), createtxg: ++this.txg, creation: 1_700_000_000, placeholder: false, snapshots: [] });
      }
    }
    Object.assign(this.datasets.get(name)!, extra);
    return this;
  }

  snap(dataset: string, name: string, opts: SnapOpts = {}): this {
    const d = this.datasets.get(dataset);
    if (!d) throw new Error(`no dataset ${dataset}`);
    const s: Snapshot = { name, guid: opts.guid ?? nextGuid(), createtxg: ++this.txg, creation: opts.creation ?? 1_700_000_000 + this.txg };
    if (opts.written !== undefined) s.written = opts.written;
    if (opts.referenced !== undefined) s.referenced = opts.referenced;
    d.snapshots.push(s);
    return this;
  }

  /** Copies the named snapshots of `from` (same guids) onto `to` here, as a receive would. */
  received(to: string, fromHost: HostBuilder, from: string, names: string[]): this {
    this.fs(to);
    const src = fromHost.datasets.get(from)!;
    for (const n of names) {
      const s = src.snapshots.find((x) => x.name === n);
      if (!s) throw new Error(`no snapshot ${from}@${n}`);
      this.snap(to, n, { guid: s.guid, creation: s.creation });
    }
    return this;
  }

  get(name: string): Dataset {
    return this.datasets.get(name)!;
  }

  build(): HostState {
    return { host: this.host, capabilities: this.capabilities, roots: [...new Set([...this.datasets.keys()].map((n) => n.split('/')[0]!))], missing: [], datasets: this.datasets };
  }
}

export function stateOf(...hosts: HostBuilder[]): State {
  return { hosts: Object.fromEntries(hosts.map((h) => [h.host, h.build()])) };
}
