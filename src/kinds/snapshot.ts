import type { SnapshotAction } from '../types.js';
import { plural } from '../plan/format.js';
import { snap, snapshotArgv } from '../zfs/commands.js';
import type { Step } from '../apply/steps.js';
import type { KindDef } from './kind.js';

export const snapshotKind: KindDef<SnapshotAction> = {
  head(a) {
    const calls = a.commands.length === 1 && a.commands[0]!.recursive ? `zfs snapshot -r ${a.commands[0]!.datasets[0]}` : plural(a.commands.length, 'zfs call');
    return {
      symbol: '+',
      verb: 'snapshot',
      subject: `${a.host}: @${a.snapshot}`,
      detail: `${plural(a.datasets.length, 'dataset')}, ${calls}, ${a.atomic ? 'atomic' : 'NOT atomic (this zfs takes one name per call)'}`,
      tone: 'add',
    };
  },
  title: (a) => `snapshot ${a.host}: @${a.snapshot} on ${a.datasets.length === 1 ? a.datasets[0] : `${a.datasets.length} datasets`}`,
  steps(a, hostInfo) {
    const { zfs } = hostInfo(a.host);
    const steps: Step[] = a.commands.map((c) => ({ kind: 'run', host: a.host, argv: snapshotArgv(zfs, c.datasets.map((d) => snap(d, a.snapshot)), c.recursive) }));
    steps.push({ kind: 'guids', host: a.host, snapshots: a.datasets.map((d) => snap(d, a.snapshot)) });
    return steps;
  },
  count: (s) => void s.snapshots++,
  sourceOf: (a) => a.source,
};
