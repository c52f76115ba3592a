// What one action kind needs everywhere it appears, in one object: how the plan shows it, how
// apply progress names it, the commands it runs and how the summary counts it. Each kind lives in
// its own file of this folder; index.ts maps kind -> definition, and the compiler insists on all.
// (Its JSON shape is in schemas/plan.schema.json, its type in src/types.ts.)
import type { Action, PlanSummary } from '../types.js';
import type { HostInfo, Step } from '../apply/steps.js';

/** How a renderer paints a line: added, changed, removed, or needing a person. */
export type Tone = 'add' | 'change' | 'remove' | 'conflict';

/** One plan line: `+ snapshot local: @zfsync_x  (3 datasets, ...)`. */
export interface Head {
  symbol: string;
  verb: string;
  subject: string;
  detail: string;
  tone: Tone;
}

export interface KindDef<A extends Action> {
  head(a: A): Head;
  /** The apply progress title (`send full tank/vm @s1 => backup/tank/vm`). */
  title(a: A): string;
  /** The commands that carry it out, in order. */
  steps(a: A, hostInfo: (host: string) => HostInfo): Step[];
  count(s: PlanSummary, a: A): void;
  /** The `sources.<name>` an action belongs to when it is not a pair's (plans group by it). */
  sourceOf?(a: A): string | undefined;
  /** A plan heading of its own (`rebase <group>`), for actions that are neither a source's nor a pair's. */
  headingOf?(a: A): string | undefined;
}

export const runOn = (host: string, argvs: string[][]): Step[] => argvs.map((argv) => ({ kind: 'run', host, argv }));
