// Rebase's `base`: a group's consolidated dataset, built from its seed members, then snapshotted.
import type { BaseAction } from '../types.js';
import { plural } from '../plan/format.js';
import { BASE_PROPERTY, mountDir, REBUILD_PROPERTY, tempName } from '../rebase/names.js';
import { snap, snapshotArgv, setPropertyArgv } from '../zfs/commands.js';
import { cloneArgv, destroyArgv, renameArgv, requireMountedArgv, rsyncCopyArgv, umountTempArgv } from '../zfs/rebase-commands.js';
import { runOn, type KindDef } from './kind.js';

export const baseKind: KindDef<BaseAction> = {
  head: (a) => ({
    symbol: a.previous ? '-/+' : '+',
    verb: 'create base',
    subject: `${a.host}: ${snap(a.dataset, a.snapshot)}`,
    detail: `rebase.${a.group}: from ${a.seeds.length === 1 ? a.seeds[0] : plural(a.seeds.length, 'member')}${a.seeds.length > 1 ? ' in turn (later members win where paths are equal)' : ''}${a.previous === 'rename' ? `; the old base moves to ${a.dataset}${a.suffix}` : a.previous === 'destroy' ? '; the half-built base is destroyed first' : ''}`,
    tone: a.previous ? 'change' : 'add',
  }),
  title: (a) => `create base ${a.host}: ${snap(a.dataset, a.snapshot)}`,
  steps(a, hostInfo) {
    const { zfs } = hostInfo(a.host);
    const argvs: string[][] = a.discard.map((d) => destroyArgv(zfs, d));
    if (a.previous === 'destroy') argvs.push(destroyArgv(zfs, a.dataset, true));
    if (a.previous === 'rename') argvs.push(renameArgv(zfs, a.dataset, a.dataset + a.suffix));
    argvs.push([zfs, 'create', '-o', `${BASE_PROPERTY}=${a.group}`, '-o', `mountpoint=${mountDir(a.dataset)}`, a.dataset]);
    for (const member of a.seeds) {
      const clone = tempName(member, a.prefix, 'seed');
      argvs.push(
        snapshotArgv(zfs, [snap(member, a.seedSnapshot)], false),
        cloneArgv(zfs, snap(member, a.seedSnapshot), clone, { [REBUILD_PROPERTY]: 'seed', readonly: 'on', mountpoint: mountDir(clone) }),
        requireMountedArgv(zfs, [clone, a.dataset]),
        rsyncCopyArgv(mountDir(clone), mountDir(a.dataset), false),
        umountTempArgv(zfs, clone),
        destroyArgv(zfs, clone),
        destroyArgv(zfs, snap(member, a.seedSnapshot)),
      );
    }
    argvs.push(snapshotArgv(zfs, [snap(a.dataset, a.snapshot)], false), umountTempArgv(zfs, a.dataset), setPropertyArgv(zfs, a.dataset, 'canmount', 'noauto'));
    return runOn(a.host, argvs);
  },
  headingOf: (a) => `rebase ${a.group}`,
  count: (s) => void (s.bases = (s.bases ?? 0) + 1),
};
