// `targets.<t>.receive.properties` (-o) and `exclude_properties` (-x): which names make sense on
// a receive, and why the others do not.
import type { TargetSpec } from '../types.js';
import type { SpecPath } from './positions.js';
import { didYouMean } from './suggest.js';

/** Native properties a receive may set (`zfs receive -o`), as OpenZFS 2.x lists them settable. */
const SETTABLE = [
  'aclinherit', 'aclmode', 'acltype', 'atime', 'casesensitivity', 'checksum', 'compression', 'context', 'copies',
  'dedup', 'defcontext', 'devices', 'direct', 'dnodesize', 'exec', 'filesystem_limit', 'fscontext', 'jailed',
  'logbias', 'mlslabel', 'mountpoint', 'nbmand', 'normalization', 'overlay', 'prefetch', 'primarycache', 'quota',
  'recordsize', 'redundant_metadata', 'refquota', 'refreservation', 'relatime', 'reservation', 'rootcontext',
  'secondarycache', 'setuid', 'sharenfs', 'sharesmb', 'snapdev', 'snapdir', 'snapshot_limit', 'special_small_blocks',
  'sync', 'utf8only', 'volmode', 'vscan', 'xattr', 'zoned',
];

/** Names refused whatever the value, with the reason. */
const REFUSED: Record<string, string> = {
  readonly: 'set by receive.readonly',
  canmount: 'set by receive.mount (false: canmount=noauto, so nothing received is ever mounted)',
  encryption: 'encryption comes from the stream (raw sends of encrypted datasets) or from the target parent; see replicate[].send.raw',
  keyformat: 'encryption comes from the stream or the target parent, never from receive options',
  keylocation: 'encryption comes from the stream or the target parent, never from receive options',
  pbkdf2iters: 'encryption comes from the stream or the target parent, never from receive options',
  'zfsync:placeholder': "zfsync's own marker",
};

const READ_ONLY = new Set([
  'available', 'clones', 'compressratio', 'createtxg', 'creation', 'encryptionroot', 'filesystem_count', 'guid',
  'keystatus', 'logicalreferenced', 'logicalused', 'mounted', 'name', 'objsetid', 'origin', 'receive_resume_token',
  'redact_snaps', 'refcompressratio', 'referenced', 'snapshot_count', 'type', 'used', 'usedbychildren',
  'usedbydataset', 'usedbyrefreservation', 'usedbysnapshots', 'userrefs', 'version', 'volblocksize', 'volsize',
  'written', 'pbkdf2salt', 'defer_destroy', 'inconsistent', 'snapshots_changed',
]);

const isUserProperty = (name: string): boolean => name.includes(':');

function nameProblem(name: string): string | undefined {
  const refused = REFUSED[name];
  if (refused) return `${name} cannot be given here: ${refused}`;
  if (isUserProperty(name)) return undefined;
  if (READ_ONLY.has(name)) return `${name} is a read-only property`;
  if (!SETTABLE.includes(name)) return `unknown ZFS property '${name}'${didYouMean(name, SETTABLE)}`;
  return undefined;
}

function valueProblem(name: string, value: string): string | undefined {
  if (name === 'mountpoint' && !(value === 'none' || value === 'legacy' || value.startsWith('/'))) {
    return `mountpoint must be an absolute path, none or legacy`;
  }
  return undefined;
}

/** Problems of one target's receive properties: [path, message, where]. */
export function receivePropertyProblems(t: TargetSpec): [SpecPath, string, 'key' | 'value'][] {
  const at = ['targets', t.name, 'receive'];
  const out: [SpecPath, string, 'key' | 'value'][] = [];
  for (const [name, value] of Object.entries(t.receive.properties)) {
    const p = nameProblem(name);
    if (p) {
      out.push([[...at, 'properties', name], p, 'key']);
      continue;
    }
    const v = valueProblem(name, value);
    if (v) out.push([[...at, 'properties', name], v, 'value']);
    else if (name === 'mountpoint' && t.receive.mount && value !== 'none') {
      out.push([[...at, 'properties', name], `a mountpoint with receive.mount: true would mount what zfsync receives at ${value}, maybe over a live path: set receive.mount: false (zfsync then never mounts it) and mount it yourself`, 'key']);
    }
  }
  t.receive.excludeProperties.forEach((name, i) => {
    const p = nameProblem(name);
    if (p) out.push([[...at, 'exclude_properties', i], p, 'value']);
    else if (name in t.receive.properties) out.push([[...at, 'exclude_properties', i], `${name} is also in receive.properties: give it in one of them`, 'value']);
  });
  return out;
}
