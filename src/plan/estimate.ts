// The step after plan(): better send sizes from `zfs send -n -P` on each source host that has
// it (one script, one round trip per host, all hosts at once). plan() stays pure; this fills
// `bytes`/`bytesFrom` of a copy. A send whose snapshots do not exist yet (taken by this plan),
// a host without `-n -P` (zfs-fuse) or a dry run that fails keeps the property-based size:
// an estimate is never an error.
import { runScript, type CommandRunner } from '../host/runner.js';
import type { Action, Plan, State, StreamAction } from '../types.js';
import { sendFlagArgs, sendSpecOf, type SendSpec } from '../zfs/commands.js';
import { estimateScript, parseEstimates } from '../zfs/estimate.js';
import { summarize } from './summary.js';

/** The dry runs one source host is asked for; `ids[i]` are the sends that `sends[i]` sizes. */
export interface HostEstimates {
  host: string;
  sends: SendSpec[];
  ids: string[][];
}

/** Whether both ends of the stream exist now (a snapshot this plan takes has no guid yet). */
const existsNow = (a: StreamAction): boolean => a.kind === 'resume' || a.to.guid !== undefined && (a.from === undefined || a.from.guid !== undefined);

/**
 * Dry runs per host and plan. Each is one zfs process on the source (milliseconds on real
 * hardware, ~0.3 s in an emulated guest); past this many, sends keep their property-based
 * size (`written` is exact enough for incrementals) so that a plan of thousands of sends
 * does not wait minutes for estimates. Full sends come first: their size is what
 * `referenced` guesses worst.
 */
export const MAX_DRY_RUNS_PER_HOST = 200;

/** Pure: the dry runs to ask each host for. Identical streams (one source, two targets) are asked once. */
export function estimateRequests(plan: Plan, state: State, limit = MAX_DRY_RUNS_PER_HOST): HostEstimates[] {
  const byHost = new Map<string, { req: HostEstimates; index: Map<string, number> }>();
  // A resume's dry run is `zfs send -n -P -t <token>`, which prints the bytes left.
  const sends = plan.actions.filter((a): a is StreamAction => (a.kind === 'send' || a.kind === 'resume') && existsNow(a));
  const isFull = (a: StreamAction): boolean => a.kind === 'send' ? a.mode === 'full' : a.from === undefined;
  const ordered = [...sends.filter(isFull), ...sends.filter((a) => !isFull(a))];
  for (const a of ordered) {
    const host = a.source.host;
    if (state.hosts[host]?.capabilities.sendEstimate !== true) continue;
    let h = byHost.get(host);
    if (!h) byHost.set(host, (h = { req: { host, sends: [], ids: [] }, index: new Map() }));
    const spec = sendSpecOf(a);
    const key = JSON.stringify([spec.dataset, spec.fromDataset ?? null, spec.from ?? null, spec.fromBookmark ?? false, spec.to, spec.intermediates, sendFlagArgs(spec.flags), spec.token ?? null]);
    let i = h.index.get(key);
    if (i === undefined) {
      if (h.req.sends.length >= limit) continue;
      i = h.req.sends.length;
      h.index.set(key, i);
      h.req.sends.push(spec);
      h.req.ids.push([]);
    }
    h.req.ids[i]!.push(a.id);
  }
  return [...byHost.values()].map((h) => h.req);
}

/**
 * Pure: the plan with the dry-run sizes (by action id) filled in and the summary recomputed.
 * Every other send with a size is marked as sized from properties.
 */
export function withEstimates(plan: Plan, bytes: ReadonlyMap<string, number>): Plan {
  const actions = plan.actions.map((a): Action => {
    if (a.kind !== 'send' && a.kind !== 'resume') return a;
    const b = bytes.get(a.id);
    if (b !== undefined) return { ...a, bytes: b, bytesFrom: 'dry-run' };
    if (a.bytes !== undefined && a.bytesFrom === undefined) return { ...a, bytesFrom: 'properties' };
    return a;
  });
  return { ...plan, actions, summary: summarize(actions) };
}

/** Runs the dry runs (one script per source host, hosts in parallel) and returns the plan with their sizes. */
export async function estimateSends(plan: Plan, state: State, runners: ReadonlyMap<string, CommandRunner>): Promise<Plan> {
  const bytes = new Map<string, number>();
  await Promise.all(
    estimateRequests(plan, state).map(async (req) => {
      const runner = runners.get(req.host);
      if (!runner) return;
      let stdout: string;
      try {
        stdout = (await runScript(runner, estimateScript(req.sends))).stdout;
      } catch {
        return; // a lost connection shows up where it matters (apply); sizes just stay as they were
      }
      parseEstimates(stdout, req.sends.length).forEach((e, i) => {
        if (e.bytes !== undefined) for (const id of req.ids[i]!) bytes.set(id, e.bytes);
      });
    }),
  );
  return withEstimates(plan, bytes);
}
