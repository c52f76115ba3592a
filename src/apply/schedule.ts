// Which action runs when. Actions of one host pair (or one source's snapshots) run one after
// another in plan order; different host pairs run at once, up to `parallelism`, with one
// writer per target pool; an action starts only after every action it depends on has ended.
import type { Action } from '../types.js';

export interface ScheduleHooks {
  parallelism: number;
  /** Records the action as ended without running it (a conflict, or a dependency that did not succeed); true if so. */
  settle(action: Action): boolean;
  isSettled(id: string): boolean;
  execute(action: Action): Promise<void>;
}

const poolOf = (dataset: string) => dataset.split('/')[0]!;

/** The host pair an action belongs to; creates and rollbacks take their pair's. */
function lanes(actions: readonly Action[]): Map<string, Action[]> {
  const pairLane = new Map<string, string>();
  for (const a of actions) if ((a.kind === 'send' || a.kind === 'resume') && a.pair) pairLane.set(a.pair, `${a.source.host} -> ${a.target.host}`);
  const out = new Map<string, Action[]>();
  for (const a of actions) {
    const lane = a.kind === 'send' || a.kind === 'resume' ? `${a.source.host} -> ${a.target.host}` : (a.pair && pairLane.get(a.pair)) ?? `host ${a.kind === 'hold' ? a.sides[0]?.host : a.host}`;
    let list = out.get(lane);
    if (!list) out.set(lane, (list = []));
    list.push(a);
  }
  return out;
}

/** The pools an action writes to, as host:pool. */
function poolsWritten(a: Action): string[] {
  switch (a.kind) {
    case 'send':
    case 'resume':
      return [`${a.target.host}:${poolOf(a.target.dataset)}`];
    case 'snapshot':
      return [...new Set(a.datasets.map((d) => `${a.host}:${poolOf(d)}`))];
    case 'conflict':
      return [];
    case 'hold':
      return [...new Set(a.sides.map((s) => `${s.host}:${poolOf(s.dataset)}`))];
    default:
      return [`${a.host}:${poolOf(a.dataset)}`];
  }
}

export async function schedule(actions: readonly Action[], hooks: ScheduleHooks): Promise<void> {
  const order = new Map(actions.map((a, i) => [a.id, i]));
  const queues = [...lanes(actions).entries()];
  const activeLanes = new Set<string>();
  const busyPools = new Set<string>();
  const inflight = new Set<Promise<void>>();

  const tryStart = (): boolean => {
    let started = false;
    queues.sort(([, a], [, b]) => (order.get(a[0]?.id ?? '') ?? Infinity) - (order.get(b[0]?.id ?? '') ?? Infinity));
    for (const [lane, queue] of queues) {
      while (!activeLanes.has(lane) && queue.length > 0) {
        const head = queue[0]!;
        if (hooks.settle(head)) {
          queue.shift();
          started = true;
          continue;
        }
        if (head.dependsOn.some((d) => !hooks.isSettled(d))) break;
        const pools = poolsWritten(head);
        if (inflight.size >= hooks.parallelism || pools.some((p) => busyPools.has(p))) break;
        queue.shift();
        activeLanes.add(lane);
        for (const p of pools) busyPools.add(p);
        const run: Promise<void> = hooks.execute(head).finally(() => {
          activeLanes.delete(lane);
          for (const p of pools) busyPools.delete(p);
          inflight.delete(run);
        });
        inflight.add(run);
        started = true;
      }
    }
    return started;
  };

  for (;;) {
    while (tryStart()) {
      // keep starting until nothing more can start now
    }
    if (inflight.size === 0) break;
    await Promise.race(inflight);
  }
  const left = queues.flatMap(([, q]) => q.map((a) => a.id));
  if (left.length) throw new Error(`apply: actions never became ready: ${left.join(', ')}`);
}
