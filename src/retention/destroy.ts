// The `destroy` action kind in one place: how its snapshots are batched into zfs calls, the
// commands it runs, and how plans and apply progress show it. (Its JSON shape is in
// schemas/plan.schema.json, its count in plan/summary.ts.)
import { listSnapshots, plural } from '../plan/format.js';
import type { Capabilities, DestroyAction } from '../types.js';
import { destroySnapshotsArgv } from '../zfs/commands.js';

/** Names per `zfs destroy ds@a,b,c`: keeps each command line far below any argv limit. */
export const DESTROY_BATCH = 100;

export function destroyCalls(names: readonly string[], caps: Capabilities): string[][] {
  const size = caps.multiDestroy ? DESTROY_BATCH : 1;
  const calls: string[][] = [];
  for (let i = 0; i < names.length; i += size) calls.push(names.slice(i, i + size));
  return calls;
}

export function destroyArgvs(zfs: string, a: DestroyAction): string[][] {
  return a.calls.map((names) => destroySnapshotsArgv(zfs, a.dataset, names));
}

/** `nas: backup/vm1 @a, @b, @c and 2 more` / `5 snapshots: not kept by daily:7, last:10; 1 zfs call`. */
export function destroyHead(a: DestroyAction): { symbol: string; verb: string; subject: string; detail: string } {
  return {
    symbol: '-',
    verb: 'destroy',
    subject: `${a.host}: ${a.dataset} ${listSnapshots(a.snapshots)}`,
    detail: `${plural(a.snapshots.length, 'snapshot')}: not kept by ${a.policy}; ${plural(a.calls.length, 'zfs call')}`,
  };
}

/** The apply progress line's title. */
export function destroyTitle(a: DestroyAction): string {
  return `destroy ${a.host}: ${a.dataset} ${plural(a.snapshots.length, 'snapshot')} (${a.side} retention)`;
}
