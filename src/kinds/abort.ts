// `-/+ abort partial receive`: a stale resume token discarded with `zfs receive -A` (see src/plan/resume.ts).
import type { AbortAction } from '../types.js';
import { formatBytes } from '../plan/format.js';
import { abortReceiveArgv } from '../zfs/commands.js';
import { runOn, type KindDef } from './kind.js';

export const abortKind: KindDef<AbortAction> = {
  head: (a) => ({
    symbol: '-/+',
    verb: 'abort partial receive',
    subject: `${a.host}: ${a.dataset}`,
    detail: `discards ${formatBytes(a.receivedBytes)} received of ${a.partial}${a.full ? ` (a full stream: ${a.dataset} goes with it)` : ''}`,
    tone: 'remove',
  }),
  title: (a) => `abort partial receive ${a.host}: ${a.dataset}`,
  steps: (a, hostInfo) => runOn(a.host, [abortReceiveArgv(hostInfo(a.host).zfs, a.dataset)]),
  count: (s) => void (s.aborts = (s.aborts ?? 0) + 1),
};
