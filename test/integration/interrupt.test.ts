// zfsync as a real process, told to stop mid-stream (SIGINT, SIGTERM, SIGHUP to its pid alone):
// it stops the whole pipeline, local and remote, waits for it, says what was interrupted and
// exits 128 + the signal; the next apply converges. A closed stdout never aborts an apply.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeAll, connectHosts } from '../../src/host/connect.js';
import { parseSpec } from '../../src/spec/load.js';
import { specFile } from '../helpers/cli.js';
import { sshHost } from '../helpers/ssh-spec.js';
import { requireSshd, startSshd } from '../helpers/sshd.js';
import { createDatasets, datasetExists, destroy, getProp, listSnapshots, makePools, requireZfs, writeRandom } from '../helpers/zfs.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = 'test/helpers/zfsync-bin.ts';
const CRON_PATH = '/usr/bin:/bin';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  child: ChildProcess;
  /** Every process this zfsync starts inherits it: how its leftovers are found after it is gone. */
  marker: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The real CLI in a process of its own, its environment marked, under cron's PATH. */
function startZfsync(args: string[], opts: { closeStdoutAfterFirstChunk?: boolean } = {}): Run {
  const marker = `ZFSYNC_TEST_RUN=${randomBytes(6).toString('hex')}`;
  const [k, v] = marker.split('=') as [string, string];
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: CRON_PATH, NO_COLOR: '1', [k]: v },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    if (opts.closeStdoutAfterFirstChunk) child.stdout!.destroy(); // as `| head -1` does
  });
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, marker, stdout: () => out, stderr: () => err, exited };
}

interface Proc {
  pid: number;
  cmdline: string;
}

/** Live processes whose environment holds `envEntry` (zombies have none). */
async function processesWithEnv(envEntry: string): Promise<Proc[]> {
  const found: Proc[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const environ = await readFile(`/proc/${name}/environ`, 'latin1').catch(() => '');
    if (!environ.split('\0').includes(envEntry)) continue;
    const cmdline = (await readFile(`/proc/${name}/cmdline`, 'latin1').catch(() => '')).split('\0').join(' ').trim();
    if (cmdline) found.push({ pid: Number(name), cmdline });
  }
  return found;
}

/** Live processes whose command line names one of `pools` (zfs send/receive of this test). */
async function processesNaming(pools: string[]): Promise<Proc[]> {
  const found: Proc[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = (await readFile(`/proc/${name}/cmdline`, 'latin1').catch(() => '')).split('\0').join(' ').trim();
    if (/\bzfs\b.*\b(send|receive|recv)\b/.test(cmdline) && pools.some((p) => cmdline.includes(p))) found.push({ pid: Number(name), cmdline });
  }
  return found;
}

async function until(what: string, check: () => Promise<boolean> | boolean, run?: Run, everyMs = 100, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}${run ? `:\n${run.stdout()}${run.stderr()}` : ''}`);
    await sleep(everyMs);
  }
}

async function writeZeros(dataset: string, file: string, bytes: number): Promise<void> {
  const mountpoint = await getProp(dataset, 'mountpoint');
  const fh = await open(path.join(mountpoint, file), 'w');
  const block = Buffer.alloc(1 << 20);
  try {
    for (let left = bytes; left > 0; left -= block.length) await fh.write(block, 0, Math.min(left, block.length));
  } finally {
    await fh.close();
  }
}

const guids = async (dataset: string) => (await listSnapshots(dataset)).map((s) => s.guid);

const localSpec = (src: string, dst: string) => `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  backup: { dataset: "${dst}/r", strip_path: 1 }
replicate:
  - { from: vms, to: backup }
`;

test('SIGINT, SIGTERM and SIGHUP mid-send: the pipeline is stopped and waited for, 130/143/129, then apply converges', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst'], 2048);
  await createDatasets([`${src}/vm/big`, `${src}/vm/later`]);
  // A stream of ~1 GiB (zfs-fuse stores zeros as they are: no compression) lasts a few seconds.
  await writeZeros(`${src}/vm/big`, 'disk', 1024 << 20);
  await writeRandom(`${src}/vm/later`, 'disk', 1 << 20);
  const { spec } = await specFile(t, localSpec(src, dst));

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    // zfs-fuse's daemon may finish a receive whose data was all in the pipe when the client died: start over.
    // (Its daemon may also still be unwinding the receive of the client just killed: "dataset already exists".)
    await until('the interrupted receive is unwound', () => destroy(`${dst}/r/vm/big`, { recursive: true }).then(() => true, (e: unknown) => /does not exist/.test(String(e))));
    const run = startZfsync(['apply', '-c', spec, '--auto-approve', '--parallelism', '1']);
    // Mid-stream: zfs send, dd and zfs receive of the big dataset run.
    let pipeline: Proc[] = [];
    await until(`${signal}: the send is under way`, async () => {
      pipeline = await processesWithEnv(run.marker);
      return ['zfs send', '^dd ', `zfs (receive|recv) .*${dst}/r/vm/big`].every((re) => pipeline.some((p) => new RegExp(re).test(p.cmdline)));
    }, run, 50);
    run.child.kill(signal); // zfsync's pid alone, as systemd, a CI runner or `kill PID` do
    const exit = await run.exited;
    assert.equal(exit.code, code, run.stdout() + run.stderr());
    assert.match(run.stdout(), new RegExp(`Interrupted \\(${signal}\\): .*a\\d+ send full ${src}/vm/big @\\S+ => ${dst}/r/vm/big stopped; .*a\\d+ not started\\. The next apply resumes from the state it finds\\.`));
    assert.doesNotMatch(run.stderr(), /internal error|\n\s+at /);
    // Waited for: nothing it started outlives it, and no zfs send/receive of these pools runs.
    assert.deepEqual(await processesWithEnv(run.marker), [], 'no process of that zfsync left');
    assert.deepEqual(await processesNaming([src, dst]), [], 'no zfs send or receive left');
  }

  const again = startZfsync(['apply', '-c', spec, '--auto-approve']);
  const exit = await again.exited;
  assert.equal(exit.code, 0, again.stdout() + again.stderr());
  for (const leaf of ['big', 'later']) assert.deepEqual(await guids(`${dst}/r/vm/${leaf}`), await guids(`${src}/vm/${leaf}`));
});

test('over SSH: SIGTERM mid-send stops the remote receive too, and the next apply converges', async (t) => {
  if (!(await requireZfs(t)) || !(await requireSshd(t))) return;
  const server = await startSshd(t);
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/big`]);
  await writeRandom(`${src}/vm/big`, 'disk', 48 << 20);
  // 4 MiB/s: a transfer of about 12 s, cut in the middle.
  const { spec } = await specFile(t, `version: 1
hosts:
${sshHost('nas', server)}sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  off: { host: nas, dataset: "${dst}/r", strip_path: 1 }
replicate:
  - { from: vms, to: off, transport: { compress: none, buffer: none, bandwidth_limit: 4M } }
`);
  const remote = `ZFSYNC_TEST_SSHD=${server.dir}`;
  const run = startZfsync(['apply', '-c', spec, '--auto-approve']);
  await until('the remote receive runs', async () => (await processesWithEnv(remote)).some((p) => /zfs (receive|recv)/.test(p.cmdline)) && /\[a\d+\]\s+[\d.]+ MiB/.test(run.stdout()), run);
  run.child.kill('SIGTERM');
  const exit = await run.exited;
  assert.equal(exit.code, 143, run.stdout() + run.stderr());
  assert.match(run.stdout(), /Interrupted \(SIGTERM\): .*send full local -> nas: .* stopped/);
  // zfsync waited for the remote side: its session processes are gone before it exited.
  assert.deepEqual((await processesWithEnv(remote)).filter((p) => !/sshd/.test(p.cmdline)), [], 'nothing left on the remote side');
  assert.deepEqual(await processesWithEnv(run.marker), []);
  assert.deepEqual(await processesNaming([src, dst]), []);

  const again = startZfsync(['apply', '-c', spec, '--auto-approve']);
  assert.equal((await again.exited).code, 0, again.stdout() + again.stderr());
  assert.deepEqual(await guids(`${dst}/r/vm/big`), await guids(`${src}/vm/big`));
});

test('a stdout closed after the first line (| head -1) never aborts an apply; plan | head neither', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  const leaves = ['a', 'b', 'c'];
  await createDatasets(leaves.map((l) => `${src}/vm/${l}`));
  for (const l of leaves) await writeRandom(`${src}/vm/${l}`, 'x', 2 << 20);
  const { spec } = await specFile(t, localSpec(src, dst));

  const plan = startZfsync(['plan', '-c', spec], { closeStdoutAfterFirstChunk: true });
  assert.equal((await plan.exited).code, 0, plan.stderr());
  assert.doesNotMatch(plan.stderr(), /EPIPE|internal error|\n\s+at /);

  const run = startZfsync(['apply', '-c', spec, '--auto-approve'], { closeStdoutAfterFirstChunk: true });
  const exit = await run.exited;
  assert.equal(exit.code, 0, run.stderr());
  assert.doesNotMatch(run.stderr(), /EPIPE|internal error|\n\s+at /);
  assert.ok(run.stdout().length > 0 && !/Apply: /.test(run.stdout()), 'the reader saw the first output only');
  for (const l of leaves) {
    assert.ok(await datasetExists(`${dst}/r/vm/${l}`), `${l} was replicated`);
    assert.deepEqual(await guids(`${dst}/r/vm/${l}`), await guids(`${src}/vm/${l}`));
  }
});

test('an aborted remote pipeline is stopped as a whole, even a stage that neither reads nor writes, while the connection stays up', async (t) => {
  if (!(await requireSshd(t))) return;
  const server = await startSshd(t);
  const spec = parseSpec(`version: 1\nhosts:\n${sshHost('nas', server)}sources:\n  unused: { host: nas, datasets: [unused/x] }\n`, 'zfsync.yaml');
  const { runners } = await connectHosts(spec, ['nas']);
  t.after(() => closeAll(runners));
  const nas = runners.get('nas')!;
  const remote = `ZFSYNC_TEST_SSHD=${server.dir}`;
  const tag = `zfsync-stop-${randomBytes(4).toString('hex')}`;
  const controller = new AbortController();
  // `sleep` never touches its pipes, so closing the channel alone would leave it running.
  const p = nas.spawnPipeline([['sh', '-c', `sleep 60; : ${tag}`], ['cat']], { signal: controller.signal });
  p.stdin?.end();
  p.stdout.resume();
  p.stderr.resume();
  await until('the remote stages run', async () => (await processesWithEnv(remote)).some((x) => x.cmdline.includes(tag)));
  const started = Date.now();
  controller.abort();
  const results = await p.done;
  assert.ok(Date.now() - started < 5000, `stopped at once, not after a timeout (${Date.now() - started} ms)`);
  assert.equal(results.length, 2);
  assert.deepEqual((await processesWithEnv(remote)).filter((x) => x.cmdline.includes(tag) || /^sleep /.test(x.cmdline)), [], 'nothing of it is left');
  // The connection is still usable, and once aborted nothing more starts.
  assert.equal((await nas.run(['true'])).exitCode, 0);
  assert.match((await nas.run(['true'], { signal: controller.signal })).stderrTail, /not started: interrupted/);
});
