import { AbortedError, UsageError } from '../../errors.js';
import { applyPlan, type ApplyHost } from '../../apply/executor.js';
import type { Emit } from '../../io/events.js';
import { readPlanFile } from '../../plan/document.js';
import { PlanLocks } from '../../lock/plan-lock-set.js';
import { locksForSpec } from '../../lock/plan-locks.js';
import { parseLockTimeout } from '../../lock/timeout.js';
import { verifySavedPlan } from '../../plan/verify-saved.js';
import { lineReporter, lockLine } from '../../render/apply-lines.js';
import { listrReporter } from '../../render/apply-listr.js';
import { renderPlanText, summaryLine } from '../../render/plan-text.js';
import type { CommandRunner } from '../../host/runner.js';
import type { Plan, Spec } from '../../types.js';
import { err, out, useColor, type Io } from '../io.js';
import { confirm } from '../prompt.js';
import { openSession, planSession, type Session } from '../session.js';
import { hostLine } from './common.js';

export interface ApplyFlags {
  config: string;
  autoApprove?: boolean;
  dryRun?: boolean;
  json?: boolean;
  color?: boolean;
  parallelism?: string;
  quiet?: boolean;
  lockTimeout?: string;
}

/** Seconds-precision UTC time for log lines: `2026-12-01T22:30:05Z`. */
export const logStamp = (io: Io) => (): string => io.now().toISOString().replace(/\.\d{3}Z$/, 'Z');

function parallelismOf(flag: string | undefined): number {
  const n = Number(flag ?? '2');
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--parallelism must be a whole number from 1 to 64, not '${flag}'`);
  return n;
}

export async function applyCommand(io: Io, planFile: string | undefined, flags: ApplyFlags): Promise<number> {
  if (planFile !== undefined && planFile.trim() === '') throw new UsageError('the plan file name is empty');
  const parallelism = parallelismOf(flags.parallelism);
  const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
  const saved = planFile !== undefined ? await readPlanFile(planFile) : undefined;
  const json = flags.json === true;
  const quiet = flags.quiet === true;
  if (quiet && json) throw new UsageError('--quiet and --json contradict each other');
  const jsonEmit: Emit = (e) => out(io, JSON.stringify({ time: io.now().toISOString(), ...e }));
  const lockEmit: Emit = json ? jsonEmit : (e) => {
    if (quiet && e.type === 'lock-acquired') return;
    const line = lockLine(e);
    if (line) err(io, line);
  };
  let locks: PlanLocks | undefined;
  // Locks are taken before the state is read, so the plan is made from a state no other apply
  // changes until this one ends. --dry-run changes nothing, so it takes none.
  const takeLocks = async (spec: Spec, runners: ReadonlyMap<string, CommandRunner>): Promise<void> => {
    locks = new PlanLocks({ spec, runners }, { timeoutMs: lockTimeoutMs, emit: lockEmit, signal: io.signal });
    await locks.acquire(locksForSpec(spec, runners));
  };
  const session = await openSession(flags.config, (e) => {
    if (json) jsonEmit(e);
    else {
      const line = hostLine(e, quiet);
      if (line) err(io, line);
    }
  }, io.signal, flags.dryRun ? undefined : takeLocks).catch(async (e: unknown) => {
    await locks?.release();
    throw e;
  });
  try {
    const color = useColor(io, flags.color);
    let toRun: Plan;
    if (saved) {
      toRun = await verifySavedPlan({ saved, file: planFile!, spec: session.spec, state: session.state, now: io.now(), freshPlan: () => planSession(session, io.now()) });
    } else {
      toRun = await planSession(session, io.now());
      if (!json) out(io, quiet ? summaryLine(toRun.summary) : renderPlanText(toRun, { color }));
      if (toRun.actions.length === 0) return 0;
      if (toRun.actions.every((a) => a.kind === 'conflict')) {
        if (!json) err(io, 'Nothing to apply: every change is blocked by a conflict.');
        return 1;
      }
      if (!flags.autoApprove && !flags.dryRun) {
        if (json) throw new UsageError('apply --json needs --auto-approve or a saved plan file');
        const ok = await confirm(io, 'Do you want to perform these actions?');
        if (!ok) throw new AbortedError('Apply cancelled: nothing was changed.');
      }
    }
    const hosts = new Map<string, ApplyHost>();
    for (const [name, runner] of session.runners) {
      const hs = session.state.hosts[name];
      if (hs) hosts.set(name, { runner, zfs: session.spec.hosts[name]!.zfs, capabilities: hs.capabilities });
    }
    const dryRun = flags.dryRun === true;
    const interactive = !json && !dryRun && !quiet && io.stdout.isTTY === true && io.stdout === process.stdout;
    let result;
    if (interactive) {
      const r = listrReporter(toRun.actions, parallelism);
      [, result] = await Promise.all([r.run(), applyPlan(toRun, hosts, { dryRun, emit: r.emit, parallelism, signal: io.signal })]);
      out(io, r.summary(result));
    } else {
      const emit = json ? jsonEmit : lineReporter((line) => out(io, line), { dryRun, quiet, stamp: logStamp(io) });
      result = await applyPlan(toRun, hosts, { dryRun, emit, parallelism, signal: io.signal });
    }
    return result.failed.length > 0 || result.conflicts > 0 || unreachable(session) ? 1 : 0;
  } finally {
    await locks?.release();
    await session.close();
  }
}

const unreachable = (s: Session) => Object.keys(s.state.unreachable ?? {}).length > 0;
