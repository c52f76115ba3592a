// The validated YAML (snake_case, defaults filled by the schema) into the `Spec` model.
import type { HostSpec, PairSpec, RebaseSpec, RetentionSpec, SourceSpec, Spec, SshSpec, TargetSpec, TransportSpec } from '../types.js';
import { parseDuration } from './duration.js';

interface RawHost {
  ssh?: { host: string; port?: number; user?: string; identity?: string; known_hosts?: string; host_key?: string; connect_timeout: string; ciphers?: string[] };
  sudo: boolean;
  zfs: string;
}

interface RawSource {
  host: string;
  datasets?: string[];
  recursive: boolean;
  exclude: string[];
  property?: string;
  snapshot_every?: string;
  retention?: RetentionSpec;
}

interface RawTarget {
  host: string;
  dataset: string;
  strip_path: number;
  initial: 'newest' | 'all';
  retention?: RetentionSpec;
  receive: { readonly: boolean; mount: boolean; properties: Record<string, string>; exclude_properties: string[] };
  on_divergence: 'refuse' | 'rollback';
}

export interface RawRebaseGroup {
  host: string;
  base: string;
  datasets: string[];
  keep_originals: 'suffix' | 'destroy';
  suffix: string;
  seed: string;
  replace: boolean;
  rebuild_base: boolean;
}

interface RawPair {
  from: string;
  to: string;
  transport: { compress: TransportSpec['compress']; buffer: string; bandwidth_limit?: string };
  snapshots?: string[];
  send: { raw: 'auto' | boolean; compressed: 'auto' | boolean; large_blocks: 'auto' | boolean; embedded: 'auto' | boolean };
}

/** The spec as written, after the schema accepted it and filled in its defaults. */
export interface RawSpec {
  version: 1;
  hosts: Record<string, RawHost>;
  snapshots: { prefix: string };
  sources: Record<string, RawSource>;
  targets: Record<string, RawTarget>;
  replicate: RawPair[];
  rebase?: Record<string, RawRebaseGroup>;
}

function mapValues<T, U>(record: Record<string, T>, fn: (value: T, name: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name, fn(value, name)]));
}

function host(raw: RawHost, name: string): HostSpec {
  const spec: HostSpec = { name, sudo: raw.sudo, zfs: raw.zfs };
  if (raw.ssh) {
    const ssh: SshSpec = { host: raw.ssh.host, connectTimeout: parseDuration(raw.ssh.connect_timeout) };
    if (raw.ssh.port !== undefined) ssh.port = raw.ssh.port;
    if (raw.ssh.host_key !== undefined) ssh.hostKey = raw.ssh.host_key;
    if (raw.ssh.ciphers !== undefined) ssh.ciphers = [...raw.ssh.ciphers];
    if (raw.ssh.user !== undefined) ssh.user = raw.ssh.user;
    if (raw.ssh.identity !== undefined) ssh.identity = raw.ssh.identity;
    if (raw.ssh.known_hosts !== undefined) ssh.knownHosts = raw.ssh.known_hosts;
    spec.ssh = ssh;
  }
  return spec;
}

/** `128M` -> bytes (binary units). */
export function parseSize(text: string): number {
  const m = /^(\d+)([KMG]?)$/.exec(text);
  if (!m) throw new Error(`parseSize: ${text}`);
  return Number(m[1]) * 1024 ** ' KMG'.indexOf(m[2] || ' ');
}

function pair(raw: RawPair, from: RawSource | undefined): PairSpec {
  const transport: TransportSpec = {
    compress: raw.transport.compress,
    bufferBytes: raw.transport.buffer === 'none' ? 0 : parseSize(raw.transport.buffer),
  };
  if (raw.transport.bandwidth_limit !== undefined) transport.bandwidthLimit = parseSize(raw.transport.bandwidth_limit);
  const { raw: rawFlag, compressed, large_blocks: largeBlocks, embedded } = raw.send;
  // A source that takes no snapshots of its own replicates what others make (sanoid, an admin).
  const snapshots = raw.snapshots ?? (from !== undefined && from.snapshot_every === undefined ? ['*'] : []);
  return { from: raw.from, to: raw.to, transport, snapshots: [...snapshots], send: { raw: rawFlag, compressed, largeBlocks, embedded } };
}

function rebaseGroup(raw: RawRebaseGroup, name: string): RebaseSpec {
  const at = raw.base.indexOf('@');
  return {
    name,
    host: raw.host,
    base: { dataset: raw.base.slice(0, at), snapshot: raw.base.slice(at + 1) },
    seed: raw.seed,
    datasets: [...raw.datasets],
    replace: raw.replace,
    keepOriginals: raw.keep_originals,
    suffix: raw.suffix,
    rebuildBase: raw.rebuild_base,
  };
}

function source(raw: RawSource, name: string): SourceSpec {
  const spec: SourceSpec = {
    name,
    host: raw.host,
    datasets: [...(raw.datasets ?? [])],
    recursive: raw.recursive,
    exclude: [...raw.exclude],
  };
  if (raw.snapshot_every !== undefined) spec.snapshotEvery = parseDuration(raw.snapshot_every);
  if (raw.property !== undefined) spec.property = raw.property;
  if (raw.retention !== undefined) spec.retention = { ...raw.retention };
  return spec;
}

function target(raw: RawTarget, name: string): TargetSpec {
  const spec: TargetSpec = {
    name,
    host: raw.host,
    dataset: raw.dataset,
    stripPath: raw.strip_path,
    initial: raw.initial,
    receive: {
      readonly: raw.receive.readonly,
      mount: raw.receive.mount,
      properties: Object.fromEntries(Object.entries(raw.receive.properties)),
      excludeProperties: [...raw.receive.exclude_properties],
    },
    onDivergence: raw.on_divergence,
  };
  if (raw.retention !== undefined) spec.retention = { ...raw.retention };
  return spec;
}

export function normalise(raw: RawSpec, file: string, hash: string): Spec {
  const { local, ...others } = raw.hosts;
  return {
    version: 1,
    file,
    hash,
    hosts: { local: host(local ?? { sudo: false, zfs: 'zfs' }, 'local'), ...mapValues(others, host) },
    snapshots: { prefix: raw.snapshots.prefix },
    sources: mapValues(raw.sources, source),
    targets: mapValues(raw.targets, target),
    replicate: raw.replicate.map((p) => pair(p, raw.sources[p.from])),
    rebase: mapValues(raw.rebase ?? {}, rebaseGroup),
  };
}
