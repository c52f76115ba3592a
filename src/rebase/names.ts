// The names a rebase works with: zfsync's temporary datasets beside each member, the marker
// properties that tell an interrupted rebuild's leftovers apart from anyone else's, the fresh
// snapshots, and where temporary datasets are mounted.
import { snapshotName } from '../plan/snapshot-names.js';

/** On zfsync's temporary clones: `seed`, `source`, `copy` (being filled), `verified:mount` / `verified:nomount`. */
export const REBUILD_PROPERTY = 'zfsync:rebuild';
/** On a base zfsync created; its value is the group's name. */
export const BASE_PROPERTY = 'zfsync:rebase-base';
/** Temporary datasets are mounted below here (on the group's host), never where a user looks. */
export const REBASE_MOUNT_DIR = '/var/tmp/zfsync-rebase';

export type TempRole = 'new' | 'src' | 'seed';
const ROLES: readonly TempRole[] = ['new', 'src', 'seed'];

/** `tank/vm/a.zfsync-rebase-new`: beside the member, so that zfs rename keeps it in its parent. */
export const tempName = (member: string, prefix: string, role: TempRole): string => `${member}.${prefix}-rebase-${role}`;

export function isTempName(name: string, prefix: string): boolean {
  return ROLES.some((r) => name.endsWith(`.${prefix}-rebase-${r}`));
}

/** `tank/vm+a.zfsync-rebase-new`: '+' never occurs in a dataset name, so paths never collide. */
export const mountDir = (dataset: string): string => `${REBASE_MOUNT_DIR}/${dataset.replaceAll('/', '+')}`;

/** The fresh snapshot a member's copy reads: `<prefix>_rebase_<stamp>` (`_seed_` for the base's copy). */
export function rebaseSnapshotName(prefix: string, now: Date, seed = false): string {
  return snapshotName(`${prefix}_rebase${seed ? '_seed' : ''}`, now);
}

export const isSeedSnapshot = (name: string, prefix: string): boolean => name.startsWith(`${prefix}_rebase_seed_`);
/** The fresh snapshot of a member's own rebuild (not a seed snapshot of the base's build). */
export const isRebuildSnapshot = (name: string, prefix: string): boolean => name.startsWith(`${prefix}_rebase_`) && !isSeedSnapshot(name, prefix);

/** `verified:mount` means the original was mounted: the rebuilt member is mounted after the swap. */
export const verifiedMarker = (mount: boolean): string => `verified:${mount ? 'mount' : 'nomount'}`;
export const isVerified = (marker: string | undefined): boolean => marker !== undefined && marker.startsWith('verified:');
