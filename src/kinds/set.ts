// Drift's `set`: properties zfsync manages on a replica, set back (see src/drift).
import type { SetAction } from '../types.js';
import { setPropertyArgv } from '../zfs/commands.js';
import { runOn, type KindDef } from './kind.js';

const assignments = (props: Record<string, string>): string => Object.entries(props).map(([k, v]) => `${k}=${v}`).join(' ');

export const setKind: KindDef<SetAction> = {
  /** `nas: backup/x readonly=on` / `was off: targets.bk.receive.readonly is true`. */
  head(a) {
    const was = Object.keys(a.properties).map((k) => a.was[k] ?? '-').join(', ');
    return { symbol: '~', verb: 'set', subject: `${a.host}: ${a.dataset} ${assignments(a.properties)}`, detail: `was ${was}: ${a.because.join(', ')}`, tone: 'change' };
  },
  title: (a) => `set ${a.host}: ${a.dataset} ${assignments(a.properties)}`,
  steps: (a, hostInfo) => runOn(a.host, Object.entries(a.properties).map(([k, v]) => setPropertyArgv(hostInfo(a.host).zfs, a.dataset, k, v))),
  count: (s) => void (s.sets = (s.sets ?? 0) + 1),
};
