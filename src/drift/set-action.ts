// The `set` action kind in one place: the commands it runs and how plans and apply progress
// show it. (Its JSON shape is in schemas/plan.schema.json, its count in plan/summary.ts.)
import type { SetAction } from '../types.js';
import { setPropertyArgv } from '../zfs/commands.js';

export function setArgvs(zfs: string, a: SetAction): string[][] {
  return Object.entries(a.properties).map(([k, v]) => setPropertyArgv(zfs, a.dataset, k, v));
}

const assignments = (props: Record<string, string>): string => Object.entries(props).map(([k, v]) => `${k}=${v}`).join(' ');

/** `nas: backup/x readonly=on` / `was off: targets.bk.receive.readonly is true`. */
export function setHead(a: SetAction): { symbol: string; verb: string; subject: string; detail: string } {
  const was = Object.keys(a.properties).map((k) => a.was[k] ?? '-').join(', ');
  return { symbol: '~', verb: 'set', subject: `${a.host}: ${a.dataset} ${assignments(a.properties)}`, detail: `was ${was}: ${a.because.join(', ')}` };
}

/** The apply progress line's title. */
export function setTitle(a: SetAction): string {
  return `set ${a.host}: ${a.dataset} ${assignments(a.properties)}`;
}
