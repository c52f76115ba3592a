// The command lines of a rebase (src/rebase, src/kinds/base.ts and rebuild.ts): zfs argvs, the
// rsync copy and verify, and the two small `sh -c` scripts whose input is known only at apply
// time (a member's local properties). Scripts get their values as "$@", never spliced in.
import { REBUILD_PROPERTY } from '../rebase/names.js';

export const cloneArgv = (zfs: string, origin: string, clone: string, props: Record<string, string>): string[] => [
  zfs,
  'clone',
  ...Object.entries(props).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
  origin,
  clone,
];

const RETRY_BUSY_SCRIPT = [
  'i=0',
  'while :; do',
  '  err=$("$@" 2>&1) && exit 0',
  '  case $err in *busy*) ;; *) printf "%s\\n" "$err" >&2; exit 1 ;; esac',
  '  i=$((i + 1)); [ "$i" -ge 20 ] && { printf "%s\\n" "$err" >&2; exit 1; }',
  '  sleep 0.5',
  'done',
].join('\n');

/**
 * Retried for up to 10 s while zfs says "dataset is busy": zfs-fuse says so for a while after a
 * dataset was unmounted. Only for steps on datasets nothing else uses (zfsync's temporary clones,
 * a member already unmounted): a member in use fails at its unmount, which is never retried.
 */
export const retryBusyArgv = (argv: readonly string[]): string[] => ['sh', '-c', RETRY_BUSY_SCRIPT, 'retry-busy', ...argv];

export const renameArgv = (zfs: string, from: string, to: string): string[] => retryBusyArgv([zfs, 'rename', from, to]);
/** A member's unmount is never retried: busy there means in use, and the rebuild stops before any rename. */
export const umountArgv = (zfs: string, dataset: string): string[] => [zfs, 'umount', dataset];
/** zfsync's own temporary clones and base, which nothing else uses. */
export const umountTempArgv = (zfs: string, dataset: string): string[] => retryBusyArgv(umountArgv(zfs, dataset));
const MOUNTED_SCRIPT = 'zfs=$1; shift; for d; do [ "$("$zfs" get -H -o value mounted "$d")" = yes ] || { echo "$d is not mounted: refusing to copy into or out of a bare directory" >&2; exit 1; }; done';
/** Fails unless every dataset is mounted: rsync into an unmounted clone's directory would fill the wrong filesystem. */
export const requireMountedArgv = (zfs: string, datasets: readonly string[]): string[] => ['sh', '-c', MOUNTED_SCRIPT, 'mounted', zfs, ...datasets];

const MOUNT_SCRIPT = '[ "$("$1" get -H -o value mounted "$2")" = yes ] || "$1" mount "$2"';
/** Mounts unless already mounted (setting a mountpoint may have mounted it). */
export const mountArgv = (zfs: string, dataset: string): string[] => ['sh', '-c', MOUNT_SCRIPT, 'mount', zfs, dataset];
export const inheritArgv = (zfs: string, dataset: string, property: string): string[] => [zfs, 'inherit', property, dataset];
/** A dataset or one snapshot; `-r` (its snapshots too) only for an original the spec says to destroy or zfsync's own base. */
export const destroyArgv = (zfs: string, name: string, recursive = false): string[] => retryBusyArgv([zfs, 'destroy', ...(recursive ? ['-r'] : []), name]);

const RSYNC_OPTIONS = ['-aHAX', '--inplace', '--no-whole-file', '--checksum', '--numeric-ids'];

/** Copies `from/` into `to/` rewriting only what differs; `--delete` makes `to` exactly `from` (not for seeding a base). */
export function rsyncCopyArgv(from: string, to: string, del: boolean): string[] {
  return ['rsync', ...RSYNC_OPTIONS, ...(del ? ['--delete'] : []), `${from}/`, `${to}/`];
}

/** The verify: a checksumming dry run that prints nothing when `to` equals `from` (content, owners, modes, links, ACLs, xattrs). */
export function rsyncVerifyArgv(from: string, to: string): string[] {
  return ['rsync', '-aHAXc', '--delete', '--dry-run', '--itemize-changes', '--numeric-ids', `${from}/`, `${to}/`];
}

const VERIFY_SCRIPT = 'out=$("$@") || exit 1; [ -z "$out" ] && exit 0; printf "differs after the copy:\\n%s\\n" "$out" | head -n 20 >&2; exit 1';

/** Runs the verify and fails (printing what differs) when it prints anything. */
export const verifyArgv = (from: string, to: string): string[] => ['sh', '-c', VERIFY_SCRIPT, 'verify', ...rsyncVerifyArgv(from, to)];

/**
 * Properties carried from a member to its rebuilt clone, before the copy, where the member sets
 * them itself (`zfs get -s local`), and every user property but zfsync's own markers. `readonly`
 * (it would stop the copy) and `mountpoint` are carried once the clone has its final name;
 * `canmount` (off would unmount it mid-copy) once the copy is verified and unmounted.
 */
export const CARRIED_PROPERTIES = ['quota', 'refquota', 'reservation', 'refreservation', 'compression', 'recordsize', 'atime'];
export const CARRIED_LAST = ['readonly'];

const CARRY_SCRIPT = [
  'zfs=$1 from=$2 to=$3 users=$4; shift 4',
  '"$zfs" get -H -s local -o property,value all "$from" > /dev/null || exit 1',
  '"$zfs" get -H -s local -o property,value all "$from" | while IFS="$(printf "\\t")" read -r p v; do',
  '  case "$p" in zfsync:*) continue ;; *:*) [ "$users" = users ] || continue ;; *) case " $* " in *" $p "*) ;; *) continue ;; esac ;; esac',
  '  "$zfs" set "$p=$v" "$to" || exit 1',
  'done',
].join('\n');

/** `users`: user properties too (the carry before the copy). */
export const carryPropertiesArgv = (zfs: string, from: string, to: string, props: readonly string[], users: boolean): string[] => ['sh', '-c', CARRY_SCRIPT, 'carry', zfs, from, to, users ? 'users' : 'no-users', ...props];

const MOUNTPOINT_SCRIPT = [
  'zfs=$1 from=$2 to=$3',
  'src=$("$zfs" get -H -o source mountpoint "$from") || exit 1',
  'if [ "$src" = local ]; then "$zfs" set "mountpoint=$("$zfs" get -H -o value mountpoint "$from")" "$to"; else "$zfs" inherit mountpoint "$to"; fi',
].join('\n');

/** The clone gets the original's mountpoint where the original set its own, else inherits it like the original did. */
export const carryMountpointArgv = (zfs: string, from: string, to: string): string[] => ['sh', '-c', MOUNTPOINT_SCRIPT, 'mountpoint', zfs, from, to];

export const markArgv = (zfs: string, dataset: string, value: string): string[] => [zfs, 'set', `${REBUILD_PROPERTY}=${value}`, dataset];
export const clearMarkArgv = (zfs: string, dataset: string): string[] => inheritArgv(zfs, dataset, REBUILD_PROPERTY);
