// The remote lane: resumable sends on real OpenZFS. A send between two spec hosts on the same
// guest (so the stream crosses zfsync and can be rate-limited) is interrupted half-way three ways
// (the sender killed, the receiver killed, zfsync stopped with SIGTERM, which cuts the link);
// the next plan shows `~ resume` with the bytes received and left, apply resumes it with
// `zfs send -t`, and the target ends up with the source's GUIDs and content. A token whose
// snapshot is gone from the source is aborted (`recv -A`) and the pair converges anyway.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { specFile, zfsync } from '../helpers/cli.js';
import { remoteLane, remoteProp, remoteSnapshots, type RemoteLane } from '../helpers/remote.js';
import type { PlanDocument, ResumeAction } from '../../src/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MIB = 1024 ** 2;
const SIZE_MIB = 24;
const LIMIT = '2M';

interface World {
  lane: RemoteLane;
  src: string;
  dst: string;
  spec: string;
}

async function world(t: TestContext): Promise<World | undefined> {
  const lane = await remoteLane(t);
  if (!lane) return undefined;
  const src = `${lane.base}/src`;
  await lane.sh(['zfs', 'create', '-o', 'compression=off', src]);
  await lane.sh(['dd', 'if=/dev/urandom', `of=${await remoteProp(lane, src, 'mountpoint')}/data`, 'bs=1M', `count=${SIZE_MIB}`, 'status=none']);
  await lane.sh(['zfs', 'snapshot', `${src}@s1`]);
  // Two spec hosts on one guest: the stream is relayed through zfsync, where bandwidth_limit holds it.
  const { spec } = await specFile(t, `version: 1
hosts:
${lane.hostEntry('oz1')}${lane.hostEntry('oz2')}
sources:
  s: { host: oz1, datasets: ["${src}"] }
targets:
  t: { host: oz2, dataset: "${lane.base}/dst", strip_path: 2 }
replicate:
  - { from: s, to: t, transport: { compress: none, buffer: none, bandwidth_limit: ${LIMIT} } }
`);
  return { lane, src, dst: `${lane.base}/dst/src`, spec };
}

/** Kills the guest's zfs process whose arguments match (ours only: the names hold this lane's random base). */
async function killZfs(lane: RemoteLane, pattern: string): Promise<void> {
  const script = `for p in $(pgrep -x zfs); do tr '\\0' ' ' < /proc/$p/cmdline | grep -q -- "$1" && kill -9 $p && echo killed $p; done; true`;
  const out = await lane.sh(['sh', '-c', script, 'sh', pattern]);
  assert.match(out, /killed \d+/, `a zfs process matching ${pattern} was running`);
}

/** `zfsync apply --json` as a process of its own; resolves once the stream passed `bytes`, then `interrupt` runs. */
async function applyInterrupted(w: World, atBytes: number, interrupt: (child: ReturnType<typeof spawn>) => Promise<void>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/zfsync-bin.ts', 'apply', '-c', w.spec, '--auto-approve', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let fired = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const reached = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of out.split('\n')) {
        if (fired || !line.startsWith('{')) continue;
        const e = JSON.parse(line) as { type: string; bytes?: number };
        if (e.type === 'action-progress' && e.bytes! >= atBytes) {
          fired = true;
          resolve();
        }
      }
    });
    void exited.then(() => (fired ? undefined : reject(new Error(`apply ended before ${atBytes} bytes:\n${out}`))));
  });
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await reached;
    await interrupt(child);
    // A stopped send must end its apply promptly: one that hangs fails the test instead of the lane.
    const timer = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000).unref());
    const ended = await Promise.race([exited, timer]);
    assert.notEqual(ended, 'hung', `apply did not end within 60 s of the interruption:\n${out}`);
    return { code: ended as number | null, out };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

async function contentHash(lane: RemoteLane, dataset: string): Promise<string> {
  const mounted = (await remoteProp(lane, dataset, 'mounted')) === 'yes';
  if (!mounted) await lane.sh(['zfs', 'mount', dataset]);
  try {
    return (await lane.sh(['sha256sum', `${await remoteProp(lane, dataset, 'mountpoint')}/data`])).split(' ')[0]!;
  } finally {
    if (!mounted) await lane.sh(['zfs', 'unmount', dataset]);
  }
}

async function planJson(spec: string): Promise<PlanDocument> {
  const r = await zfsync(['plan', '-c', spec, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as PlanDocument;
}

async function resumesAndConverges(t: TestContext, w: World): Promise<void> {
  const token = await remoteProp(w.lane, w.dst, 'receive_resume_token');
  assert.match(token, /^1-[0-9a-f]+-/, 'the interrupted receive left a token');
  const doc = await planJson(w.spec);
  // The pair's base is held after the resume lands (plan/protect.ts).
  assert.deepEqual(doc.plan.actions.map((a) => a.kind), ['resume', 'hold']);
  const r = doc.plan.actions[0] as ResumeAction;
  assert.equal(r.token, token);
  assert.equal(r.to.name, 's1');
  assert.ok(r.receivedBytes > 2 * MIB && r.receivedBytes < SIZE_MIB * MIB, `received ${r.receivedBytes}`);
  assert.equal(r.bytesFrom, 'dry-run', 'bytes left from zfs send -n -P -t');
  const total = r.receivedBytes + r.bytes!;
  assert.ok(Math.abs(total - SIZE_MIB * MIB) < 2 * MIB, `received + left = ${total}`);
  const human = await zfsync(['plan', '-c', w.spec]);
  assert.match(human.stdout, /~ resume +oz1 -> oz2 via local: \S+ @s1 => \S+ {2}\([\d.]+ MiB received, ~[\d.]+ MiB left, zfs send -t \(token flags: [^)]*\), uncompressed, limit 2\.0 MiB\/s\)/);

  const started = Date.now();
  const applied = await zfsync(['apply', '-c', w.spec, '--auto-approve']);
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  t.diagnostic(`resumed ${r.bytes} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(await remoteProp(w.lane, w.dst, 'receive_resume_token'), '-');
  assert.deepEqual(await remoteSnapshots(w.lane, w.dst), await remoteSnapshots(w.lane, w.src));
  assert.equal(await contentHash(w.lane, w.dst), await contentHash(w.lane, w.src));
  const again = await zfsync(['plan', '-c', w.spec, '--detailed-exitcode']);
  assert.equal(again.code, 0, again.stdout);
}

test('OpenZFS: the sender killed half-way; the next plan resumes it with zfs send -t', async (t) => {
  const w = await world(t);
  if (!w) return;
  const run = await applyInterrupted(w, (SIZE_MIB / 3) * MIB, () => killZfs(w.lane, `send .*${w.src}@s1`));
  assert.equal(run.code, 1, run.out);
  assert.match(run.out, /next plan resumes it/);
  await resumesAndConverges(t, w);
});

test('OpenZFS: the receiver killed half-way; the next plan resumes it', async (t) => {
  const w = await world(t);
  if (!w) return;
  const run = await applyInterrupted(w, (SIZE_MIB / 3) * MIB, () => killZfs(w.lane, `receive -s .*${w.dst}`));
  assert.equal(run.code, 1, run.out);
  await resumesAndConverges(t, w);
});

test('OpenZFS: zfsync stopped with SIGTERM half-way (the link cut); it says the next plan resumes, and it does', async (t) => {
  const w = await world(t);
  if (!w) return;
  const run = await applyInterrupted(w, (SIZE_MIB / 2) * MIB, async (child) => void child.kill('SIGTERM'));
  assert.equal(run.code, 143, run.out);
  // --json: the apply-interrupted event names it (the human line says "the next plan resumes it").
  assert.match(run.out, /"type":"apply-interrupted".*"resumable":\["a\d+"\]/);
  await resumesAndConverges(t, w);
});

test("OpenZFS: a stale token (its snapshot destroyed on the source) is aborted, then the pair converges", async (t) => {
  const w = await world(t);
  if (!w) return;
  const run = await applyInterrupted(w, (SIZE_MIB / 3) * MIB, () => killZfs(w.lane, `send .*${w.src}@s1`));
  assert.equal(run.code, 1, run.out);
  assert.match(await remoteProp(w.lane, w.dst, 'receive_resume_token'), /^1-/);
  await w.lane.sh(['zfs', 'snapshot', `${w.src}@s2`]);
  await w.lane.sh(['zfs', 'destroy', `${w.src}@s1`]);
  const doc = await planJson(w.spec);
  assert.deepEqual(doc.plan.actions.map((a) => (a.kind === 'send' ? `send-${a.mode}` : a.kind)), ['abort', 'send-full', 'hold']);
  const human = await zfsync(['plan', '-c', w.spec]);
  assert.match(human.stdout, /-\/\+ abort partial receive +oz2: \S+ {2}\(discards [\d.]+ MiB received of \S+@s1 \(a full stream: \S+ goes with it\)\)/);
  assert.match(human.stdout, /stale resume token: its snapshot \S+@s1 \(guid \d+\) is no longer on /);
  const applied = await zfsync(['apply', '-c', w.spec, '--auto-approve']);
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.equal(await remoteProp(w.lane, w.dst, 'receive_resume_token'), '-');
  assert.deepEqual(await remoteSnapshots(w.lane, w.dst), await remoteSnapshots(w.lane, w.src));
});
