// Resuming against restarting: on one OpenZFS host, (a) a full send of SIZE MiB of random data
// (compression=off) from zero, then (b) the same send stopped with SIGTERM at ~50 % and the
// resume alone (`zfs send -t`). Run by hand, never by `npm run bench` (it needs the guest):
//   ZFSYNC_BENCH_REMOTE=root@127.0.0.1:2222 ZFSYNC_BENCH_KEY=/var/tmp/openzfs-vm/keys/id_ed25519 \
//   ZFSYNC_BENCH_KNOWN_HOSTS=/var/tmp/zfsync-lane/kh21 ZFSYNC_BENCH_POOL=vmtank [ZFSYNC_BENCH_MIB=256] \
//     node --import tsx bench/resume.ts
// The two ends are two spec hosts on that one machine, so the stream is relayed through zfsync
// (as across hosts), which is where its progress is counted and where the stop is timed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeAll, connectHosts } from '../src/host/connect.js';
import { parseSpec } from '../src/spec/load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const env = (k: string): string | undefined => process.env[`ZFSYNC_BENCH_${k}`];
const remote = env('REMOTE');
if (!remote) {
  console.error('set ZFSYNC_BENCH_REMOTE=user@host:port (and _KEY, _KNOWN_HOSTS, _POOL, _MIB): see the top of bench/resume.ts');
  process.exit(1);
}
const m = /^(?:([^@]+)@)?([^:@]+)(?::(\d+))?$/.exec(remote);
if (!m) throw new Error(`ZFSYNC_BENCH_REMOTE must be [user@]host[:port], not '${remote}'`);
const fields = [`host: "${m[2]}"`, `port: ${m[3] ?? 22}`, `user: ${m[1] ?? 'root'}`];
if (env('KEY')) fields.push(`identity: "${env('KEY')}"`);
if (env('KNOWN_HOSTS')) fields.push(`known_hosts: "${env('KNOWN_HOSTS')}"`);
const hostEntry = (name: string) => `  ${name}:\n    ssh: { ${fields.join(', ')} }\n`;
const MIB = Number(env('MIB') ?? 256);
const pool = env('POOL') ?? 'vmtank';
const base = `${pool}/zfsync-bench-resume-${randomBytes(3).toString('hex')}`;

const spec = parseSpec(`version: 1\nhosts:\n${hostEntry('oz')}sources:\n  unused: { host: oz, datasets: [unused/x] }\n`, 'bench.yaml');
const { runners, unreachable } = await connectHosts(spec, ['oz']);
if (unreachable.size) throw new Error([...unreachable.values()].join('; '));
const runner = runners.get('oz')!;
const sh = async (argv: string[]): Promise<string> => {
  const r = await runner.run(argv);
  if (r.exitCode !== 0) throw new Error(`${runner.describe(argv)}: ${r.stderrTail.trim()}`);
  return r.stdout;
};

const dir = mkdtempSync(path.join(tmpdir(), 'zfsync-bench-resume-'));
const specPath = path.join(dir, 'zfsync.yaml');
writeFileSync(specPath, `version: 1
hosts:
${hostEntry('oz1')}${hostEntry('oz2')}
sources:
  s: { host: oz1, datasets: ["${base}/src"] }
targets:
  t: { host: oz2, dataset: "${base}/dst", strip_path: 2 }
replicate:
  - { from: s, to: t, transport: { compress: none, buffer: none } }
`);

/** `zfsync apply`, timed; with `stopAt`, SIGTERM once the stream passed that many bytes. */
function apply(stopAt?: number): Promise<{ seconds: number; code: number | null; stoppedAt?: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/zfsync-bin.ts', 'apply', '-c', specPath, '--auto-approve', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  let stoppedAt: number | undefined;
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const line of lines) {
      const e = JSON.parse(line) as { type: string; bytes?: number };
      if (stopAt !== undefined && stoppedAt === undefined && e.type === 'action-progress' && e.bytes! >= stopAt) {
        stoppedAt = e.bytes!;
        child.kill('SIGTERM');
      }
    }
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ seconds: (performance.now() - started) / 1000, code, ...(stoppedAt !== undefined ? { stoppedAt } : {}) })));
}

try {
  await sh(['zfs', 'create', '-o', 'canmount=off', base]);
  await sh(['zfs', 'create', '-o', 'compression=off', `${base}/src`]);
  const mp = (await sh(['zfs', 'get', '-H', '-o', 'value', 'mountpoint', `${base}/src`])).trim();
  await sh(['dd', 'if=/dev/urandom', `of=${mp}/data`, 'bs=1M', `count=${MIB}`, 'status=none']);
  await sh(['zfs', 'snapshot', `${base}/src@s1`]);

  const full = await apply();
  if (full.code !== 0) throw new Error(`full send exited ${full.code}`);
  await sh(['zfs', 'destroy', '-r', `${base}/dst/src`]);

  const stopped = await apply((MIB * 1024 * 1024) / 2);
  if (stopped.code !== 143) throw new Error(`the stopped apply exited ${stopped.code}, not 143`);
  const token = (await sh(['zfs', 'get', '-H', '-o', 'value', 'receive_resume_token', `${base}/dst/src`])).trim();
  if (!token.startsWith('1-')) throw new Error('no resume token after the stop');
  const resumed = await apply();
  if (resumed.code !== 0) throw new Error(`the resume exited ${resumed.code}`);
  const guids = await sh(['zfs', 'get', '-H', '-o', 'value', 'guid', `${base}/src@s1`, `${base}/dst/src@s1`]);
  const [a, b] = guids.trim().split('\n');
  if (a !== b) throw new Error(`guids differ: ${a} ${b}`);

  const version = (await sh(['zfs', 'version'])).split('\n')[0];
  console.log(`${version}, ${MIB} MiB of random data, compression=off, relayed through zfsync (compress none, no buffer)`);
  console.log(`(a) full send from zero:                 ${full.seconds.toFixed(1)} s`);
  console.log(`(b) stopped at ${((stopped.stoppedAt! / (MIB * 1024 * 1024)) * 100).toFixed(0)} % after ${stopped.seconds.toFixed(1)} s; the resume alone: ${resumed.seconds.toFixed(1)} s (${((resumed.seconds / full.seconds) * 100).toFixed(0)} % of (a)); guids equal`);
} finally {
  await sh(['zfs', 'destroy', '-r', base]).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await closeAll(runners);
  rmSync(dir, { recursive: true, force: true });
}
