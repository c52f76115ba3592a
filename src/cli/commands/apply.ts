import { createTwoFilesPatch } from 'diff';
import { AbortedError, StalePlanError, UsageError } from '../../errors.js';
import { applyPlan, type ApplyHost } from '../../apply/executor.js';
import type { Emit } from '../../io/events.js';
import { readPlanFile } from '../../plan/document.js';
import { PlanLocks } from '../../lock/plan-lock-set.js';
import { parseLockTimeout } from '../../lock/timeout.js';
import { applySummary, lineReporter, lockLine } from '../../render/apply-lines.js';
import { listrReporter } from '../../render/apply-listr.js';
import { renderPlanText } from '../../render/plan-text.js';
import { changedFingerprints, fingerprints } from '../../state/fingerprint.js';
import type { Plan, PlanDocument } from '../../types.js';
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
  lockTimeout?: string;
}

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
  const jsonEmit: Emit = (e) => out(io, JSON.stringify(e));
  const session = await openSession(flags.config, (e) => {
    if (json) jsonEmit(e);
    else {
      const line = hostLine(e);
      if (line) err(io, line);
    }
  });
  // --dry-run changes nothing, so it takes no lock.
  const locks = flags.dryRun ? undefined : new PlanLocks(session, { timeoutMs: lockTimeoutMs, emit: json ? jsonEmit : (e) => err(io, lockLine(e) ?? e.type) });
  try {
    const color = useColor(io, flags.color);
    let toRun: Plan;
    if (saved) {
      await assertFresh(session, saved, io);
      // The state read again under the locks must still be the one the plan was made from.
      if (await locks?.lockFor(saved.plan)) await assertFresh(session, saved, io);
      toRun = saved.plan;
    } else {
      toRun = await planSession(session, io.now());
      // Planned again whenever the state read under the locks differs (another apply ran meanwhile).
      while (await locks?.lockFor(toRun)) {
        if (!json) err(io, 'The state changed since it was read (another apply ran meanwhile): planning again.');
        toRun = await planSession(session, io.now());
      }
      if (!json) out(io, renderPlanText(toRun, { color }));
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
    const interactive = !json && !dryRun && io.stdout.isTTY === true && io.stdout === process.stdout;
    let result;
    if (interactive) {
      const r = listrReporter(toRun.actions, parallelism);
      [, result] = await Promise.all([r.run(), applyPlan(toRun, hosts, { dryRun, emit: r.emit, parallelism })]);
      out(io, applySummary({ type: 'apply-done', done: result.done.length, failed: result.failed.length, skipped: result.skipped.length, conflicts: result.conflicts, dryRun }));
    } else {
      const emit = json ? jsonEmit : lineReporter((line) => out(io, line), { dryRun });
      result = await applyPlan(toRun, hosts, { dryRun, emit, parallelism });
    }
    return result.failed.length > 0 || result.conflicts > 0 || unreachable(session) ? 1 : 0;
  } finally {
    await locks?.release();
    await session.close();
  }
}

const unreachable = (s: Session) => Object.keys(s.state.unreachable ?? {}).length > 0;

/** A saved plan runs only against the spec and state it was made from. */
async function assertFresh(session: Session, saved: PlanDocument, io: Io): Promise<void> {
  const changed: string[] = [];
  if (saved.spec.hash !== session.spec.hash) changed.push(`the spec ${session.spec.file} changed since the plan was made`);
  const moved = changedFingerprints(saved.fingerprints, fingerprints(session.spec, session.state));
  if (moved.length) changed.push(`${moved.length} dataset(s) changed since the plan was made: ${moved.slice(0, 10).join(', ')}${moved.length > 10 ? ', ...' : ''}`);
  if (changed.length === 0) return;
  // Sized the same way as the saved plan was, so the diff shows real changes, not estimate methods.
  const fresh = await planSession(session, io.now());
  const diff = createTwoFilesPatch('saved plan', 'plan now', renderPlanText(saved.plan, { color: false }), renderPlanText(fresh, { color: false }), saved.createdAt, io.now().toISOString());
  throw new StalePlanError(`saved plan is stale: ${changed.join('; ')}. Nothing was applied; run zfsync plan again.`, diff);
}
