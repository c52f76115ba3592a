// Retention's `destroy`: how its snapshots are batched into zfs calls (rollback batches the same
// way), the commands it runs, and how plans and apply progress show it.
import { listSnapshots, plural } from '../plan/format.js';
import type { Capabilities, DestroyAction } from '../types.js';
import { destroySnapshotsArgv } from '../zfs/commands.js';
import { runOn, type KindDef } from './kind.js';

/** Names per `zfs destroy ds@a,b,c`: keeps each command line far below any argv limit. */
export const DESTROY_BATCH = 100;

export function destroyCalls(names: readonly string[], caps: Capabilities): string[][] {
  const size = caps.multiDestroy ? DESTROY_BATCH : 1;
  const calls: string[][] = [];
  for (let i = 0; i < names.length; i += size) calls.push(names.slice(i, i + size));
  return calls;
}

export const destroyKind: KindDef<DestroyAction> = {
  /** `nas: backup/vm1 @a, @b, @c and 2 more` / `5 snapshots: not kept by daily:7, last:10; 1 zfs call`. */
  head: (a) => ({
    symbol: '-',
    verb: 'destroy',
    subject: `${a.host}: ${a.dataset} ${listSnapshots(a.snapshots)}`,
    detail: `${plural(a.snapshots.length, 'snapshot')}: not kept by ${a.policy}; ${plural(a.calls.length, 'zfs call')}`,
    tone: 'remove',
  }),
  title: (a) => `destroy ${a.host}: ${a.dataset} ${plural(a.snapshots.length, 'snapshot')} (${a.side} retention)`,
  steps: (a, hostInfo) => runOn(a.host, a.calls.map((names) => destroySnapshotsArgv(hostInfo(a.host).zfs, a.dataset, names))),
  count: (s, a) => void (s.destroys += a.snapshots.length),
  sourceOf: (a) => a.source,
};
