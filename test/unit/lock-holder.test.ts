// The lock scripts run for real through the local runner (sh and flock(1), no ZFS), in a temp
// directory instead of /run/lock: busy, release, stale takeover, waiting, force-unlock, no flock.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { LockError } from '../../src/errors.js';
import { LocalRunner } from '../../src/host/local.js';
import type { ZfsyncEvent } from '../../src/io/events.js';
import { tryLock } from '../../src/lock/holder.js';
import { PlanLocks } from '../../src/lock/plan-lock-set.js';
import { formatRecord, lockName, parseRecord, type LockTarget } from '../../src/lock/record.js';
import { holdArgs, HOLD_SCRIPT, lockScriptArgv } from '../../src/lock/script.js';
import { listLocks, removeLock } from '../../src/lock/unlock.js';
import type { Spec } from '../../src/types.js';
import { alive } from '../helpers/process.js';

const DATASET = "backup/pve 1:x'y";
const record = (id: string) => formatRecord({ id, role: 'target', host: 'local', dataset: DATASET, controller: 'ctl', controllerPid: 99, user: 'tester', started: '2026-11-22T10:00:00.000Z', version: '0.1.0' });

async function lockDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zfsync-locks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}


const runner = new LocalRunner();

describe('lock holder on this machine', () => {
  it('holds the lock until released: a second try is busy and names the holder; release removes the record', async (t) => {
    const dir = await lockDir(t);
    const first = await tryLock(runner, DATASET, record('aaaaaaaaaaaa'), [dir]);
    assert.equal(first.kind, 'locked');
    if (first.kind !== 'locked') return;
    const info = path.join(dir, `${lockName(DATASET)}.info`);
    const onDisk = parseRecord(await readFile(info, 'utf8'))!;
    assert.equal(onDisk.dataset, DATASET);
    assert.ok(onDisk.holderPid && alive(onDisk.holderPid), 'the holder shell is alive');
    const lockFile = path.join(dir, `${lockName(DATASET)}.lock`);
    assert.equal(await readFile(lockFile, 'utf8'), `dataset=${DATASET}\n`, 'a new lock file names its dataset');

    const second = await tryLock(runner, DATASET, record('bbbbbbbbbbbb'), [dir]);
    assert.equal(second.kind, 'busy');
    assert.equal(second.kind === 'busy' && second.holder?.id, 'aaaaaaaaaaaa');
    // Another dataset is another lock.
    const other = await tryLock(runner, 'backup/other', record('cccccccccccc'), [dir]);
    assert.equal(other.kind, 'locked');
    if (other.kind === 'locked') await other.held.release();

    await first.held.release();
    assert.equal(alive(onDisk.holderPid!), false);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.info')), []);
    const third = await tryLock(runner, DATASET, record('dddddddddddd'), [dir]);
    assert.deepEqual(third.kind === 'locked' && [third.stale, third.staleUnreadable], [undefined, undefined], 'a released lock is not stale');
    if (third.kind === 'locked') await third.held.release();
  });

  it('a holder whose stdin closes without release (zfsync died) frees the lock and leaves a stale record, taken over next', async (t) => {
    const dir = await lockDir(t);
    const p = runner.spawn(lockScriptArgv(holdArgs(lockName(DATASET), record('eeeeeeeeeeee'), [dir])));
    p.stdout.setEncoding('utf8');
    const locked = new Promise<void>((resolve) => p.stdout.on('data', (c: string) => c.includes('@@locked') && resolve()));
    p.stdin!.write(HOLD_SCRIPT);
    await locked;
    p.stdin!.end();
    await p.done;
    const next = await tryLock(runner, DATASET, record('ffffffffffff'), [dir]);
    assert.equal(next.kind, 'locked');
    if (next.kind !== 'locked') return;
    assert.equal(next.stale?.id, 'eeeeeeeeeeee');
    await next.held.release();
  });

  it('waits for a busy lock until it frees, telling who holds it; fails naming the holder when the timeout passes', async (t) => {
    const dir = await lockDir(t);
    const target: LockTarget = { host: 'local', dataset: DATASET, role: 'target' };
    const session = { spec: {} as Spec, state: { hosts: {} }, runners: new Map([['local', runner]]) };
    const first = await tryLock(runner, DATASET, record('111111111111'), [dir]);
    assert.equal(first.kind, 'locked');
    if (first.kind !== 'locked') return;

    const events: ZfsyncEvent[] = [];
    const impatient = new PlanLocks(session, { timeoutMs: 300, pollMs: 100, emit: (e) => events.push(e), dirs: [dir] });
    const started = Date.now();
    let message = '';
    await assert.rejects(impatient.acquire([target]), (e: unknown) => e instanceof LockError && ((message = e.message), true));
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 300, 'it waited for the timeout');
    const m = /^target backup\/pve 1:x'y on local is locked by tester@ctl pid 99 since .* lock id 111111111111\); waited (\d+)s/.exec(message);
    assert.ok(m, message);
    // The wait it reports is the real one, in whole seconds (a loaded machine may take longer than the 300 ms timeout).
    assert.ok(Number(m[1]) <= Math.ceil(elapsed / 1000), `${m[1]}s reported after ${elapsed} ms`);
    assert.deepEqual(events.map((e) => e.type), ['lock-waiting']);
    await impatient.release();

    events.length = 0;
    const patient = new PlanLocks(session, { timeoutMs: 20_000, pollMs: 100, emit: (e) => events.push(e), dirs: [dir] });
    setTimeout(() => void first.held.release(), 500);
    const waited = Date.now();
    assert.equal(await patient.acquire([target]), true);
    assert.ok(Date.now() - waited >= 400, 'it got the lock only once the first let go');
    assert.deepEqual(events.map((e) => e.type), ['lock-waiting', 'lock-acquired']);
    assert.equal(await patient.acquire([target]), false, 'a held lock is not taken twice');
    await patient.release();
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.info')), []);
  });

  it('force-unlock: ends a busy lock\'s holder, removes a stale record, and the apply that held it is told', async (t) => {
    const dir = await lockDir(t);
    const session = { spec: {} as Spec, state: { hosts: {} }, runners: new Map([['local', runner]]) };
    const events: ZfsyncEvent[] = [];
    const locks = new PlanLocks(session, { timeoutMs: 0, emit: (e) => events.push(e), dirs: [dir] });
    await locks.acquire([{ host: 'local', dataset: DATASET, role: 'target' }]);
    const id = (events.find((e) => e.type === 'lock-acquired') as { id: string }).id;
    const listed = await listLocks(runner, [dir]);
    assert.deepEqual(listed.map((l) => [l.name, l.record.id, l.record.dataset]), [[lockName(DATASET), id, DATASET]]);
    const pid = listed[0]!.record.holderPid!;
    assert.deepEqual(await removeLock(runner, listed[0]!, [dir]), { kind: 'killed', pid });
    assert.equal(alive(pid), false);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(events.some((e) => e.type === 'lock-lost' && e.id === id), 'the holding apply hears that its lock is gone');
    assert.deepEqual(await listLocks(runner, [dir]), []);
    await assert.rejects(removeLock(runner, listed[0]!, [dir]), /is gone already/);
    await locks.release();

    // A stale record (its holder died without releasing) is removed without killing anything.
    const p = runner.spawn(lockScriptArgv(holdArgs(lockName('x/y'), formatRecord({ ...listed[0]!.record, id: '222222222222', dataset: 'x/y' }), [dir])));
    p.stdout.setEncoding('utf8');
    const locked = new Promise<void>((resolve) => p.stdout.on('data', (c: string) => c.includes('@@locked') && resolve()));
    p.stdin!.write(HOLD_SCRIPT);
    await locked;
    p.stdin!.end();
    await p.done;
    const stale = await listLocks(runner, [dir]);
    assert.equal(stale.length, 1);
    assert.deepEqual(await removeLock(runner, stale[0]!, [dir]), { kind: 'stale' });
    assert.deepEqual(await listLocks(runner, [dir]), []);
  });

  it('says which tool is missing on a host without flock(1), and when no lock directory is usable', async (t) => {
    const dir = await lockDir(t);
    const bin = await lockDir(t);
    for (const tool of ['sh', 'cat', 'mv', 'rm', 'printf']) {
      const real = ['/bin', '/usr/bin'].map((d) => path.join(d, tool));
      for (const r of real) {
        try {
          await symlink(r, path.join(bin, tool));
          break;
        } catch {
          // try the next directory
        }
      }
    }
    const saved = process.env.PATH;
    process.env.PATH = bin;
    const bare = new LocalRunner();
    process.env.PATH = saved;
    assert.deepEqual(await tryLock(bare, DATASET, record('333333333333'), [dir]), { kind: 'no-flock' });
    const session = { spec: {} as Spec, state: { hosts: {} }, runners: new Map([['local', bare]]) };
    const locks = new PlanLocks(session, { timeoutMs: 0, emit: () => undefined, dirs: [dir] });
    await assert.rejects(locks.acquire([{ host: 'local', dataset: 'tank/vm', role: 'source' }]), {
      message: 'cannot lock source tank/vm on local: local has no flock(1), which zfsync apply locks with; install util-linux there (FreeBSD: the sysutils/flock port)',
    });
    assert.deepEqual(await tryLock(runner, DATASET, record('444444444444'), [path.join(dir, 'missing')]), { kind: 'error', message: 'no writable lock directory' });
  });
});
