// (c) SSH push on real ZFS: `zfs send | ssh -c CIPHER 127.0.0.1 zfs recv` (the OpenSSH client)
// against zfsync `apply --auto-approve` pushing the same snapshot to a host `nas` reached through
// the same private sshd (test/helpers/sshd.ts) with the same single cipher offered, alternately,
// per cipher. Two pools on sparse files in /var/tmp play source (local) and target (nas).
// zfsync runs in-process (run() from src/cli/main.ts, fixed clock), as in (b): Node's startup is
// not timed; its SSH connection, probe, state reads, plan and placeholder steps are.
//
// The machine-wide zfs lock (test/helpers/zfs.ts, LOCK_FILE) is held from before the first pool
// is created until the last one is destroyed: zfs-fuse wedges when two processes create pools or
// datasets at once, and the test suites on this machine take the same lock.
// Nothing here kills zfs or zpool; timeouts are generous; everything made is removed in finally.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { PROBE_SCRIPT, describeCapabilities, parseProbe } from '../src/zfs/capabilities.js';
import { zfsync } from '../test/helpers/cli.js';
import { sshHost } from '../test/helpers/ssh-spec.js';
import { requireSshd, sshArgs, startSshd, type SshServer } from '../test/helpers/sshd.js';
import { LOCK_FILE, acquireZfsLock, releaseZfsLock, removeLockFiles, retryBusy } from '../test/helpers/zfs.js';
import { ENV, makeSparsePools, otherZfsProcesses, sh, sleep, zfs, zpool } from './shell.js';
import { hotSpotRows, hotSpots, type CpuProfile, type HotSpot } from './profile.js';

/** zfsync SSH apply throughput, in percent of the OpenSSH pipe's with the same cipher. */
export const TARGET_SSH_PERCENT = 90;
export const SSH_PUSH_CIPHERS = ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com'] as const;
export type SshPushCipher = (typeof SSH_PUSH_CIPHERS)[number];
const LABEL: Record<SshPushCipher, string> = { 'aes128-gcm@openssh.com': 'aes', 'chacha20-poly1305@openssh.com': 'chacha' };

const MiB = 2 ** 20;
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Busy and total jiffies of the whole machine (/proc/stat), for how saturated the CPUs were. */
function cpuTicks(): { busy: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export interface SshPushRun {
  /** openssh: the shell pipe through the OpenSSH client. zfsync: apply with compress none, buffer none. zfsync-default: apply with the transport defaults. */
  kind: 'openssh' | 'zfsync' | 'zfsync-default';
  /** The one cipher offered (zfsync-default: undefined = ssh2's default list). */
  cipher?: SshPushCipher;
  n: number;
  seconds: number;
  /** zfsync: the send action's own time and byte count (its action-done event). */
  sendSeconds?: number;
  sendBytes?: number;
  /** zfsync: connecting to the hosts, probing and reading their state (host-read events: one clock for all hosts), ms. */
  sessionMs?: number;
  /** zfsync: CPU seconds (user + system) of this Node process during the apply (ssh2's crypto runs here). */
  nodeCpuSeconds?: number;
  /** openssh: CPU seconds of the shell's children (the ssh client, and zfs send's small client side). */
  clientCpuSeconds?: number;
  /** The whole machine's CPUs busy during the run, 0..1 (all cores). */
  machineBusy?: number;
}

export interface SshPushResult {
  skipped?: string;
  zfsImplementation?: string;
  openssh?: string;
  /** ssh2's default cipher offer (zfsync-default negotiates its first entry: sshd supports them all). */
  ssh2DefaultCiphers?: string[];
  /** Transport of the zfsync-default run as the plan describes it. */
  defaultTransport?: string;
  ciphers: SshPushCipher[];
  dataBytes: number;
  streamBytes: number;
  writeSeconds: number;
  warmupSendSeconds: number;
  warmupReceiveSeconds: number;
  lockWaitSeconds: number;
  runsPerKind: number;
  runs: SshPushRun[];
  concurrentZfsProcesses: string[];
  /** One extra zfsync apply (aes128-gcm, not in the comparison) under the in-process V8 profiler. */
  profile?: { cipher: SshPushCipher; seconds: number; sendSeconds?: number; cpuMs: number; idleMs: number; hotSpots: HotSpot[] };
}

export interface SshPushOptions {
  quick: boolean;
  runs?: number;
  log?: (line: string) => void;
}


/** The OpenSSH client's argv up to (not including) the remote command, with one cipher and no compression. */
function opensshArgv(server: SshServer, cipher: string): string[] {
  const base = sshArgs(server);
  const dd = base.indexOf('--');
  if (dd < 0) throw new Error(`sshArgs without '--': ${base.join(' ')}`);
  return ['ssh', ...base.slice(0, dd), '-c', cipher, '-o', 'Compression=no', ...base.slice(dd)];
}

/** bash `times` output, second line (children): "0m1.234s 0m0.567s" -> seconds. */
function childCpu(stderr: string): number | undefined {
  const at = stderr.lastIndexOf('@@times\n');
  if (at < 0) return undefined;
  const lines = stderr.slice(at + 8).trim().split('\n');
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[1] ?? '');
  return m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : undefined;
}

/** `zfs send SNAP | ssh ... 'zfs recv -F TARGET'` under bash -o pipefail; resolves with the children's CPU time. */
function opensshPipe(snapshot: string, target: string, ssh: string[]): Promise<{ clientCpuSeconds?: number }> {
  const script = 'zfs send "$1" | "${@:3}" "$2"; rc=$?; echo @@times >&2; times >&2; exit $rc';
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script, 'bash', snapshot, `zfs recv -F ${target}`, ...ssh], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-8192)));
    child.on('error', reject);
    child.on('close', (code, sig) => {
      const cpu = childCpu(err);
      if (code === 0) return resolve(cpu === undefined ? {} : { clientCpuSeconds: cpu });
      reject(new Error(`zfs send ${snapshot} | ssh ... zfs recv -F ${target} failed (${code ?? sig}): ${err.replace(/@@times[\s\S]*$/, '').trim()}`));
    });
  });
}

interface EventLine {
  type?: string;
  id?: string;
  ms?: number;
  bytes?: number;
  host?: string;
  action?: { id: string; kind: string; transport?: unknown; description?: string };
}

function ssh2DefaultCiphers(): string[] | undefined {
  try {
    const req = createRequire(import.meta.url);
    const c = req('ssh2/lib/protocol/constants.js') as { DEFAULT_CIPHER?: string[] };
    return c.DEFAULT_CIPHER ? [...c.DEFAULT_CIPHER] : undefined;
  } catch {
    return undefined;
  }
}

/** A TestContext stand-in for startSshd: collects its `t.after` cleanups, run by the caller. */
function cleanupContext(): { t: TestContext; run: () => Promise<string[]> } {
  const fns: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => void fns.push(fn) } as unknown as TestContext;
  return {
    t,
    run: async () => {
      const errors: string[] = [];
      for (const fn of fns.splice(0).reverse()) {
        try {
          await fn();
        } catch (e) {
          errors.push(errText(e));
        }
      }
      return errors;
    },
  };
}

export async function benchSshPush(opts: SshPushOptions): Promise<SshPushResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataMiB = opts.quick ? 256 : 1024;
  const runs = opts.runs ?? (opts.quick ? 2 : 3);
  const poolGiB = opts.quick ? 2 : 3;
  const settleMs = opts.quick ? 1000 : 2000;
  const ciphers = [...SSH_PUSH_CIPHERS];
  const result: SshPushResult = {
    ciphers,
    dataBytes: dataMiB * MiB,
    streamBytes: 0,
    writeSeconds: 0,
    warmupSendSeconds: 0,
    warmupReceiveSeconds: 0,
    lockWaitSeconds: 0,
    runsPerKind: runs,
    runs: [],
    concurrentZfsProcesses: [],
  };
  const defaults = ssh2DefaultCiphers();
  if (defaults) result.ssh2DefaultCiphers = defaults;
  try {
    await zpool(['list']);
  } catch (e) {
    return { ...result, skipped: `zfs not available: ${errText(e)}` };
  }
  let sshdProblem: string | undefined;
  await requireSshd({ skip: (why?: string) => void (sshdProblem = why ?? 'sshd not available') } as unknown as TestContext);
  if (sshdProblem !== undefined) return { ...result, skipped: sshdProblem };
  result.zfsImplementation = describeCapabilities(parseProbe(await sh('sh', ['-c', PROBE_SCRIPT, 'sh', 'zfs'])));
  // `ssh -V` prints its version on stderr.
  result.openssh = await new Promise<string>((resolve) => execFile('ssh', ['-V'], { env: ENV, encoding: 'utf8' }, (_e, o, se) => resolve(`${o}${se}`.trim())));

  const cleanup = cleanupContext();
  const dir = await fs.mkdtemp(path.join(os.platform() === 'linux' ? '/var/tmp' : os.tmpdir(), 'zfsync-bench-ssh-'));
  const created: string[] = [];
  let locked = false;
  const tag = process.pid.toString(36);
  // An interrupt skips the finally below: name what is left behind rather than kill zfs mid-way.
  // (The sshd's watchdog stops it, and the lock is released, when this process exits.)
  const onSignal = (sig: NodeJS.Signals) => {
    log(`ssh-push: ${sig}; left behind: ${created.length ? `pools ${created.join(', ')} (zpool destroy -f NAME)` : 'no pools'}, files in ${dir}`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const server = await startSshd(cleanup.t, { users: ['root'] });
    log(`ssh-push: sshd on 127.0.0.1:${server.port} (${result.openssh})`);

    log(`ssh-push: waiting for the zfs lock ${LOCK_FILE} ...`);
    const l0 = performance.now();
    await acquireZfsLock();
    locked = true;
    result.lockWaitSeconds = (performance.now() - l0) / 1000;
    log(`ssh-push: zfs lock held (waited ${result.lockWaitSeconds.toFixed(1)} s)`);

    // ---- pools
    const pools = await makeSparsePools(dir, 'zs', tag, ['src', 'dst'], poolGiB, created);
    const [srcPool, dstPool] = pools as [string, string];
    const src = `${srcPool}/data`;
    const snapshot = `${src}@s`;
    log(`ssh-push: pools ${srcPool} (local), ${dstPool} (host nas) on ${poolGiB} GiB sparse files in ${dir}`);

    // ---- data: incompressible, then one snapshot
    await retryBusy(() => zfs(['create', src]));
    const mountpoint = (await zfs(['get', '-H', '-o', 'value', 'mountpoint', src])).trim();
    const mounted = (await zfs(['get', '-H', '-o', 'value', 'mounted', src])).trim();
    if (!mountpoint.startsWith('/') || mounted !== 'yes') throw new Error(`${src} is not mounted (${mountpoint}, mounted=${mounted})`);
    log(`ssh-push: writing ${dataMiB} MiB of random data to ${mountpoint} ...`);
    const w0 = performance.now();
    await sh('sh', ['-c', 'head -c "$1" /dev/urandom > "$2" && sync', 'sh', String(result.dataBytes), path.join(mountpoint, 'random.bin')]);
    result.writeSeconds = (performance.now() - w0) / 1000;
    await zfs(['snapshot', snapshot]);
    const srcGuid = (await zfs(['get', '-H', '-p', '-o', 'value', 'guid', snapshot])).trim();
    log(`ssh-push: written in ${result.writeSeconds.toFixed(1)} s; snapshot ${snapshot}`);

    const s0 = performance.now();
    result.streamBytes = Number((await sh('sh', ['-c', 'zfs send "$1" | wc -c', 'sh', snapshot])).trim());
    result.warmupSendSeconds = (performance.now() - s0) / 1000;
    log(`ssh-push: stream ${(result.streamBytes / MiB).toFixed(1)} MiB (zfs send | wc -c: ${result.warmupSendSeconds.toFixed(1)} s)`);

    // ---- the two contenders
    const now = new Date(Date.UTC(2025, 0, 10, 12, 0, 0));
    const checkReceived = async (target: string) => {
      const guid = (await zfs(['get', '-H', '-p', '-o', 'value', 'guid', `${target}@s`])).trim();
      if (guid !== srcGuid) throw new Error(`${target}@s has guid ${guid}, the source snapshot ${srcGuid}`);
    };
    const destroy = (target: string) => retryBusy(() => zfs(['destroy', '-r', target]), 30, 1000);
    const settle = async () => {
      await sh('sync', []);
      await sleep(settleMs);
    };
    const measured = async <T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; machineBusy?: number }> => {
      const c0 = cpuTicks();
      const t0 = performance.now();
      const value = await fn();
      const seconds = (performance.now() - t0) / 1000;
      const c1 = cpuTicks();
      const out: { value: T; seconds: number; machineBusy?: number } = { value, seconds };
      if (c0 && c1 && c1.total > c0.total) out.machineBusy = (c1.busy - c0.busy) / (c1.total - c0.total);
      return out;
    };

    const opensshOnce = async (cipher: SshPushCipher, n: number): Promise<SshPushRun> => {
      const target = `${dstPool}/ossh_${LABEL[cipher]}_${n}`;
      const m = await measured(() => opensshPipe(snapshot, target, opensshArgv(server, cipher)));
      await checkReceived(target);
      await destroy(target);
      const run: SshPushRun = { kind: 'openssh', cipher, n, seconds: m.seconds, ...m.value };
      if (m.machineBusy !== undefined) run.machineBusy = m.machineBusy;
      return run;
    };

    const zfsyncOnce = async (kind: 'zfsync' | 'zfsync-default', cipher: SshPushCipher | undefined, n: number | string): Promise<SshPushRun> => {
      const label = kind === 'zfsync' ? LABEL[cipher!] : 'default';
      const target = `${dstPool}/zfsync_${label}_${n}`;
      const specFile = path.join(dir, `zfsync_${label}_${n}.yaml`);
      await fs.writeFile(specFile, [
        'version: 1',
        'hosts:',
        sshHost('nas', server, cipher ? `, ciphers: [${cipher}]` : '').trimEnd(),
        'sources:',
        '  bench:',
        `    datasets: [${src}]`,
        '    recursive: false',
        'targets:',
        '  copy:',
        '    host: nas',
        `    dataset: ${target}`,
        '    strip_path: 2',
        'replicate:',
        kind === 'zfsync' ? '  - { from: bench, to: copy, transport: { compress: none, buffer: none } }' : '  - { from: bench, to: copy }',
        '',
      ].join('\n'));
      const cpu0 = process.cpuUsage();
      const m = await measured(() => zfsync(['apply', '-c', specFile, '--auto-approve', '--json'], { now }));
      const cpu = process.cpuUsage(cpu0);
      const res = m.value;
      if (res.code !== 0) throw new Error(`zfsync apply (${label}) failed (exit ${res.code}): ${res.stderr}\n${res.stdout}`);
      const events = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as EventLine);
      const sends = events.filter((e) => e.type === 'action-start' && e.action?.kind === 'send').map((e) => e.action!);
      if (sends.length !== 1) throw new Error(`expected one send action, got ${sends.length}: ${res.stdout}`);
      const done = events.find((e) => e.type === 'action-done' && e.id === sends[0]!.id);
      const run: SshPushRun = { kind, n: typeof n === 'number' ? n : 0, seconds: m.seconds, nodeCpuSeconds: (cpu.user + cpu.system) / 1e6 };
      if (cipher) run.cipher = cipher;
      if (m.machineBusy !== undefined) run.machineBusy = m.machineBusy;
      if (done?.ms !== undefined) run.sendSeconds = done.ms / 1000;
      if (done?.bytes !== undefined) run.sendBytes = done.bytes;
      const reads = events.filter((e) => e.type === 'host-read' && e.ms !== undefined).map((e) => e.ms!);
      if (reads.length) run.sessionMs = Math.max(...reads);
      if (kind === 'zfsync-default') result.defaultTransport = JSON.stringify(sends[0]!.transport ?? {});
      await checkReceived(target);
      await destroy(target);
      return run;
    };

    // ---- warm-up (not counted): one zfsync push with the defaults into the fresh target pool,
    // whose first writes are slow; it also loads and JIT-compiles zfsync's SSH path.
    await settle();
    const warm = await zfsyncOnce('zfsync-default', undefined, 'warmup');
    result.warmupReceiveSeconds = warm.seconds;
    log(`ssh-push: warm-up zfsync push (defaults, transport ${result.defaultTransport}) ${warm.seconds.toFixed(1)} s (not counted)`);
    result.concurrentZfsProcesses = await otherZfsProcesses();

    const rate = (s: number) => `${(result.streamBytes / MiB / s).toFixed(1)} MiB/s`;
    for (let n = 1; n <= runs; n++) {
      for (const cipher of ciphers) {
        await settle();
        const o = await opensshOnce(cipher, n);
        result.runs.push(o);
        log(`ssh-push run ${n} ${cipher}: OpenSSH pipe ${o.seconds.toFixed(1)} s (${rate(o.seconds)}; ssh client CPU ${o.clientCpuSeconds?.toFixed(1) ?? '?'} s)`);
        await settle();
        const z = await zfsyncOnce('zfsync', cipher, n);
        result.runs.push(z);
        log(`ssh-push run ${n} ${cipher}: zfsync apply ${z.seconds.toFixed(1)} s (${rate(z.seconds)}; send action ${z.sendSeconds?.toFixed(1) ?? '?'} s, ${z.sendBytes ?? '?'} bytes; Node CPU ${z.nodeCpuSeconds?.toFixed(1)} s)`);
      }
      await settle();
      const d = await zfsyncOnce('zfsync-default', undefined, n);
      result.runs.push(d);
      log(`ssh-push run ${n}: zfsync apply with transport defaults ${d.seconds.toFixed(1)} s (${rate(d.seconds)}; Node CPU ${d.nodeCpuSeconds?.toFixed(1)} s)`);
    }

    // One more zfsync run under the V8 profiler (in-process, not counted), for where Node's CPU time goes.
    await settle();
    const session = new Session();
    session.connect();
    try {
      const cipher = ciphers[0]!;
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
      const run = await zfsyncOnce('zfsync', cipher, runs + 1);
      const { profile } = await session.post('Profiler.stop');
      const hs = await hotSpots(profile as unknown as CpuProfile, [-Infinity, Infinity], 15);
      result.profile = { cipher, seconds: run.seconds, cpuMs: hs.totalMs, idleMs: hs.idleMs, hotSpots: hs.hotSpots };
      if (run.sendSeconds !== undefined) result.profile.sendSeconds = run.sendSeconds;
      log(`ssh-push: profiled zfsync run (${cipher}) ${run.seconds.toFixed(1)} s, ${hs.totalMs.toFixed(0)} ms on the main thread outside idle`);
    } finally {
      session.disconnect();
    }
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const errors = await cleanup.run(); // the sshd (and whatever its sessions still run)
    let poolsLeft = false;
    for (const pool of created) {
      await retryBusy(() => zpool(['destroy', '-f', pool]), 30, 1000).catch((e: unknown) => {
        poolsLeft = true;
        errors.push(`zpool destroy ${pool}: ${errText(e)}`);
      });
    }
    if (!poolsLeft) await fs.rm(dir, { recursive: true, force: true }); // else keep the pool files
    await removeLockFiles(created);
    if (locked) await releaseZfsLock();
    if (errors.length > 0) log(`ssh-push: CLEANUP FAILED${poolsLeft ? ` (pool files kept in ${dir})` : ''}: ${errors.join('; ')}`);
  }
}

// ---------------------------------------------------------------- rendering

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const yes = (ok: boolean) => (ok ? '**met**' : '**MISSED**');

interface CipherSummary {
  cipher: SshPushCipher;
  opensshMiBs: number[];
  zfsyncMiBs: number[];
  sendMiBs: number[];
  /** Median MiB/s. */
  openssh: number;
  zfsync: number;
  send: number;
  /** zfsync / OpenSSH, percent, of the medians. */
  percent: number;
  /** Per round (same n), percent. */
  roundPercents: number[];
  met: boolean;
}

export function summarizeSshPush(r: SshPushResult): CipherSummary[] {
  const rate = (s: number) => r.streamBytes / MiB / s;
  return r.ciphers.map((cipher) => {
    const o = r.runs.filter((x) => x.kind === 'openssh' && x.cipher === cipher);
    const z = r.runs.filter((x) => x.kind === 'zfsync' && x.cipher === cipher);
    const opensshMiBs = o.map((x) => rate(x.seconds));
    const zfsyncMiBs = z.map((x) => rate(x.seconds));
    const sendMiBs = z.filter((x) => x.sendSeconds !== undefined).map((x) => rate(x.sendSeconds!));
    const openssh = median(opensshMiBs);
    const zfs = median(zfsyncMiBs);
    const percent = (100 * zfs) / openssh;
    const roundPercents = z.flatMap((zr) => {
      const or = o.find((x) => x.n === zr.n);
      return or ? [(100 * or.seconds) / zr.seconds] : [];
    });
    return { cipher, opensshMiBs, zfsyncMiBs, sendMiBs, openssh, zfsync: zfs, send: median(sendMiBs), percent, roundPercents, met: percent >= TARGET_SSH_PERCENT };
  });
}

/** One line per cipher for the stdout summary. */
export function sshPushSummaryLines(r: SshPushResult): string[] {
  if (r.skipped) return [`ssh push: skipped (${r.skipped})`];
  return summarizeSshPush(r).map(
    (s) => `ssh push ${(r.streamBytes / MiB).toFixed(0)} MiB ${s.cipher}: OpenSSH pipe ${s.openssh.toFixed(1)} MiB/s, zfsync ${s.zfsync.toFixed(1)} MiB/s = ${s.percent.toFixed(1)} % — target ${s.met ? 'met' : 'MISSED'}`,
  );
}

/** The markdown section (c). */
export function sshPushSection(r: SshPushResult): string[] {
  const L: string[] = ['## (c) SSH push over loopback sshd (real zfs-fuse)', ''];
  if (r.skipped) {
    L.push(`Skipped: ${r.skipped}`, '');
    return L;
  }
  const rate = (s: number) => r.streamBytes / MiB / s;
  const cell = (s: number | undefined) => (s === undefined ? '–' : `${s.toFixed(1)} s = ${rate(s).toFixed(1)} MiB/s`);
  const secs = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : `${x.toFixed(2)} s`);
  const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(0)} %`);
  const mibs = (x: number) => (Number.isNaN(x) ? '–' : `${x.toFixed(1)} MiB/s`);
  const span = (xs: number[]) => (xs.length > 1 ? ` (${Math.min(...xs).toFixed(1)} – ${Math.max(...xs).toFixed(1)})` : '');
  const ncpu = os.availableParallelism();
  L.push(
    `A private OpenSSH server (test/helpers/sshd.ts: \`/usr/sbin/sshd -D\` on 127.0.0.1, its own host and client keys, root login) on this machine; ${r.openssh ?? 'OpenSSH'}. ` +
      `Two pools on sparse files: the source (played by \`local\`) holds one dataset with ${(r.dataBytes / MiB).toFixed(0)} MiB of \`/dev/urandom\` data ` +
      `(written in ${r.writeSeconds.toFixed(1)} s) and one snapshot, whose full stream is ${(r.streamBytes / MiB).toFixed(1)} MiB (${r.streamBytes.toLocaleString('en')} bytes; ` +
      `\`zfs send | wc -c\` took ${r.warmupSendSeconds.toFixed(1)} s); the other pool is the target on host \`nas\` = 127.0.0.1 through that sshd. ` +
      `Warm-up, not counted: one zfsync push with the transport defaults into the fresh target pool (${r.warmupReceiveSeconds.toFixed(1)} s).`,
    '',
    `Then ${r.runsPerKind} rounds; in each, per cipher: **OpenSSH pipe** = \`bash -o pipefail -c 'zfs send SRC@s | ssh -F none -c CIPHER -o Compression=no … 127.0.0.1 "zfs recv -F DST"'\`, then ` +
      '**zfsync** = `zfsync apply -c spec --auto-approve --json` of a spec pushing that dataset to host `nas` whose `ssh:` offers only that cipher ' +
      '(`ciphers: [CIPHER]`, so it is the one negotiated) with `transport: { compress: none, buffer: none }` (no compressor, no mbuffer, no counting `dd`: ' +
      'the stream goes `zfs send` → Node (ssh2, which encrypts it in this process) → sshd → `zfs receive`), run **in-process** through `run()` of src/cli/main.ts with a fixed clock ' +
      '(no Node startup), timed around `run()`: SSH connection and host-key check, capability probe and state read of both hosts, plan, the placeholder `zfs create` zfs-fuse needs, the stream, the follow-up `zfs inherit` and guid check. ' +
      `Each round ends with one **zfsync (defaults)** push: no \`ciphers\` (ssh2's default offer${r.ssh2DefaultCiphers ? `, first \`${r.ssh2DefaultCiphers[0]}\`, which sshd accepts` : ''}) and the default transport (compress auto, buffer 128M; here ${r.defaultTransport ? `\`${r.defaultTransport}\`` : '?'}), for information. ` +
      `Before every timed run: \`sync\` and a pause; after it, the received snapshot's guid is checked against the source's and the copy destroyed. MiB/s = stream bytes / 2²⁰ / wall seconds. ` +
      `CPU columns: *Node CPU* = user + system time of the process running zfsync (where ssh2 encrypts); *ssh client CPU* = the children of the OpenSSH pipe's shell (the \`ssh\` client; \`zfs send\` is a thin client of the zfs-fuse daemon); ` +
      `*machine busy* = all ${ncpu} CPUs' busy share from /proc/stat during the run (zfs-fuse daemon, sshd, the clients, and anything else running).`,
    '',
  );

  const sums = summarizeSshPush(r);
  L.push(
    '| cipher | OpenSSH pipe, median (min – max) | zfsync apply, median (min – max) | zfsync / OpenSSH (medians) | per round | zfsync send action alone | target ≥ ' + TARGET_SSH_PERCENT + ' % |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of sums) {
    L.push(
      `| \`${s.cipher}\` | **${mibs(s.openssh)}**${span(s.opensshMiBs)} | **${mibs(s.zfsync)}**${span(s.zfsyncMiBs)} | **${s.percent.toFixed(1)} %** ` +
        `| ${s.roundPercents.map((p) => `${p.toFixed(1)} %`).join(', ')} | ${mibs(s.send)} = ${((100 * s.send) / s.openssh).toFixed(1)} % of OpenSSH | ${yes(s.met)} |`,
    );
  }
  const def = r.runs.filter((x) => x.kind === 'zfsync-default');
  if (def.length) {
    const d = def.map((x) => rate(x.seconds));
    L.push(`| defaults (information) | – | ${mibs(median(d))}${span(d)} | – | – | ${mibs(median(def.filter((x) => x.sendSeconds).map((x) => rate(x.sendSeconds!))))} | – |`);
  }
  L.push('', '### Every run', '');
  L.push(
    '| round | cipher | contender | wall | send action | outside the send | of which connect + probe + state read | Node CPU | ssh client CPU | machine busy |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const x of r.runs) {
    const what = x.kind === 'openssh' ? 'OpenSSH pipe' : x.kind === 'zfsync' ? 'zfsync' : 'zfsync (defaults)';
    L.push(
      `| ${x.n} | ${x.cipher ? `\`${x.cipher}\`` : 'ssh2 default'} | ${what} | ${cell(x.seconds)} | ${cell(x.sendSeconds)} | ${secs(x.sendSeconds !== undefined ? x.seconds - x.sendSeconds : undefined)} ` +
        `| ${secs(x.sessionMs !== undefined ? x.sessionMs / 1000 : undefined)} | ${secs(x.nodeCpuSeconds)} | ${secs(x.clientCpuSeconds)} | ${pct(x.machineBusy)} |`,
    );
  }
  const bytes = [...new Set(r.runs.map((x) => x.sendBytes).filter((b): b is number => b !== undefined))];
  L.push('');
  if (bytes.length) L.push(`- Bytes zfsync counted: ${bytes.map((b) => b.toLocaleString('en')).join(', ')} (stream: ${r.streamBytes.toLocaleString('en')}).`);
  for (const s of sums) {
    L.push(
      `- \`${s.cipher}\`: zfsync reaches **${s.percent.toFixed(1)} %** of the OpenSSH pipe (target ≥ ${TARGET_SSH_PERCENT} %) → ${yes(s.met)}` +
        (s.roundPercents.length ? `; per round ${Math.min(...s.roundPercents).toFixed(1)} – ${Math.max(...s.roundPercents).toFixed(1)} %` : '') +
        (Number.isNaN(s.send) ? '' : `; the send action alone ${((100 * s.send) / s.openssh).toFixed(1)} %`) +
        '.',
    );
  }
  if (r.lockWaitSeconds >= 1) L.push(`- Waited ${r.lockWaitSeconds.toFixed(0)} s for the machine-wide zfs lock before starting.`);
  L.push(
    r.concurrentZfsProcesses.length
      ? `- Other zfs/zpool processes were running on the shared zfs-fuse daemon when the runs started (results may be noisy): ${r.concurrentZfsProcesses.slice(0, 5).map((p) => `\`${p.slice(0, 100)}\``).join(', ')}`
      : '- No other zfs/zpool process was running when the runs started.',
    '',
  );
  if (r.profile) {
    const p = r.profile;
    const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
    L.push(
      `### Where Node's time goes in zfsync apply (one extra \`${p.cipher}\` run under the in-process V8 profiler, not counted)`,
      '',
      `The run took ${p.seconds.toFixed(2)} s${p.sendSeconds !== undefined ? ` (send action ${p.sendSeconds.toFixed(2)} s)` : ''}; the main thread was busy (not idle) for ${ms(p.cpuMs)} of it ` +
        `and idle for ${ms(p.idleMs)}. Self time by function (source lines mapped as in (a); entries without a file are native code and V8, ssh2's cipher binding included):`,
      '',
      ...hotSpotRows(p.hotSpots, ms),
      '',
    );
  }
  return L;
}
