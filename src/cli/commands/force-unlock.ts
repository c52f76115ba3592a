import { LockError, UsageError } from '../../errors.js';
import { closeAll, connectHosts } from '../../host/connect.js';
import { LOCK_ID } from '../../lock/record.js';
import { listLocks, removedMessage, removeLock, type FoundLock } from '../../lock/unlock.js';
import { loadSpec } from '../../spec/load.js';
import { rootsToRead } from '../../state/roots.js';
import { err, out, type Io } from '../io.js';

/** `zfsync force-unlock ID`: looks for the lock on every host of the spec and removes it. */
export async function forceUnlockCommand(io: Io, id: string, flags: { config: string }): Promise<number> {
  if (!LOCK_ID.test(id)) throw new UsageError(`'${id}' is not a lock id: 12 hex digits, as "locked by ... lock id ID" prints it`);
  const spec = await loadSpec(flags.config);
  const hosts = [...rootsToRead(spec).keys()].sort();
  const { runners, unreachable } = await connectHosts(spec, hosts);
  try {
    for (const [host, why] of unreachable) err(io, `Warning: ${why} (${host} was not searched)`);
    const problems: string[] = [];
    const found: FoundLock[] = [];
    await Promise.all(
      [...runners.values()].map(async (runner) => {
        try {
          found.push(...(await listLocks(runner)).filter((l) => l.record.id === id));
        } catch (e) {
          if (!(e instanceof LockError)) throw e;
          problems.push(e.message);
        }
      }),
    );
    for (const p of problems) err(io, `Warning: ${p}`);
    // Two spec hosts may be one machine; prefer the host the lock's own apply called it by.
    const lock = found.find((l) => l.record.host === l.host) ?? found[0];
    if (!lock) {
      const unsearched = [...unreachable.keys()];
      throw new LockError(`no lock with id ${id} on ${hosts.join(', ')}${unsearched.length ? ` (not reachable: ${unsearched.join(', ')})` : ''}`);
    }
    const outcome = await removeLock(runners.get(lock.host)!, lock);
    out(io, removedMessage(lock, outcome));
    return 0;
  } finally {
    await closeAll(runners);
  }
}
