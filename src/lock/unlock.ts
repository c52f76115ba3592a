// force-unlock: find a lock by id among a set of hosts, and remove it there.
import { LockError } from '../errors.js';
import type { CommandRunner } from '../host/runner.js';
import { holderText, noFlockMessage } from './messages.js';
import { parseRecord, type LockRecord } from './record.js';
import { LIST_SCRIPT, listArgs, lockScriptArgv, parseListing, UNLOCK_SCRIPT, unlockArgs } from './script.js';

export interface FoundLock {
  /** The runner's host (where the lock file is). */
  host: string;
  name: string;
  record: LockRecord;
}

const NAME = /^zfsync-[0-9a-f]{16}$/;

/** Every readable lock record on a host. */
export async function listLocks(runner: CommandRunner, dirs?: readonly string[]): Promise<FoundLock[]> {
  const r = await runner.run(lockScriptArgv(listArgs(dirs)), { input: LIST_SCRIPT });
  if (!/^@@end$/m.test(r.stdout)) {
    const said = /^@@error (.*)$/m.exec(r.stdout)?.[1] ?? r.stderrTail.trim();
    if (/^@@noflock$/m.test(r.stdout)) throw new LockError(noFlockMessage({ host: runner.host, dataset: '(any)', role: 'target' }));
    throw new LockError(`${runner.host}: cannot list locks: ${said || `exit ${r.exitCode ?? r.signal}`}`);
  }
  const found: FoundLock[] = [];
  for (const { file, text } of parseListing(r.stdout)) {
    const name = (file.split('/').pop() ?? '').replace(/\.info$/, '');
    const record = parseRecord(text);
    if (record && NAME.test(name)) found.push({ host: runner.host, name, record });
  }
  return found;
}

export type UnlockOutcome = { kind: 'killed'; pid: number } | { kind: 'stale' };

/** Removes the lock: ends its holder process when the lock is busy, then removes its record. */
export async function removeLock(runner: CommandRunner, lock: FoundLock, dirs?: readonly string[]): Promise<UnlockOutcome> {
  const r = await runner.run(lockScriptArgv(unlockArgs(lock.name, lock.record.id, dirs)), { input: UNLOCK_SCRIPT });
  const killed = /^@@killed (\d+)$/m.exec(r.stdout);
  if (killed) return { kind: 'killed', pid: Number(killed[1]) };
  if (/^@@stale$/m.test(r.stdout)) return { kind: 'stale' };
  if (/^@@gone$/m.test(r.stdout)) throw new LockError(`lock ${lock.record.id} on ${lock.host} is gone already: its apply released it meanwhile`);
  const said = /^@@error (.*)$/m.exec(r.stdout)?.[1] ?? r.stderrTail.trim();
  throw new LockError(`cannot remove lock ${lock.record.id} on ${lock.host}: ${said || `exit ${r.exitCode ?? r.signal}`}`);
}

export function removedMessage(lock: FoundLock, outcome: UnlockOutcome): string {
  const of = `lock ${lock.record.id} on ${lock.record.role} ${lock.record.dataset} on ${lock.host}, taken by ${holderText(lock.record)}`;
  if (outcome.kind === 'stale') return `Removed the stale ${of}: its process had already ended.`;
  return `Removed the ${of}: ended its holder process ${outcome.pid} there. If that apply still runs, it runs without its lock.`;
}
