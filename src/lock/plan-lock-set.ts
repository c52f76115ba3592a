// The locks of one apply: taken once the hosts are connected and before their state is read,
// held until apply ends, released in its `finally`.
import { hostname, userInfo } from 'node:os';
import { LockError } from '../errors.js';
import type { CommandRunner } from '../host/runner.js';
import type { Emit } from '../io/events.js';
import type { Spec } from '../types.js';
import { VERSION } from '../version.js';
import { tryLock, type HeldLock } from './holder.js';
import { busyMessage, noFlockMessage, what } from './messages.js';
import { formatRecord, newLockId, type LockTarget } from './record.js';

export interface LockSession {
  spec: Spec;
  runners: ReadonlyMap<string, CommandRunner>;
}

export interface PlanLockOptions {
  /** How long to wait for a lock another apply holds; 0 fails at once. */
  timeoutMs: number;
  emit: Emit;
  signal?: AbortSignal;
  /** Between two tries of a busy lock. */
  pollMs?: number;
  /** Lock directories to try on each host (tests). */
  dirs?: readonly string[];
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`;
  }
}

const keyOf = (t: LockTarget) => JSON.stringify([t.host, t.dataset]);

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export class PlanLocks {
  private readonly held = new Map<string, HeldLock>();
  private releasing = false;

  constructor(
    private readonly session: LockSession,
    private readonly opts: PlanLockOptions,
  ) {}

  /** Takes those of `targets` not held yet, in the order given, waiting --lock-timeout for all of them together; true when it took any. */
  async acquire(targets: readonly LockTarget[]): Promise<boolean> {
    const needed = targets.filter((t) => !this.held.has(keyOf(t)));
    const deadline = Date.now() + this.opts.timeoutMs;
    for (const t of needed) await this.take(t, deadline);
    return needed.length > 0;
  }

  async release(): Promise<void> {
    this.releasing = true;
    const all = [...this.held.values()];
    this.held.clear();
    await Promise.all(all.map((h) => h.release()));
  }

  private async take(t: LockTarget, deadline: number): Promise<void> {
    const runner = this.session.runners.get(t.host);
    if (!runner) throw new LockError(`cannot lock ${what(t)}: ${t.host} is not connected`);
    const started = Date.now();
    let announced: string | undefined;
    for (;;) {
      if (this.opts.signal?.aborted) throw new LockError(`interrupted while taking the lock on ${what(t)}`);
      const id = newLockId();
      const record = formatRecord({ id, ...t, controller: hostname(), controllerPid: process.pid, user: currentUser(), started: new Date().toISOString(), version: VERSION });
      const r = await tryLock(runner, t.dataset, record, this.opts.dirs);
      if (r.kind === 'locked') {
        this.held.set(keyOf(t), r.held);
        if (r.stale || r.staleUnreadable) this.opts.emit({ type: 'lock-takeover', ...t, id, ...(r.stale ? { stale: r.stale } : {}) });
        this.opts.emit({ type: 'lock-acquired', ...t, id });
        void r.held.ended.then(() => {
          if (!this.releasing) this.opts.emit({ type: 'lock-lost', ...t, id });
        });
        return;
      }
      if (r.kind === 'no-flock') throw new LockError(noFlockMessage(t));
      if (r.kind === 'error') throw new LockError(`cannot lock ${what(t)}: ${r.message}`);
      const now = Date.now();
      if (now >= deadline) throw new LockError(busyMessage(t, r.holder, now - started));
      const holderId = r.holder?.id ?? '?';
      if (announced !== holderId) {
        announced = holderId;
        this.opts.emit({ type: 'lock-waiting', ...t, timeoutMs: this.opts.timeoutMs, ...(r.holder ? { holder: r.holder } : {}) });
      }
      await pause(Math.min(this.opts.pollMs ?? 1000, deadline - now), this.opts.signal);
    }
  }
}
