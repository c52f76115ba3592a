import type { RollbackAction } from '../types.js';
import { formatBytes } from '../plan/format.js';
import { destroySnapshotsArgv, rollbackArgv } from '../zfs/commands.js';
import { destroyCalls } from './destroy.js';
import { runOn, type KindDef } from './kind.js';

export const rollbackKind: KindDef<RollbackAction> = {
  head: (a) => ({
    symbol: '-/+',
    verb: 'rollback',
    subject: `${a.host}: ${a.dataset}@${a.to.name}`,
    detail: [a.destroys.length ? `destroys ${a.destroys.map((d) => '@' + d).join(', ')}` : '', a.discardsBytes ? `discards ${formatBytes(a.discardsBytes)} written` : ''].filter(Boolean).join('; ') || 'discards changes made since it',
    tone: 'remove',
  }),
  title: (a) => `rollback ${a.host}: ${a.dataset}@${a.to.name}`,
  // Exactly the snapshots the plan lists, by name, then the rollback itself (see rollbackArgv).
  steps(a, hostInfo) {
    const { zfs, capabilities } = hostInfo(a.host);
    const destroys = destroyCalls(a.destroys, capabilities).map((names) => destroySnapshotsArgv(zfs, a.dataset, names));
    return runOn(a.host, [...destroys, rollbackArgv(zfs, a.dataset, a.to.name)]);
  },
  count(s, a) {
    s.rollbacks++;
    s.destroys += a.destroys.length;
  },
};
