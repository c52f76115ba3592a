// Every zfs command line zfsync runs is built here, as an argv (never a shell string).
import type { Capabilities, ReceiveOptions, SendFlags, StreamAction } from '../types.js';

/** Marks an empty dataset zfsync created to receive a full stream into; its value is the dataset's own name. */
export const PLACEHOLDER_PROPERTY = 'zfsync:placeholder';

export const snap = (dataset: string, name: string): string => `${dataset}@${name}`;
export const bookmarkName = (dataset: string, name: string): string => `${dataset}#${name}`;

/** On a held snapshot: the space-separated tags of zfsync's holds on it (the state read lists it). */
export const HOLDS_PROPERTY = 'zfsync:holds';
/** On a held snapshot, one per tag: what the tag stands for (for people; zfsync never reads it). */
export const holdMeaningProperty = (tag: string): string => `zfsync:hold:${tag}`;

export function snapshotArgv(zfs: string, names: readonly string[], recursive: boolean): string[] {
  return [zfs, 'snapshot', ...(recursive ? ['-r'] : []), ...names];
}

/**
 * A missing parent: never mounted, inherits mountpoint and encryption. It carries no placeholder
 * marker: a parent is created only for what the same plan lands below it, so it never stays an
 * empty placeholder, and its children would inherit the marker.
 */
export function createParentArgv(zfs: string, dataset: string, properties: Record<string, string>): string[] {
  const props = Object.entries(properties).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
  return [zfs, 'create', ...props, dataset];
}

export function guidsArgv(zfs: string, snapshots: readonly string[]): string[] {
  return [zfs, 'get', '-H', '-p', '-o', 'name,value', 'guid', ...snapshots];
}

export function parseGuids(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const tab = line.lastIndexOf('\t');
    if (tab > 0) out.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return out;
}

export interface SendSpec {
  dataset: string;
  to: string;
  from?: string;
  /** The dataset `from` belongs to when it is not `dataset` (a clone's origin). */
  fromDataset?: string;
  /** `from` is a bookmark: `send -i ds#from` (`-I` takes no bookmark). */
  fromBookmark?: boolean;
  intermediates: boolean;
  flags?: SendFlags;
  /** Resume an interrupted receive: `zfs send -t <token>` and nothing else (the token names the snapshots and carries the flags). */
  token?: string;
}

/** What a planned send streams; the real send and its size estimate are both built from this. */
export function sendSpecOf(a: StreamAction): SendSpec {
  if (a.kind === 'resume') return { dataset: a.source.dataset, to: a.to.name, intermediates: false, token: a.token };
  const s: SendSpec = { dataset: a.source.dataset, to: a.to.name, intermediates: a.intermediates };
  if (a.from) s.from = a.from.name;
  if (a.origin !== undefined) s.fromDataset = a.origin;
  if (a.from?.bookmark) s.fromBookmark = true;
  if (a.flags) s.flags = a.flags;
  return s;
}

/** `-w`, or `-L -e -c` as chosen: raw already sends blocks as they are on disk, so it takes none of the others. */
export function sendFlagArgs(f: SendFlags | undefined): string[] {
  if (!f) return [];
  if (f.raw) return ['-w'];
  return [f.largeBlocks && '-L', f.embedded && '-e', f.compressed && '-c'].filter((x): x is string => typeof x === 'string');
}

/** The options `zfs send` gets for this stream (everything after `send`). */
function sendOptions(s: SendSpec): string[] {
  if (s.token !== undefined) return ['-t', s.token];
  const args: string[] = sendFlagArgs(s.flags);
  // A clone's origin is named in full (`pool/base@gold`): zfs takes it as the base of the clone's stream.
  if (s.from !== undefined && s.fromBookmark) args.push('-i', bookmarkName(s.fromDataset ?? s.dataset, s.from));
  else if (s.from !== undefined) args.push(s.intermediates ? '-I' : '-i', snap(s.fromDataset ?? s.dataset, s.from));
  args.push(snap(s.dataset, s.to));
  return args;
}

export function sendArgv(zfs: string, s: SendSpec): string[] {
  return [zfs, 'send', ...sendOptions(s)];
}

/**
 * The dry run of exactly that send (the zfs arguments, without the zfs command): `-n` writes
 * no stream, `-P` prints `size\t<bytes>`. Never `-v`, and never on the real send.
 */
export function sendEstimateArgs(s: SendSpec): string[] {
  return ['send', '-n', '-P', ...sendOptions(s)];
}

/** Properties a received dataset gets when zfsync does not mount it. */
function receiveProps(r: ReceiveOptions): string[] {
  const props: string[] = [];
  if (r.readonly) props.push('readonly=on');
  if (!r.mount) props.push('canmount=noauto');
  return props;
}

/**
 * OpenZFS: `recv -u -o readonly=on -o canmount=noauto` does it in one step. Legacy ZFS has neither
 * -u nor -o: a full stream goes into a placeholder created beforehand with those properties
 * (see placeholderArgv), which `recv -F` keeps and does not mount.
 */
export function receiveArgv(zfs: string, caps: Capabilities, target: string, r: ReceiveOptions, full: boolean): string[] {
  const argv = [zfs, 'receive'];
  if (r.resumable) argv.push('-s');
  if (r.force || r.placeholder) argv.push('-F');
  if (!r.mount && caps.receiveNoMount) argv.push('-u');
  if (caps.receiveProperties) {
    // The spec's own properties go with every receive, so a changed spec reaches existing replicas at their next one.
    if (full && r.placeholder !== 'create') for (const p of receiveProps(r)) argv.push('-o', p);
    for (const [k, v] of Object.entries(r.properties ?? {})) argv.push('-o', `${k}=${v}`);
    for (const k of r.exclude ?? []) argv.push('-x', k);
  }
  argv.push(target);
  return argv;
}

/** Legacy ZFS (no `recv -o`): the spec's receive properties, set after each receive, one call each. */
export function receivedPropertyArgvs(zfs: string, caps: Capabilities, target: string, r: ReceiveOptions): string[][] {
  if (caps.receiveProperties) return [];
  return Object.entries(r.properties ?? {}).map(([k, v]) => setPropertyArgv(zfs, target, k, v));
}

/** Read back after a receive that must not mount: `mounted` must be `no` (openzfs #17144: `-o` alone does not ensure it). */
export function mountedArgv(zfs: string, target: string): string[] {
  return [zfs, 'get', '-H', '-o', 'value', 'mounted', target];
}

/** Discards the partial state of an interrupted `recv -s` (for a partial full stream: the dataset itself). */
export function abortReceiveArgv(zfs: string, target: string): string[] {
  return [zfs, 'receive', '-A', target];
}

/**
 * A placeholder is never mounted, whatever receive.mount says: on zfs-fuse a `recv -F` into a
 * dataset mounted a moment ago fails with "I/O error" about one time in five. When the target
 * should be mounted, mountAfterReceiveArgvs turns it on once the stream is in.
 */
export function placeholderArgv(zfs: string, target: string, r: ReceiveOptions): string[] {
  const argv = [zfs, 'create'];
  for (const p of receiveProps({ ...r, mount: false })) argv.push('-o', p);
  for (const [k, v] of Object.entries(r.properties ?? {})) argv.push('-o', `${k}=${v}`);
  argv.push('-o', `${PLACEHOLDER_PROPERTY}=${target}`, target);
  return argv;
}

export function clearPlaceholderArgv(zfs: string, target: string): string[] {
  return [zfs, 'inherit', PLACEHOLDER_PROPERTY, target];
}

/**
 * Legacy ZFS (no `recv -o`/`-u`) receives a clone stream into a new dataset it mounts at once:
 * the receive options are then set afterwards, and it is unmounted when receive.mount is false.
 */
export function settleCloneArgvs(zfs: string, target: string, r: ReceiveOptions): string[][] {
  const argvs = receiveProps(r).map((p) => [zfs, 'set', p, target]);
  if (!r.mount) argvs.push([zfs, 'umount', target]);
  return argvs;
}

/** receive.mount on a dataset received into a placeholder (which is canmount=noauto or off). */
export function mountAfterReceiveArgvs(zfs: string, target: string): string[][] {
  return [[zfs, 'set', 'canmount=on', target], [zfs, 'mount', target]];
}

/**
 * Never `-r`: that would also destroy snapshots and bookmarks that appeared after the plan was
 * made. The snapshots the plan lists are destroyed by name first; anything else still newer than
 * `to` makes zfs refuse the rollback, which fails the action and skips what depends on it.
 */
export function rollbackArgv(zfs: string, dataset: string, to: string): string[] {
  return [zfs, 'rollback', snap(dataset, to)];
}

/** `zfs destroy pool/fs@a,b,c`: several names only where the host takes them (Capabilities.multiDestroy). */
export function destroySnapshotsArgv(zfs: string, dataset: string, names: readonly string[]): string[] {
  if (names.length === 0) throw new Error('destroySnapshotsArgv: no snapshots');
  return [zfs, 'destroy', snap(dataset, names.join(','))];
}

/** `zfs set prop=value ds`: one property per call, as older zfs (zfs-fuse) takes only one. */
export function setPropertyArgv(zfs: string, dataset: string, property: string, value: string): string[] {
  return [zfs, 'set', `${property}=${value}`, dataset];
}

/** `zfs rename a b`: never `-f` (which would unmount by force) and never `-r`. */
export function renameArgv(zfs: string, from: string, to: string): string[] {
  return [zfs, 'rename', from, to];
}

export function holdArgv(zfs: string, tag: string, dataset: string, name: string): string[] {
  return [zfs, 'hold', tag, snap(dataset, name)];
}

export function releaseArgv(zfs: string, tag: string, dataset: string, name: string): string[] {
  return [zfs, 'release', tag, snap(dataset, name)];
}

/** The bookmark is named after its snapshot: `zfs bookmark ds@s ds#s`. */
export function bookmarkArgv(zfs: string, dataset: string, name: string): string[] {
  return [zfs, 'bookmark', snap(dataset, name), bookmarkName(dataset, name)];
}

/** Records zfsync's tags on a snapshot (and, where given, one tag's meaning) in one `zfs set`. */
export function recordHoldsArgv(zfs: string, dataset: string, name: string, tags: readonly string[], meaning?: { tag: string; text: string }): string[] {
  const argv = [zfs, 'set', `${HOLDS_PROPERTY}=${tags.join(' ')}`];
  if (meaning) argv.push(`${holdMeaningProperty(meaning.tag)}=${meaning.text}`);
  return [...argv, snap(dataset, name)];
}

export function inheritArgv(zfs: string, property: string, dataset: string, name: string): string[] {
  return [zfs, 'inherit', property, snap(dataset, name)];
}
