// Runs a plan's actions. A failed action skips every action that depends on it; independent
// actions (other datasets, other pairs) go on. Conflicts are never executed. Actions of
// different host pairs may run at once (see schedule.ts). An aborted signal stops what runs
// (and waits for it to end), starts nothing more, and applyPlan returns what happened.
import { InterruptedError, PlanFileError } from '../errors.js';
import type { Emit } from '../io/events.js';
import type { CommandRunner } from '../host/runner.js';
import type { Action, Plan } from '../types.js';
import { guidsArgv, mountedArgv, parseGuids } from '../zfs/commands.js';
import { runPipe, type PipeOptions } from './pipe.js';
import { schedule } from './schedule.js';
import { actionSteps, type HostInfo, type PipeStep, type Step } from './steps.js';

export interface ApplyHost extends HostInfo {
  runner: CommandRunner;
}

export interface ApplyOptions {
  dryRun: boolean;
  emit: Emit;
  /** Actions of different host pairs that may run at once (default 1). */
  parallelism?: number;
  /** Milliseconds between progress events for a running send. */
  progressIntervalMs?: number;
  /** Aborted when zfsync is told to stop (its reason: an InterruptedError naming the signal). */
  signal?: AbortSignal;
}

export interface ApplyResult {
  done: string[];
  failed: { id: string; error: string }[];
  skipped: string[];
  conflicts: number;
  /** Set when the signal was aborted: the actions stopped while running, and those never started. */
  interrupted?: { signal: string; stopped: string[]; notStarted: string[]; resumable?: string[] };
}

class StepError extends Error {}
/** The signal was aborted between two steps of an action. */
class StepInterrupted extends Error {}

const hostsOf = (a: Action): string[] => (a.kind === 'send' || a.kind === 'resume' ? [a.source.host, a.target.host] : a.kind === 'conflict' ? [] : a.kind === 'hold' ? [...a.sides.map((s) => s.host), ...(a.bookmark ? [a.bookmark.host] : [])] : [a.host]);
const signalName = (s: AbortSignal): string => (s.reason instanceof InterruptedError ? s.reason.signal : 'abort');

/** Guids of snapshots this run takes, by `host:dataset@snap`. */
type GuidBook = Map<string, string>;

export async function applyPlan(plan: Plan, hosts: ReadonlyMap<string, ApplyHost>, opts: ApplyOptions): Promise<ApplyResult> {
  const host = (name: string): ApplyHost => {
    const h = hosts.get(name);
    if (!h) throw new Error(`apply: no connection for host '${name}'`);
    return h;
  };
  // A plan file may name a host the spec has not (or one that is down): refuse it before anything runs.
  const missing = [...new Set(plan.actions.flatMap(hostsOf))].filter((h) => !hosts.has(h));
  if (missing.length) {
    throw new PlanFileError(`the plan needs host${missing.length > 1 ? 's' : ''} ${missing.map((h) => `'${h}'`).join(', ')}, which the spec does not have or zfsync could not reach; nothing was applied`);
  }
  const result: ApplyResult = { done: [], failed: [], skipped: [], conflicts: 0 };
  const status = new Map<string, 'done' | 'failed' | 'skipped' | 'conflict' | 'interrupted'>();
  const stopped: string[] = [];
  const notStarted: string[] = [];
  const { signal } = opts;
  // Source snapshot guids learned during this run (snapshots taken now), by host:dataset@name.
  const learned: GuidBook = new Map();

  const settle = (action: Action): boolean => {
    if (action.kind === 'conflict') {
      status.set(action.id, 'conflict');
      result.conflicts++;
      return true;
    }
    if (signal?.aborted) {
      status.set(action.id, 'interrupted');
      notStarted.push(action.id);
      return true;
    }
    const blocker = action.dependsOn.find((d) => status.has(d) && status.get(d) !== 'done');
    if (!blocker) return false;
    const why = status.get(blocker) === 'conflict' ? 'has a conflict' : status.get(blocker) === 'failed' ? 'failed' : 'was skipped';
    status.set(action.id, 'skipped');
    result.skipped.push(action.id);
    opts.emit({ type: 'action-skipped', id: action.id, reason: `${blocker} ${why}` });
    return true;
  };

  const execute = async (action: Action): Promise<void> => {
    opts.emit({ type: 'action-start', action });
    const started = performance.now();
    try {
      const bytes = await runAction(action, host, opts, learned);
      status.set(action.id, 'done');
      result.done.push(action.id);
      const done: { type: 'action-done'; id: string; ms: number; bytes?: number } = { type: 'action-done', id: action.id, ms: performance.now() - started };
      if (bytes !== undefined) done.bytes = bytes;
      opts.emit(done);
    } catch (err) {
      if (signal?.aborted && (err instanceof StepError || err instanceof StepInterrupted)) {
        status.set(action.id, 'interrupted');
        stopped.push(action.id);
        opts.emit({ type: 'action-interrupted', id: action.id });
        return;
      }
      if (!(err instanceof StepError)) throw err;
      status.set(action.id, 'failed');
      result.failed.push({ id: action.id, error: err.message });
      opts.emit({ type: 'action-failed', id: action.id, error: err.message });
    }
  };

  await schedule(plan.actions, { parallelism: opts.dryRun ? 1 : Math.max(1, opts.parallelism ?? 1), settle, execute, isSettled: (id) => status.has(id) });
  const counts = { done: result.done.length, failed: result.failed.length, skipped: result.skipped.length, conflicts: result.conflicts };
  if (signal?.aborted) {
    result.interrupted = { signal: signalName(signal), stopped, notStarted };
    const resumable = stopped.filter((id) => receivesResumably(plan.actions.find((a) => a.id === id)));
    if (resumable.length) result.interrupted.resumable = resumable;
    opts.emit({ type: 'apply-interrupted', ...result.interrupted, ...counts });
  } else {
    opts.emit({ type: 'apply-done', ...counts, dryRun: opts.dryRun });
  }
  return result;
}

async function runAction(action: Action, host: (n: string) => ApplyHost, opts: ApplyOptions, learned: GuidBook): Promise<number | undefined> {
  let bytes: number | undefined;
  for (const step of actionSteps(action, host)) {
    if (opts.signal?.aborted) throw new StepInterrupted();
    announce(step, action.id, host, opts);
    if (opts.dryRun) continue;
    const b = await runStep(step, action, host, opts, learned);
    if (b !== undefined) bytes = b;
  }
  return bytes;
}

function announce(step: Step, id: string, host: (n: string) => ApplyHost, opts: ApplyOptions): void {
  if (step.kind === 'unmounted') {
    const argv = mountedArgv(host(step.host).zfs, step.dataset);
    opts.emit({ type: 'command', id, host: step.host, command: host(step.host).runner.describe(argv), argv });
  }
  if (step.kind === 'run') opts.emit({ type: 'command', id, host: step.host, command: host(step.host).runner.describe(step.argv), argv: [...step.argv] });
  if (step.kind === 'pipe') {
    const side = (x: PipeStep['send']) => x.stages.map((st) => host(x.host).runner.describe(st.argv)).join(' | ');
    const s = side(step.send);
    const r = side(step.receive);
    const where = step.send.host === step.receive.host ? step.send.host : `${step.send.host} -> ${step.receive.host}${step.send.host !== 'local' && step.receive.host !== 'local' ? ' via local' : ''}`;
    const pipeline = [step.send, step.receive].flatMap((x) => x.stages.map((st) => ({ host: x.host, argv: [...st.argv] })));
    opts.emit({ type: 'command', id, host: where, command: `${s} | ${r}`, pipeline });
  }
}

async function runStep(step: Step, action: Action, host: (n: string) => ApplyHost, opts: ApplyOptions, learned: GuidBook): Promise<number | undefined> {
  switch (step.kind) {
    case 'run': {
      const h = host(step.host);
      const r = await h.runner.run(step.argv, signalOption(opts));
      if (r.exitCode !== 0) {
        throw new StepError(`${h.runner.describe(step.argv)} failed on ${step.host} (exit ${r.exitCode ?? r.signal}): ${r.stderrTail.trim()}`);
      }
      return undefined;
    }
    case 'pipe': {
      const interval = opts.progressIntervalMs ?? 500;
      const started = performance.now();
      let last = started;
      const expectedBytes = action.kind === 'send' || action.kind === 'resume' ? action.bytes : undefined;
      const onBytes = (total: number) => {
        const now = performance.now();
        if (now - last < interval) return;
        last = now;
        const ev: { type: 'action-progress'; id: string; bytes: number; expectedBytes?: number; bytesPerSecond: number } = {
          type: 'action-progress',
          id: action.id,
          bytes: total,
          bytesPerSecond: total / Math.max(0.001, (now - started) / 1000),
        };
        if (expectedBytes !== undefined) ev.expectedBytes = expectedBytes;
        opts.emit(ev);
      };
      const pipeOpts: PipeOptions = { onBytes };
      if (step.bandwidthLimit !== undefined) pipeOpts.bandwidthLimit = step.bandwidthLimit;
      if (step.countOnSender) pipeOpts.countOnSender = true;
      if (opts.signal) pipeOpts.signal = opts.signal;
      const r = await runPipe({ runner: host(step.send.host).runner, stages: step.send.stages }, { runner: host(step.receive.host).runner, stages: step.receive.stages }, pipeOpts);
      if (r.error) throw new StepError(r.error + hintFor(action, r.error));
      return r.bytes;
    }
    case 'unmounted': {
      const h = host(step.host);
      const r = await h.runner.run(mountedArgv(h.zfs, step.dataset), signalOption(opts));
      const mounted = r.stdout.trim();
      if (r.exitCode !== 0) throw new StepError(`cannot check that ${step.dataset} is not mounted on ${step.host}: ${r.stderrTail.trim()}`);
      // Volumes report `-`: they cannot be mounted.
      if (mounted !== 'no' && mounted !== '-') {
        throw new StepError(`${step.dataset} on ${step.host} is mounted after the receive (mounted=${mounted}) although receive.mount is false: unmount it (zfs unmount ${step.dataset}) and check its mountpoint and canmount`);
      }
      return undefined;
    }
    case 'guids': {
      const h = host(step.host);
      const argv = guidsArgv(h.zfs, step.snapshots);
      const r = await h.runner.run(argv, signalOption(opts));
      if (r.exitCode !== 0) throw new StepError(`cannot verify ${step.snapshots.join(', ')} on ${step.host}: ${r.stderrTail.trim()}`);
      const got = parseGuids(r.stdout);
      for (const name of step.snapshots) {
        const guid = got.get(name);
        if (!guid) throw new StepError(`${name} is missing on ${step.host} after ${action.kind}`);
        if (action.kind === 'snapshot') {
          learned.set(`${step.host}:${name}`, guid);
          continue;
        }
        const want = action.kind === 'resume' ? action.to.guid : action.kind === 'send' ? action.to.guid ?? learned.get(`${action.source.host}:${action.source.dataset}@${action.to.name}`) : undefined;
        if (want && want !== guid) {
          throw new StepError(`${name} on ${step.host} has guid ${guid}, but the source snapshot has ${want}`);
        }
      }
      return undefined;
    }
  }
}

const signalOption = (opts: ApplyOptions): { signal?: AbortSignal } => (opts.signal ? { signal: opts.signal } : {});

/** A stream received with `recv -s`: stopped or failed mid-way, zfs keeps what arrived and sets a resume token. */
const receivesResumably = (a: Action | undefined): boolean => (a?.kind === 'send' || a?.kind === 'resume') && a.receive.resumable === true;

/** What to do about errors whose cause zfsync knows. */
function hintFor(action: Action, error: string): string {
  if (action.kind === 'send' && /has been modified\s+since most recent snapshot/.test(error)) {
    const target = action.pair?.split(' -> ')[1];
    return `\nhint: ${action.target.dataset} was changed since its newest snapshot; set targets.${target ?? '<target>'}.on_divergence: rollback to discard such changes, or snapshot and inspect it first`;
  }
  if ((action.kind === 'send' || action.kind === 'resume') && receivesResumably(action)) {
    return `\nhint: ${action.target.dataset} was received with zfs receive -s: if zfs kept a partial receive (receive_resume_token), the next plan resumes it (~ resume) instead of starting over`;
  }
  return '';
}
