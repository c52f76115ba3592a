// (b) Local data path on real ZFS: a raw `zfs send | zfs recv` shell pipe against zfsync
// `apply --auto-approve` replicating the same snapshot, alternately, on two pools backed by
// sparse files. zfsync runs in-process (run() from src/cli/main.ts, fixed clock), so Node's
// startup is not timed; its state read, plan and placeholder steps are.
//
// zfs-fuse can wedge when a zfs command is killed mid-mount: nothing here kills zfs or zpool,
// timeouts are generous, and the pools are destroyed (retrying on "busy") in a finally block.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PROBE_SCRIPT, describeCapabilities, parseProbe } from '../src/zfs/capabilities.js';
import { zfsync } from '../test/helpers/cli.js';
import { removeLockFiles, retryBusy } from '../test/helpers/zfs.js';
import { ENV, makeSparsePools, otherZfsProcesses, sh, sleep, zfs, zpool } from './shell.js';
import { hotSpots, type CpuProfile, type HotSpot } from './profile.js';




/** Seconds of `fn`, by the monotonic clock. */
async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export interface DataRun {
  /**
   * raw: the shell pipe. zfsync: in-process apply. fdpipe: an experiment, not zfsync code: Node
   * spawns `zfs send` and hands its stdout (a socket pair) to `zfs recv` as stdin (bytes never enter JS).
   */
  kind: 'raw' | 'zfsync' | 'fdpipe';
  n: number;
  seconds: number;
  /** zfsync and fdpipe: CPU seconds of this Node process (user + system) during the run. */
  nodeCpuSeconds?: number;
  /** zfsync only: the send action's own time (action-done), and its byte count. */
  sendSeconds?: number;
  sendBytes?: number;
}

export interface DataPathResult {
  skipped?: string;
  zfsImplementation?: string;
  dataBytes: number;
  streamBytes: number;
  writeSeconds: number;
  warmupSeconds: number;
  /** An untimed-in-the-comparison first receive into the fresh target pool (its first writes are slow). */
  warmupReceiveSeconds: number;
  runs: DataRun[];
  concurrentZfsProcesses: string[];
  /** One extra zfsync apply (not in the comparison) under the in-process V8 profiler. */
  profile?: { seconds: number; cpuMs: number; idleMs: number; hotSpots: HotSpot[] };
}

export interface DataPathOptions {
  dataMiB: number;
  runs: number;
  poolGiB: number;
  /** Also time the fd-pipe experiment (see DataRun). */
  fdPipe: boolean;
  /** Pause (after `sync`) before every timed run, so one run's writeback does not land in the next. */
  settleMs: number;
  log: (line: string) => void;
}


/** The experiment: the two children joined directly (send's stdout is recv's stdin); nothing read in JS. */
function fdPipe(snapshot: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const send = spawn('zfs', ['send', snapshot], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    const recv = spawn('zfs', ['recv', target], { env: ENV, stdio: [send.stdout, 'ignore', 'pipe'] });
    // Our copy of the read end is not needed once the receiver has its own.
    send.stdout.destroy();
    let err = '';
    send.stderr.on('data', (c: Buffer) => (err += c.toString()));
    recv.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const codes: (number | null)[] = [];
    const exited = (code: number | null) => {
      codes.push(code);
      if (codes.length < 2) return;
      if (codes.every((c) => c === 0)) resolve();
      else reject(new Error(`fd pipe zfs send ${snapshot} | zfs recv ${target} failed (${codes.join(', ')}): ${err.trim()}`));
    };
    send.on('close', exited);
    recv.on('close', exited);
    send.on('error', reject);
    recv.on('error', reject);
  });
}

/** One in-process `zfsync apply`; its stdout (JSON events) is returned. */
const zfsyncApply = (args: string[], now: Date) => zfsync(args, { now });

interface EventLine {
  type?: string;
  id?: string;
  ms?: number;
  bytes?: number;
  action?: { id: string; kind: string };
}

export async function benchDataPath(o: DataPathOptions): Promise<DataPathResult> {
  const result: DataPathResult = { dataBytes: o.dataMiB * 2 ** 20, streamBytes: 0, writeSeconds: 0, warmupSeconds: 0, warmupReceiveSeconds: 0, runs: [], concurrentZfsProcesses: [] };
  try {
    await zpool(['list']);
  } catch (e) {
    return { ...result, skipped: `zfs not available: ${e instanceof Error ? e.message : String(e)}` };
  }
  const probeOut = await sh('sh', ['-c', PROBE_SCRIPT, 'sh', 'zfs']);
  result.zfsImplementation = describeCapabilities(parseProbe(probeOut));

  const dir = await fs.mkdtemp(path.join(tmpdir(), 'zfsync-bench-'));
  const created: string[] = [];
  const tag = process.pid.toString(36);
  // An interrupt skips the finally below: name what is left behind rather than kill zfs mid-way.
  const onSignal = (sig: NodeJS.Signals) => {
    o.log(`data-path: ${sig}; left behind: ${created.length ? `pools ${created.join(', ')} (zpool destroy -f NAME)` : 'no pools'}, files in ${dir}`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // ---- pools
    const pools = await makeSparsePools(dir, 'zb', tag, ['src', 'dst'], o.poolGiB, created);
    const [srcPool, dstPool] = pools as [string, string];
    const src = `${srcPool}/data`;
    const snapshot = `${src}@s`;
    o.log(`data-path: pools ${srcPool}, ${dstPool} (${o.poolGiB} GiB sparse files in ${dir})`);

    // ---- data: incompressible, then one snapshot
    await retryBusy(() => zfs(['create', src]));
    const mountpoint = (await zfs(['get', '-H', '-o', 'value', 'mountpoint', src])).trim();
    const mounted = (await zfs(['get', '-H', '-o', 'value', 'mounted', src])).trim();
    if (!mountpoint.startsWith('/') || mounted !== 'yes') throw new Error(`${src} is not mounted (${mountpoint}, mounted=${mounted})`);
    o.log(`data-path: writing ${o.dataMiB} MiB of random data to ${mountpoint} ...`);
    result.writeSeconds = await timed(async () => {
      await sh('sh', ['-c', 'head -c "$1" /dev/urandom > "$2" && sync', 'sh', String(result.dataBytes), path.join(mountpoint, 'random.bin')]);
    });
    await zfs(['snapshot', snapshot]);
    o.log(`data-path: written in ${result.writeSeconds.toFixed(1)} s; snapshot ${snapshot}`);

    // ---- warm-up (untimed in the comparison): reads the snapshot once, measures the stream
    result.warmupSeconds = await timed(async () => {
      const bytes = await sh('sh', ['-c', 'zfs send "$1" | wc -c', 'sh', snapshot]);
      result.streamBytes = Number(bytes.trim());
    });
    o.log(`data-path: stream ${(result.streamBytes / 2 ** 20).toFixed(1)} MiB (zfs send > wc -c: ${result.warmupSeconds.toFixed(1)} s)`);
    result.warmupReceiveSeconds = await timed(async () => {
      await sh('sh', ['-c', 'zfs send "$1" | zfs recv "$2"', 'sh', snapshot, `${dstPool}/warmup`]);
    });
    await retryBusy(() => zfs(['destroy', '-r', `${dstPool}/warmup`]));
    o.log(`data-path: warm-up receive into ${dstPool} ${result.warmupReceiveSeconds.toFixed(1)} s (not counted)`);
    result.concurrentZfsProcesses = await otherZfsProcesses();

    // ---- alternating runs; every copy is destroyed before the next run
    const now = new Date(Date.UTC(2025, 0, 10, 12, 0, 0));
    const settle = async () => {
      await sh('sync', []);
      await sleep(o.settleMs);
    };
    const zfsyncOnce = async (n: number): Promise<DataRun> => {
      const target = `${dstPool}/zfsync_${n}`;
      const specFile = path.join(dir, `zfsync_${n}.yaml`);
      await fs.writeFile(specFile, [
        'version: 1',
        'sources:',
        '  bench:',
        `    datasets: [${src}]`,
        '    recursive: false',
        'targets:',
        '  copy:',
        `    dataset: ${target}`,
        '    strip_path: 2',
        'replicate:',
        '  - { from: bench, to: copy }',
        '',
      ].join('\n'));
      let res: { code: number; stdout: string; stderr: string } | undefined;
      const cpu0 = process.cpuUsage();
      const seconds = await timed(async () => {
        res = await zfsyncApply(['apply', '-c', specFile, '--auto-approve', '--json'], now);
      });
      const cpu = process.cpuUsage(cpu0);
      if (!res || res.code !== 0) throw new Error(`zfsync apply failed (exit ${res?.code}): ${res?.stderr ?? ''}\n${res?.stdout ?? ''}`);
      const events = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as EventLine);
      const sendIds = new Set(events.filter((e) => e.type === 'action-start' && e.action?.kind === 'send').map((e) => e.action!.id));
      if (sendIds.size !== 1) throw new Error(`expected one send action, got ${sendIds.size}: ${res.stdout}`);
      const done = events.find((e) => e.type === 'action-done' && e.id !== undefined && sendIds.has(e.id));
      const run: DataRun = { kind: 'zfsync', n, seconds, nodeCpuSeconds: (cpu.user + cpu.system) / 1e6 };
      if (done?.ms !== undefined) run.sendSeconds = done.ms / 1000;
      if (done?.bytes !== undefined) run.sendBytes = done.bytes;
      await retryBusy(() => zfs(['destroy', '-r', target]));
      return run;
    };

    for (let n = 1; n <= o.runs; n++) {
      const rawTarget = `${dstPool}/raw_${n}`;
      await settle();
      const seconds = await timed(async () => {
        await sh('sh', ['-c', 'zfs send "$1" | zfs recv "$2"', 'sh', snapshot, rawTarget]);
      });
      result.runs.push({ kind: 'raw', n, seconds });
      o.log(`data-path run ${n}: raw pipe ${seconds.toFixed(1)} s (${(result.streamBytes / 1e6 / seconds).toFixed(1)} MB/s)`);
      await retryBusy(() => zfs(['destroy', '-r', rawTarget]));

      await settle();
      const run = await zfsyncOnce(n);
      result.runs.push(run);
      o.log(`data-path run ${n}: zfsync apply ${run.seconds.toFixed(1)} s (${(result.streamBytes / 1e6 / run.seconds).toFixed(1)} MB/s; send action ${run.sendSeconds?.toFixed(1) ?? '?'} s, ${run.sendBytes ?? '?'} bytes; Node CPU ${run.nodeCpuSeconds?.toFixed(2)} s)`);

      if (o.fdPipe) {
        await settle();
        const fdTarget = `${dstPool}/fdpipe_${n}`;
        const c0 = process.cpuUsage();
        const fdSeconds = await timed(() => fdPipe(snapshot, fdTarget));
        const c = process.cpuUsage(c0);
        result.runs.push({ kind: 'fdpipe', n, seconds: fdSeconds, nodeCpuSeconds: (c.user + c.system) / 1e6 });
        o.log(`data-path run ${n}: fd pipe (experiment) ${fdSeconds.toFixed(1)} s (${(result.streamBytes / 1e6 / fdSeconds).toFixed(1)} MB/s)`);
        await retryBusy(() => zfs(['destroy', '-r', fdTarget]));
      }
    }

    // One more zfsync run under the V8 profiler (in-process), for where Node's CPU time goes.
    await settle();
    const session = new Session();
    session.connect();
    try {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
      const run = await zfsyncOnce(o.runs + 1);
      const { profile } = await session.post('Profiler.stop');
      const hs = await hotSpots(profile as unknown as CpuProfile, [-Infinity, Infinity], 12);
      result.profile = { seconds: run.seconds, cpuMs: hs.totalMs, idleMs: hs.idleMs, hotSpots: hs.hotSpots };
      o.log(`data-path: profiled zfsync run ${run.seconds.toFixed(1)} s, ${hs.totalMs.toFixed(0)} ms on the main thread outside idle`);
    } finally {
      session.disconnect();
    }
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const errors: string[] = [];
    for (const pool of created) {
      await retryBusy(() => zpool(['destroy', '-f', pool]), 30, 1000).catch((e: unknown) => errors.push(String(e)));
    }
    await fs.rm(dir, { recursive: true, force: true });
    await removeLockFiles(created);
    if (errors.length > 0) o.log(`data-path: POOL CLEANUP FAILED: ${errors.join('; ')}`);
  }
}
