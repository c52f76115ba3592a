// One lock on one host: a long-lived `sh -s` there (see script.ts) holding a flock. Trying is
// never blocking on the host; waiting is zfsync retrying, so an interrupted wait leaves nothing.
import type { CommandRunner, RunningProcess } from '../host/runner.js';
import { holdArgs, holdOutcome, HOLD_SCRIPT, lockScriptArgv } from './script.js';
import { lockName, parseRecord, type LockRecord } from './record.js';

export type TryResult =
  | { kind: 'locked'; held: HeldLock; stale?: LockRecord; staleUnreadable?: boolean }
  | { kind: 'busy'; holder?: LockRecord }
  | { kind: 'no-flock' }
  | { kind: 'error'; message: string };

export interface HeldLock {
  /** Resolves when the holder process ends, for whatever reason. */
  readonly ended: Promise<void>;
  /** Tells the holder to remove its record and end, and waits for it. */
  release(): Promise<void>;
}

export async function tryLock(runner: CommandRunner, dataset: string, record: readonly string[], dirs?: readonly string[]): Promise<TryResult> {
  const proc = runner.spawn(lockScriptArgv(holdArgs(lockName(dataset), record, dirs)));
  let stdout = '';
  proc.stdout.setEncoding('utf8');
  const outcome = await new Promise<ReturnType<typeof holdOutcome>>((resolve) => {
    proc.stdout.on('data', (c: string) => {
      stdout += c;
      const o = holdOutcome(stdout, false);
      if (o) resolve(o);
    });
    void proc.done.then(() => setImmediate(() => resolve(holdOutcome(stdout, true))));
    proc.stdin?.write(HOLD_SCRIPT);
  });
  switch (outcome?.kind) {
    case 'locked': {
      const result: TryResult = { kind: 'locked', held: heldBy(proc) };
      if (outcome.stale !== undefined) {
        const stale = parseRecord(outcome.stale);
        if (stale) result.stale = stale;
        else result.staleUnreadable = true;
      }
      return result;
    }
    case 'busy': {
      const holder = parseRecord(outcome.record);
      return holder ? { kind: 'busy', holder } : { kind: 'busy' };
    }
    case 'no-flock':
      return { kind: 'no-flock' };
    default: {
      proc.kill('SIGKILL');
      const r = await proc.done;
      const why = outcome?.message || r.stderrTail.trim() || `exit ${r.exitCode ?? r.signal}`;
      return { kind: 'error', message: why };
    }
  }
}

function heldBy(proc: RunningProcess): HeldLock {
  const ended = proc.done.then(() => undefined);
  return {
    ended,
    async release() {
      proc.stdin?.end('release\n');
      await ended;
    },
  };
}
