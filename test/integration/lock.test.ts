// Locking with real zfsync processes on real ZFS: a second apply fails at once naming the
// holder, or waits with --lock-timeout and converges after the first; an apply killed with
// SIGKILL leaves a stale lock the next one takes over; force-unlock removes one by id; over
// SSH the lock is held by a shell on the remote host.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalRunner } from '../../src/host/local.js';
import type { ZfsyncEvent } from '../../src/io/events.js';
import { PlanLocks } from '../../src/lock/plan-lock-set.js';
import { lockName, parseRecord } from '../../src/lock/record.js';
import type { Spec } from '../../src/types.js';
import { VERSION } from '../../src/version.js';
import { specFile, zfsync } from '../helpers/cli.js';
import { sshHost } from '../helpers/ssh-spec.js';
import { requireSshd, startSshd } from '../helpers/sshd.js';
import { createDatasets, listSnapshots, makePools, requireZfs, stateDigest, writeRandom } from '../helpers/zfs.js';
import { alive } from '../helpers/process.js';

const MAIN = pathToFileURL(fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))).href;
const ENV = { ...process.env, NO_COLOR: '1', PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };
const ME = `${userInfo().username}@${hostname()}`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Cli {
  child: ChildProcess;
  pid: number;
  out: () => string;
  err: () => string;
  /** Resolves with the match once `re` matches that stream's text so far. */
  waitFor: (stream: 'out' | 'err', re: RegExp, ms?: number) => Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A real zfsync process (the CLI from source, through tsx), killed after the test if still running. */
function cli(t: TestContext, args: string[]): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { run } from ${JSON.stringify(MAIN)}; process.exitCode = await run(process.argv.slice(1));`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: ENV,
  });
  const text = { out: '', err: '' };
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (c: Buffer) => ((text.out += c.toString()), waiters.forEach((w) => w())));
  child.stderr!.on('data', (c: Buffer) => ((text.err += c.toString()), waiters.forEach((w) => w())));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const waitFor = (stream: 'out' | 'err', re: RegExp, ms = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} on ${stream} of zfsync ${args.join(' ')} within ${ms}ms:\n${text.out}\n${text.err}`)), ms);
      const check = () => {
        const m = re.exec(text[stream]);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      };
      waiters.push(check);
      void exit.then(() => setTimeout(() => {
        check();
        reject(new Error(`zfsync ${args.join(' ')} ended without ${re} on ${stream}:\n${text.out}\n${text.err}`));
      }, 50));
      check();
    });
  return { child, pid: child.pid!, out: () => text.out, err: () => text.err, waitFor, exit };
}

const short = async (ds: string) => (await listSnapshots(ds)).map((x) => ({ name: x.name.slice(x.name.indexOf('@') + 1), guid: x.guid }));


/** The pids from `pid` up to init. */
async function ancestors(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = pid; p > 1; ) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid) || ppid <= 0) break;
    out.push(ppid);
    p = ppid;
  }
  return out;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const infoFile = (dataset: string) => path.join('/run/lock', `${lockName(dataset)}.info`);

test('a lock held elsewhere stops apply at once (fresh or saved plan) and changes nothing; dry-run and plan take none; force-unlock by id frees it', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm1`, `${dst}/bk`]);
  await writeRandom(`${src}/vm/vm1`, 'disk', 1 << 20);
  const { dir, spec } = await specFile(
    t,
    `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}/bk", strip_path: 1 }
replicate:
  - { from: vms, to: bk }
`,
  );
  // Another apply's lock on the target: a holder shell on this host, as apply takes it.
  const events: ZfsyncEvent[] = [];
  const other = new PlanLocks({ spec: {} as Spec, runners: new Map([['local', new LocalRunner()]]) }, { timeoutMs: 0, emit: (e) => events.push(e) });
  t.after(() => other.release());
  await other.acquire([{ host: 'local', dataset: `${dst}/bk`, role: 'target' }]);
  const id = (events[0] as Extract<ZfsyncEvent, { type: 'lock-acquired' }>).id;
  const before = await stateDigest([src, dst]);

  const blocked = await zfsync(['apply', '-c', spec, '--auto-approve']);
  assert.equal(blocked.code, 1, blocked.stdout + blocked.stderr);
  assert.match(blocked.stderr, new RegExp(`^Error: target ${esc(dst)}/bk on local is locked by ${esc(ME)} pid ${process.pid} since \\S+ \\(zfsync ${esc(VERSION)}, lock id ${id}\\); waited 0s; wait with --lock-timeout, or run zfsync force-unlock ${id} if that apply is gone$`, 'm'));
  assert.doesNotMatch(blocked.stdout, /^(?:\d{4}-\d\d-\d\dT\S+Z )?\[a\d+\]/m, 'no action started');
  assert.equal(await stateDigest([src, dst]), before, 'nothing changed on either pool');

  const planFile = path.join(dir, 'plan.json');
  assert.equal((await zfsync(['plan', '-c', spec, '--out', planFile])).code, 0, 'plan never locks');
  const savedBlocked = await zfsync(['apply', planFile, '-c', spec]);
  assert.equal(savedBlocked.code, 1);
  assert.match(savedBlocked.stderr, new RegExp(`is locked by ${esc(ME)} pid ${process.pid} .*lock id ${id}\\)`));
  const dry = await zfsync(['apply', '-c', spec, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.doesNotMatch(dry.stderr, /lock/i, 'dry-run takes no lock');
  assert.equal(await stateDigest([src, dst]), before);

  const badId = await zfsync(['force-unlock', 'xyz', '-c', spec]);
  assert.equal(badId.code, 1);
  assert.equal(badId.stderr.trim(), `Error: 'xyz' is not a lock id: 12 hex digits, as "locked by ... lock id ID" prints it`);
  const unknown = await zfsync(['force-unlock', '000000000000', '-c', spec]);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr.trim(), 'Error: no lock with id 000000000000 on local');

  const holderPid = parseRecord(await readFile(infoFile(`${dst}/bk`), 'utf8'))!.holderPid!;
  assert.ok(alive(holderPid));
  const unlocked = await zfsync(['force-unlock', id, '-c', spec]);
  assert.equal(unlocked.code, 0, unlocked.stderr);
  assert.match(unlocked.stdout, new RegExp(`^Removed the lock ${id} on target ${esc(dst)}/bk on local, taken by ${esc(ME)} pid ${process.pid} .*: ended its holder process ${holderPid} there\\.`));
  await until('the holder has ended', () => !alive(holderPid));
  await until('the holding apply is told', () => events.some((e) => e.type === 'lock-lost'));

  // Saved and fresh plans run now; the saved one first, then nothing is left to do.
  const applied = await zfsync(['apply', planFile, '-c', spec, '--json']);
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const lines = applied.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ZfsyncEvent);
  assert.deepEqual(
    lines.filter((e) => e.type.startsWith('lock-')).map((e) => [e.type, 'dataset' in e ? e.dataset : '']),
    [['lock-acquired', `${dst}/bk`], ['lock-acquired', `${src}/vm`]],
  );
  assert.deepEqual(await short(`${dst}/bk/vm/vm1`), await short(`${src}/vm/vm1`));
  await assert.rejects(readFile(infoFile(`${dst}/bk`)), { code: 'ENOENT' }, 'released: no record left');
  const converged = await zfsync(['plan', '-c', spec, '--detailed-exitcode']);
  assert.equal(converged.code, 0, converged.stdout);
});

async function ready(t: TestContext): Promise<boolean> {
  return (await requireZfs(t)) && (await requireSshd(t));
}

test('two real applies on one target: the second fails at once naming the first, a third waits with --lock-timeout and converges after it', async (t) => {
  if (!(await ready(t))) return;
  const server = await startSshd(t);
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/data`]);
  await writeRandom(`${src}/data`, 'x', 6 << 20);
  // Pulled from nas at 1 MiB/s: the first apply holds its locks for several seconds.
  const { spec } = await specFile(
    t,
    `version: 1
hosts:
${sshHost('nas', server)}
sources:
  data: { host: nas, datasets: ["${src}/data"], snapshot_every: 1h }
targets:
  here: { dataset: "${dst}/r", strip_path: 1 }
replicate:
  - { from: data, to: here, transport: { compress: none, buffer: none, bandwidth_limit: 1M } }
`,
  );
  const first = cli(t, ['apply', '-c', spec, '--auto-approve']);
  const [, firstId] = await first.waitFor('err', new RegExp(`^Locked target ${esc(dst)}/r on local \\(lock id (\\w+)\\)$`, 'm'));
  await first.waitFor('err', new RegExp(`^Locked source ${esc(src)}/data on nas `, 'm'));
  await first.waitFor('out', /^(?:\d{4}-\d\d-\d\dT\S+Z )?\[a\d+\] send full/m);

  const patient = cli(t, ['apply', '-c', spec, '--auto-approve', '--lock-timeout', '2m']);
  const second = await zfsync(['apply', '-c', spec, '--auto-approve']);
  assert.equal(second.code, 1, second.stdout + second.stderr);
  assert.match(second.stderr, new RegExp(`^Error: target ${esc(dst)}/r on local is locked by ${esc(ME)} pid ${first.pid} since \\S+ \\(zfsync ${esc(VERSION)}, lock id ${firstId}\\); waited 0s`, 'm'));
  assert.doesNotMatch(second.stdout, /^(?:\d{4}-\d\d-\d\dT\S+Z )?\[a\d+\]/m, 'the second ran nothing');

  await patient.waitFor('err', new RegExp(`^Waiting up to 120s for the lock on target ${esc(dst)}/r on local, held by ${esc(ME)} pid ${first.pid} `, 'm'));
  assert.equal(first.child.exitCode, null, 'the first was still running while the third waited');
  const firstEnd = await first.exit;
  assert.deepEqual(firstEnd, { code: 0, signal: null }, first.out() + first.err());
  const patientEnd = await patient.exit;
  assert.deepEqual(patientEnd, { code: 0, signal: null }, patient.out() + patient.err());
  // It read the state only once it held the lock, after the first had replicated: nothing left to do.
  assert.match(patient.out(), /No changes\./);
  assert.doesNotMatch(patient.out(), /^(?:\d{4}-\d\d-\d\dT\S+Z )?\[a\d+\]/m);
  const s = await short(`${src}/data`);
  assert.equal(s.length, 1, 'one snapshot: the first apply\'s');
  assert.deepEqual(await short(`${dst}/r/data`), s);
  assert.equal((await zfsync(['plan', '-c', spec, '--detailed-exitcode'])).code, 0);
});

test('SIGKILL mid-apply: the lock held on the remote host frees, the next apply takes over the stale lock with a message and converges', async (t) => {
  if (!(await ready(t))) return;
  const server = await startSshd(t);
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm1`]);
  await writeRandom(`${src}/vm/vm1`, 'disk', 6 << 20);
  const { spec } = await specFile(
    t,
    `version: 1
hosts:
${sshHost('nas', server)}
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  off: { host: nas, dataset: "${dst}/pve", strip_path: 1 }
replicate:
  - { from: vms, to: off, transport: { compress: none, buffer: none, bandwidth_limit: 1M } }
`,
  );
  const first = cli(t, ['apply', '-c', spec, '--auto-approve']);
  const [, sourceId] = await first.waitFor('err', new RegExp(`^Locked source ${esc(src)}/vm on local \\(lock id (\\w+)\\)$`, 'm'));
  const [, id] = await first.waitFor('err', new RegExp(`^Locked target ${esc(dst)}/pve on nas \\(lock id (\\w+)\\)$`, 'm'));
  await first.waitFor('out', /^(?:\d{4}-\d\d-\d\dT\S+Z )?\[a\d+\]   \d/m); // bytes are flowing

  // The lock lives on nas: its holder shell is a child of the SSH session there, not of zfsync.
  const record = parseRecord(await readFile(infoFile(`${dst}/pve`), 'utf8'))!;
  assert.equal(record.id, id);
  assert.equal(record.host, 'nas');
  assert.equal(record.controllerPid, first.pid);
  const holder = record.holderPid!;
  const chain = await ancestors(holder);
  const sessions = await server.sessionPids();
  assert.ok(chain.some((p) => sessions.includes(p)), `holder ${holder} (ancestors ${chain.join(' ')}) runs under an sshd session (${sessions.join(' ')})`);
  assert.ok(!chain.includes(first.pid), 'not a child of zfsync');

  first.child.kill('SIGKILL');
  assert.deepEqual(await first.exit, { code: null, signal: 'SIGKILL' });
  await until('the remote holder ends with its session', () => !alive(holder));
  assert.equal(parseRecord(await readFile(infoFile(`${dst}/pve`), 'utf8'))?.id, id, 'the record stays: the lock was never released');

  const next = await zfsync(['apply', '-c', spec, '--auto-approve']);
  assert.equal(next.code, 0, next.stdout + next.stderr);
  assert.match(next.stderr, new RegExp(`^Took over a stale lock on target ${esc(dst)}/pve on nas: zfsync pid ${first.pid} on ${esc(hostname())} \\(${esc(userInfo().username)}, started \\S+, lock id ${id}\\) ended without releasing it$`, 'm'));
  assert.deepEqual(await short(`${dst}/pve/vm/vm1`), await short(`${src}/vm/vm1`));
  await assert.rejects(readFile(infoFile(`${dst}/pve`)), { code: 'ENOENT' });
  const converged = await zfsync(['plan', '-c', spec, '--detailed-exitcode']);
  assert.equal(converged.code, 0, converged.stdout + converged.stderr);

  // The source root (it has snapshot_every) was locked too: its stale record is taken over and removed the same way.
  assert.match(next.stderr, new RegExp(`^Took over a stale lock on source ${esc(src)}/vm on local: zfsync pid ${first.pid} .*lock id ${sourceId}\\) ended without releasing it$`, 'm'));
  await assert.rejects(readFile(infoFile(`${src}/vm`)), { code: 'ENOENT' });
});
