// What a non-root user needs on each host so that zfsync can run there: the `zfs allow`
// permissions per host, role and dataset, each with its reasons, and the sudo alternative.
// Pure: derived from the spec alone; no host is contacted.
//
// Every permission below was checked against zfs-allow(8) and the OpenZFS permission checks
// (zfs_secpolicy_* in zfs_ioctl.c):
// - zfs send: `send`, which covers -w (raw), -L, -e and -c (`send:raw`, OpenZFS 2.2+, would
//   allow raw sends only). A raw receive needs no key and no key permission on the target. With -I (zfsync's incrementals) libzfs also places temporary user holds
//   on the snapshots it sends (released by the kernel when the send ends): `hold`.
// - zfs snapshot: `snapshot`; zfs-allow(8) adds `mount`.
// - zfs destroy of snapshots: `destroy` and `mount`.
// - zfs receive: `receive`, `create` and `mount`, checked on the target or, when it does not
//   exist yet, on its parent. `-F` needs nothing more (the kernel rolls back inside the receive).
//   Each `-o prop=value` and `-x prop` needs that property's permission, `userprop` for user
//   properties (`-o` is "as if zfs set"; `-x` has the same restrictions).
// - zfs create: `create` and `mount` on the parent, plus each `-o` property's permission.
// - zfs inherit of a user property: `userprop`.
// - zfs rollback: `rollback` and `mount`; with -r the later snapshots are destroyed first
//   (`destroy`).
// - zfs hold / zfs release: `hold` / `release`; zfs bookmark: `bookmark`; zfs set and inherit
//   of zfsync's hold records (zfsync:holds, zfsync:hold:<tag>) on snapshots: `userprop`.
// - zfs list / zfs get: nothing.
// Permissions granted on a dataset apply to it and all its descendants.
import { PLACEHOLDER_PROPERTY } from '../zfs/commands.js';
import type { HostSpec, SourceSpec, Spec, TargetSpec } from '../types.js';

export type Role = 'source' | 'target';

/** A spec entry (source or target) a grant serves. */
export interface GrantFor {
  /** Name of the source or target in the spec. */
  name: string;
  /** The dataset named in the spec (a source root, or a target's `dataset`). */
  dataset: string;
  /** True when the grant is on the parent of `dataset`, because zfsync may have to create it. */
  viaParent: boolean;
}

export interface PermissionNeed {
  /** A zfs-allow(8) permission name: a subcommand, a property, or `userprop`. */
  name: string;
  /** Why zfsync needs it, each once, in the order first found. */
  reasons: string[];
}

/** One `zfs allow` line: permissions on one dataset, for one role. */
export interface Grant {
  role: Role;
  /** The dataset `zfs allow` is run on. */
  dataset: string;
  /** The spec entries it serves, by name then dataset. */
  for: GrantFor[];
  /** Sorted by name. */
  permissions: PermissionNeed[];
}

export interface SudoRule {
  /** `<user> ALL=(root) NOPASSWD: <zfs>`. */
  line: string;
  /** The absolute path of zfs the rule names. */
  zfs: string;
  /** True when the spec's `zfs` is not an absolute path, so `zfs` is a guess (/usr/sbin/zfs). */
  zfsGuessed: boolean;
}

export interface HostNeeds {
  host: string;
  /** The user zfsync runs as there: ssh.user, the local user, or UNKNOWN_SSH_USER. */
  user: string;
  /** Where `user` comes from. */
  userFrom: 'ssh' | 'local' | 'unknown';
  /** ssh.host for remote hosts. */
  address?: string;
  /** `hosts.<name>.sudo`: zfsync already runs zfs through `sudo -n` there. */
  sudo: boolean;
  /** `hosts.<name>.zfs` as written. */
  zfs: string;
  /** Sources first, then targets; by dataset within a role. */
  grants: Grant[];
  sudoRule: SudoRule;
  /** Things a non-root user cannot do there even with every permission granted. */
  warnings: string[];
}

/** Placeholder text for a remote host whose ssh.user is not set. */
export const UNKNOWN_SSH_USER = '<ssh user>';
/** The zfs path a sudo rule names when the spec's `zfs` is not absolute. */
export const DEFAULT_ZFS_PATH = '/usr/sbin/zfs';

/** Subcommands after which zfs-allow(8) requires `mount` as well. */
const NEED_MOUNT = ['create', 'destroy', 'receive', 'rollback', 'snapshot'];

const REASON = {
  send: 'to send snapshots (zfs send, and zfs send -I for incrementals; -w, -L, -e and -c need nothing more)',
  hold: 'zfs send -I puts temporary holds on the snapshots it sends, released when the send ends',
  snapshot: 'to take snapshots (snapshot_every; zfs snapshot)',
  retention: 'to destroy snapshots retention no longer keeps (retention; zfs destroy)',
  receive: 'to receive replicated snapshots (zfs receive)',
  createByReceive: 'zfs receive creates the received datasets (zfs-allow(8): receive needs create)',
  createParents: 'to create missing parents, and empty placeholders to receive into on older ZFS (zfs create)',
  readonly: 'received datasets and missing parents get readonly=on (receive.readonly: true)',
  canmountParents: 'missing parents get canmount=off',
  canmountReceived: 'received datasets get canmount=noauto (receive.mount: false)',
  canmountPlaceholder: 'placeholders are created with canmount=noauto and set to canmount=on after the receive (receive.mount: true)',
  placeholder: `zfsync marks the datasets it creates with ${PLACEHOLDER_PROPERTY} and clears it after the receive (zfs create -o, zfs inherit)`,
  protectHold: 'on OpenZFS each pair\'s newest common snapshot is held (zfs hold) so that no pruning forces a full resend',
  protectRelease: 'the previous base\'s hold is released once the new one is placed (zfs release)',
  protectBookmark: 'on OpenZFS the base is bookmarked on the source, so an incremental can start from it once it is pruned (zfs bookmark)',
  protectRecord: 'zfsync records its hold tags on the held snapshots (zfsync:holds, zfsync:hold:<tag>; zfs set, zfs inherit)',
  rollback: 'on_divergence: rollback: zfs rollback to the newest common snapshot',
  abortPartial: 'a stale resume token (an interrupted receive that no longer fits) is discarded with zfs receive -A, which destroys the partial receive',
  rollbackDestroys: 'on_divergence: rollback: the target snapshots newer than the common one are destroyed by name first (zfs destroy)',
} as const;

const isUserProperty = (name: string): boolean => name.includes(':');
/** The permission a property needs: its own name, or `userprop` for user properties. */
export const propertyPermission = (name: string): string => (isUserProperty(name) ? 'userprop' : name);

const parentOf = (name: string): string | undefined => {
  const i = name.lastIndexOf('/');
  return i < 0 ? undefined : name.slice(0, i);
};

class GrantBuilder {
  readonly for: GrantFor[] = [];
  private readonly perms = new Map<string, string[]>();

  constructor(readonly role: Role, readonly dataset: string) {}

  serve(f: GrantFor): void {
    if (!this.for.some((g) => g.name === f.name && g.dataset === f.dataset)) this.for.push(f);
  }

  add(permission: string, reason: string): void {
    const reasons = this.perms.get(permission) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
    this.perms.set(permission, reasons);
  }

  build(): Grant {
    const needMount = NEED_MOUNT.filter((p) => this.perms.has(p));
    if (needMount.length > 0) {
      const never = this.role === 'target' ? 'zfsync never mounts what it creates or receives' : 'zfsync mounts nothing';
      this.add('mount', `zfs-allow(8): ${listWords(needMount)} ${needMount.length === 1 ? 'needs' : 'need'} it too; ${never}`);
    }
    const permissions = [...this.perms.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, reasons]) => ({ name, reasons: [...reasons] }));
    const forSorted = [...this.for].sort((a, b) => cmp(a.name, b.name) || cmp(a.dataset, b.dataset));
    return { role: this.role, dataset: this.dataset, for: forSorted, permissions };
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

class HostBuilder {
  private readonly grants = new Map<string, GrantBuilder>();
  readonly warnings: string[] = [];

  grant(role: Role, dataset: string): GrantBuilder {
    const key = `${role}\0${dataset}`;
    let g = this.grants.get(key);
    if (!g) this.grants.set(key, (g = new GrantBuilder(role, dataset)));
    return g;
  }

  warn(text: string): void {
    if (!this.warnings.includes(text)) this.warnings.push(text);
  }

  build(): Grant[] {
    const order: Record<Role, number> = { source: 0, target: 1 };
    return [...this.grants.values()]
      .map((g) => g.build())
      .sort((a, b) => order[a.role] - order[b.role] || cmp(a.dataset, b.dataset));
  }
}

function addSource(hb: HostBuilder, s: SourceSpec, replicated: boolean): void {
  if (s.property !== undefined && s.datasets.length === 0) {
    const what = [replicated ? 'send, hold' : '', s.snapshotEvery !== undefined ? 'snapshot' : '', s.retention !== undefined ? 'destroy' : ''].filter(Boolean).join(', ');
    hb.warn(`sources.${s.name} selects datasets by the property ${s.property}, which only the host knows: grant ${what || 'what it needs'} (and mount) on each pool, or on the datasets that set ${s.property}`);
  }
  for (const root of s.datasets) {
    const g = hb.grant('source', root);
    g.serve({ name: s.name, dataset: root, viaParent: false });
    if (replicated) {
      g.add('send', REASON.send);
      g.add('hold', REASON.hold);
      g.add('hold', REASON.protectHold);
      g.add('release', REASON.protectRelease);
      g.add('bookmark', REASON.protectBookmark);
      g.add('userprop', REASON.protectRecord);
    }
    if (s.snapshotEvery !== undefined) g.add('snapshot', REASON.snapshot);
    if (s.retention !== undefined) g.add('destroy', REASON.retention);
  }
}

function addTarget(hb: HostBuilder, t: TargetSpec): void {
  // The target dataset may not exist yet (zfsync creates it): delegated permissions must then be
  // on an existing ancestor. Which one exists cannot be known without asking the host, so the
  // grant goes on the parent; a pool (no parent) always exists.
  const parent = parentOf(t.dataset);
  const g = hb.grant('target', parent ?? t.dataset);
  g.serve({ name: t.name, dataset: t.dataset, viaParent: parent !== undefined });

  g.add('receive', REASON.receive);
  g.add('destroy', REASON.abortPartial);
  g.add('create', REASON.createByReceive);
  g.add('create', REASON.createParents);
  g.add('canmount', REASON.canmountParents);
  g.add('canmount', t.receive.mount ? REASON.canmountPlaceholder : REASON.canmountReceived);
  if (t.receive.readonly) g.add('readonly', REASON.readonly);
  g.add('userprop', REASON.placeholder);
  g.add('hold', REASON.protectHold);
  g.add('release', REASON.protectRelease);
  g.add('userprop', REASON.protectRecord);
  for (const [name, value] of Object.entries(t.receive.properties)) {
    g.add(propertyPermission(name), `receive.properties sets ${name}=${value} (zfs receive -o; zfs set after the receive on ZFS without -o)`);
  }
  for (const name of t.receive.excludeProperties) {
    g.add(propertyPermission(name), `receive.exclude_properties keeps ${name} out of the stream (zfs receive -x)`);
  }
  if (t.onDivergence === 'rollback') {
    g.add('rollback', REASON.rollback);
    g.add('destroy', REASON.rollbackDestroys);
  }
  if (t.retention !== undefined) g.add('destroy', REASON.retention);
  if (t.receive.mount) {
    hb.warn(`targets.${t.name}.receive.mount is true, so zfs receive mounts what it receives; on Linux only root can mount: use sudo on this host`);
  }
}

function resolveUser(h: HostSpec, localUser: string): Pick<HostNeeds, 'user' | 'userFrom'> {
  if (!h.ssh) return { user: localUser, userFrom: 'local' };
  if (h.ssh.user !== undefined) return { user: h.ssh.user, userFrom: 'ssh' };
  return { user: UNKNOWN_SSH_USER, userFrom: 'unknown' };
}

/** Escapes what sudoers(5) treats as special inside a word or a command path. */
function sudoersWord(s: string): string {
  return s.replace(/[\\,:=!() \t]/g, (c) => `\\${c}`);
}

export function sudoRule(user: string, zfs: string): SudoRule {
  const zfsGuessed = !zfs.startsWith('/');
  const path = zfsGuessed ? DEFAULT_ZFS_PATH : zfs;
  const who = user === UNKNOWN_SSH_USER ? user : sudoersWord(user);
  return { line: `${who} ALL=(root) NOPASSWD: ${sudoersWord(path)}`, zfs: path, zfsGuessed };
}

/**
 * Per host (in spec order, `local` first), the grants a non-root user needs there. Only sources
 * and targets used by a `replicate` pair count, plus sources that take snapshots
 * (`snapshot_every`). Hosts with nothing to grant are left out.
 */
export function permissionNeeds(spec: Spec, opts: { localUser: string }): HostNeeds[] {
  const builders = new Map<string, HostBuilder>();
  const hostBuilder = (name: string): HostBuilder => {
    let hb = builders.get(name);
    if (!hb) builders.set(name, (hb = new HostBuilder()));
    return hb;
  };

  const replicated = new Set(spec.replicate.map((p) => p.from));
  for (const s of Object.values(spec.sources)) {
    if (replicated.has(s.name) || s.snapshotEvery !== undefined) addSource(hostBuilder(s.host), s, replicated.has(s.name));
  }
  const targets = new Set(spec.replicate.map((p) => p.to));
  for (const t of Object.values(spec.targets)) {
    if (targets.has(t.name)) addTarget(hostBuilder(t.host), t);
  }

  // zfs allow cannot cover a rebase: rsync reads and writes every file of the members (owners, ACLs).
  for (const g of Object.values(spec.rebase)) {
    hostBuilder(g.host).warn(`rebase.${g.name} needs root on ${g.host}: it clones, renames, mounts and destroys ${g.base.dataset.split('/')[0]}'s member datasets and copies every file with rsync, which no zfs allow grant covers`);
  }

  const result: HostNeeds[] = [];
  for (const h of Object.values(spec.hosts)) {
    const hb = builders.get(h.name);
    if (!hb) continue;
    const grants = hb.build();
    if (grants.length === 0 && hb.warnings.length === 0) continue;
    const { user, userFrom } = resolveUser(h, opts.localUser);
    const needs: HostNeeds = { host: h.name, user, userFrom, sudo: h.sudo, zfs: h.zfs, grants, sudoRule: sudoRule(user, h.zfs), warnings: [...hb.warnings] };
    if (h.ssh) needs.address = h.ssh.host;
    result.push(needs);
  }
  return result;
}
