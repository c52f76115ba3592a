// (a) Scale of read + plan: 10,000 datasets x 100 snapshots per side (1M snapshots per side),
// in both listing forms (`zfs list -H -p`, OpenZFS; `zfs get -H -p`, legacy ZFS), through the
// real path: parseSpec -> connectHosts -> readState -> plan -> fingerprints, as src/cli/session.ts
// runs it. The host's zfs is a generated /bin/sh stand-in that answers the capability probe
// exactly as the recorded zfs of the form's fixture did, and `cat`s the synthetic listing for
// the state read, so the read runs the real `sh -s` scripts, reads their stdout through the
// runner and parses it as it streams in. Modes:
//   local     LocalRunner (hosts.local.zfs = the stand-in)
//   ssh       the same host reached through SshRunner (ssh2) and a private sshd on 127.0.0.1
//   baseline  only split the listing text (in memory before the clock starts) into lines and fields
// Every measurement runs in a fresh child process, so peak RSS belongs to that run alone.
//
// As a child: node --import tsx bench/read-plan.ts --child <local|ssh> <spec-file>
//             node --import tsx bench/read-plan.ts --child baseline <listing-file>
// prints one JSON line (ChildResult) on stdout.
import { execFile } from 'node:child_process';
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeAll, connectHosts } from '../src/host/connect.js';
import { LocalRunner } from '../src/host/local.js';
import { runProcess } from '../src/host/process.js';
import { SshRunner } from '../src/host/ssh/runner.js';
import { plan } from '../src/plan/planner.js';
import { parseSpec } from '../src/spec/load.js';
import { fingerprints } from '../src/state/fingerprint.js';
import { readState } from '../src/state/read.js';
import { rootsToRead } from '../src/state/roots.js';
import type { Capabilities } from '../src/types.js';
import { PROBE_SCRIPT, parseProbe } from '../src/zfs/capabilities.js';
import { stateReadCalls } from '../src/zfs/state-read.js';
import { requireSshd, startSshd, type SshServer } from '../test/helpers/sshd.js';
import { hotSpots, type CpuProfile, type HotSpot } from './profile.js';
import { TARGET_POOL, benchSpec, datasetCount, formOf, shapeFor, writeSynthetic, type ListingForm, type SyntheticStats } from './synthetic.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SELF = fileURLToPath(import.meta.url);
const NOW = new Date(Date.UTC(2025, 0, 10, 12, 0, 0));

/** The recorded probe each listing form's stand-in answers with. */
export const FORMS: Record<ListingForm, string> = {
  list: 'test/fixtures/openzfs-2.1/probe.txt',
  get: 'test/fixtures/zfs-fuse/probe.txt',
};
const FORM_ORDER: ListingForm[] = ['list', 'get'];
/** The SSH host's name in the spec. */
const SSH_HOST = 'nas';

// ---------------------------------------------------------------- child

export type ChildMode = 'baseline' | 'local' | 'ssh';

export interface ChildResult {
  mode: ChildMode;
  /** The runner class the read went through (local/ssh). */
  runner?: string;
  /** RSS (KiB) before the measured work; baseline: with the listing text loaded. */
  rssStartKiB: number;
  /** process.resourceUsage().maxRSS (KiB) at the end: the peak of the whole child. */
  maxRssKiB: number;
  heapUsedAfterMiB: number;
  /**
   * local/ssh: spec (parseSpec), connect (connectHosts), read (readState: probe + state script),
   * plan, fingerprints, total (all of them, one clock), and apart from those emptySession (one
   * `true` through the runner); baseline: split.
   */
  ms: Record<string, number>;
  /** hrtime (microseconds) of the measured window, for filtering a CPU profile. */
  windowUs: [number, number];
  counts: Record<string, number>;
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const kib = (bytes: number) => Math.round(bytes / 1024);

/** The file as strings of at most `max` bytes each, cut after a newline (V8 strings stop short of 512 MiB). */
function readPieces(file: string, max = 256 << 20): string[] {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(fstatSync(fd).size);
    for (let off = 0; off < buf.length; ) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) throw new Error(`${file}: short read`);
      off += n;
    }
    const pieces: string[] = [];
    for (let start = 0; start < buf.length; ) {
      let end = Math.min(start + max, buf.length);
      if (end < buf.length) end = buf.lastIndexOf(10, end - 1) + 1;
      if (end <= start) throw new Error(`${file}: a line longer than ${max} bytes`);
      pieces.push(buf.toString('utf8', start, end));
      start = end;
    }
    return pieces;
  } finally {
    closeSync(fd);
  }
}

async function child(mode: ChildMode, file: string): Promise<ChildResult> {
  const ms: Record<string, number> = {};
  const counts: Record<string, number> = {};
  let windowUs: [number, number];
  let runnerClass: string | undefined;
  let rssStartKiB: number;

  if (mode === 'baseline') {
    // One piece (the old `text.split('\n')` of the whole text) unless the text is too long for one string.
    const pieces = readPieces(file);
    rssStartKiB = kib(process.memoryUsage().rss);
    const w0 = nowUs();
    const t0 = performance.now();
    let lines = 0;
    let fields = 0;
    for (const text of pieces) {
      const ls = text.split('\n');
      lines += ls.length;
      for (const line of ls) fields += line.split('\t').length;
    }
    ms.split = performance.now() - t0;
    windowUs = [w0, nowUs()];
    counts.lines = lines;
    counts.fields = fields;
    counts.pieces = pieces.length;
  } else {
    const text = readFileSync(file, 'utf8');
    rssStartKiB = kib(process.memoryUsage().rss);
    const w0 = nowUs();
    const t0 = performance.now();
    const spec = parseSpec(text, file);
    const ts = performance.now();
    const { runners, unreachable } = await connectHosts(spec, rootsToRead(spec).keys());
    try {
      const t1 = performance.now();
      const state = await readState(spec, runners);
      const t2 = performance.now();
      const p = plan(spec, state, NOW);
      const t3 = performance.now();
      const fp = fingerprints(spec, state);
      const t4 = performance.now();
      windowUs = [w0, nowUs()];
      Object.assign(ms, { spec: ts - t0, connect: t1 - ts, read: t2 - t1, plan: t3 - t2, fingerprints: t4 - t3, total: t4 - t0 });
      const failed = { ...Object.fromEntries(unreachable), ...state.unreachable };
      if (Object.keys(failed).length) throw new Error(`hosts failed: ${JSON.stringify(failed)}`);
      const hosts = Object.values(state.hosts);
      if (hosts.length !== 1 || runners.size !== 1) throw new Error(`expected one host, read ${hosts.length}`);
      const runner = [...runners.values()][0]!;
      if (mode === 'ssh' ? !(runner instanceof SshRunner) : !(runner instanceof LocalRunner)) throw new Error(`mode ${mode} ran through ${runner.constructor.name}`);
      runnerClass = runner.constructor.name;
      const hs = hosts[0]!;
      let snapshots = 0;
      for (const d of hs.datasets.values()) snapshots += d.snapshots.length;
      counts.datasets = hs.datasets.size;
      counts.snapshots = snapshots;
      counts.missing = hs.missing.length;
      counts.actions = p.actions.length;
      counts.sends = p.summary.sends;
      counts.incremental = p.actions.filter((a) => a.kind === 'send' && a.mode === 'incremental').length;
      counts.holds = p.actions.filter((a) => a.kind === 'hold').length;
      counts.conflicts = p.summary.conflicts;
      counts.fingerprints = Object.values(fp).reduce((n, h) => n + Object.keys(h).length, 0);
      // Not timed with the rest: what one more session with nothing to do costs on this runner
      // (the read opens two: the probe and the listing).
      const s0 = performance.now();
      const empty = await runner.run(['true']);
      if (empty.exitCode !== 0) throw new Error(`true failed on ${runner.host}: ${empty.stderrTail}`);
      ms.emptySession = performance.now() - s0;
    } finally {
      await closeAll(runners);
    }
  }
  return {
    mode,
    ...(runnerClass ? { runner: runnerClass } : {}),
    rssStartKiB,
    maxRssKiB: process.resourceUsage().maxRSS,
    heapUsedAfterMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    ms,
    windowUs,
    counts,
  };
}

// ---------------------------------------------------------------- the zfs stand-in

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The probe fixture's `@@version`, `@@usage` and `@@props` sections: exactly what zfs printed for each. */
function probeSections(text: string): { version: string; usage: string; props: string } {
  const out: Record<string, string[]> = {};
  let current: string[] | undefined;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const m = /^@@(\w+)$/.exec(line);
    if (m) out[m[1]!] = current = [];
    else current?.push(line);
  }
  const section = (name: string) => {
    const s = out[name];
    if (!s) throw new Error(`probe fixture without @@${name}`);
    return s.map((l) => l + '\n').join('');
  };
  return { version: section('version'), usage: section('usage'), props: section('props') };
}

/**
 * A /bin/sh stand-in for zfs (absolute paths baked in). As the recorded zfs did: `zfs version`
 * prints the version (OpenZFS, exit 0) or is an unknown command (zfs-fuse: the message and the
 * usage on stderr, exit 2); `zfs` prints its usage on stderr (exit 2); `zfs get -?` its usage and
 * property table on stderr (exit 2). The state read's calls, matched exactly, `cat` their listing;
 * anything else fails loudly.
 */
function writeFakeZfs(file: string, dir: string, fixture: string, caps: Capabilities, answers: [string[], string][]): void {
  const s = probeSections(readFileSync(path.join(ROOT, fixture), 'utf8'));
  const part = (name: string, text: string) => {
    const p = path.join(dir, `probe-${name}.txt`);
    writeFileSync(p, text);
    return q(p);
  };
  const version = part('version', s.version);
  const usage = part('usage', s.usage);
  const props = part('props', s.props);
  const lines = [
    '#!/bin/sh',
    `# zfs stand-in generated by bench/read-plan.ts: answers as ${fixture} recorded, and the state read's calls.`,
    'case "$*" in',
    caps.implementation === 'openzfs' ? `  version) cat ${version} ;;` : `  version) cat ${version} >&2; exit 2 ;;`,
    `  '') cat ${usage} >&2; exit 2 ;;`,
    `  'get -?') cat ${props} >&2; exit 2 ;;`,
    ...answers.map(([args, listing]) => `  ${q(args.join(' '))}) exec cat ${q(listing)} ;;`),
    `  *) printf 'zfs stand-in: unexpected arguments: %s\\n' "$*" >&2; exit 1 ;;`,
    'esac',
    '',
  ];
  writeFileSync(file, lines.join('\n'));
  chmodSync(file, 0o755);
}

/** Runs the real probe script against the stand-in and checks its zfs sections equal the fixture's. */
async function checkProbe(fake: string, fixture: string): Promise<void> {
  const r = await runProcess(['sh', '-s', '--', fake], { input: PROBE_SCRIPT });
  const got = r.stdout.slice(0, r.stdout.indexOf('@@tools\n'));
  const text = readFileSync(path.join(ROOT, fixture), 'utf8');
  const want = text.slice(0, text.indexOf('@@end'));
  if (got !== want) throw new Error(`the zfs stand-in ${fake} does not answer the probe as ${fixture}: got\n${r.stdout.slice(0, 2000)}`);
}

// ---------------------------------------------------------------- parent

export type Scale = 'full' | 'tenth';

export interface FormInfo {
  form: ListingForm;
  probeFrom: string;
  capabilities: Capabilities;
  /** The state read's calls (zfs arguments) and which listing each one answers with. */
  calls: { args: string[]; answer: 'tree' | 'self' }[];
}

export interface FormScaleResult {
  form: ListingForm;
  scale: Scale;
  stats: SyntheticStats;
  baseline: ChildResult[];
  local: ChildResult[];
  ssh: ChildResult[];
}

export interface ReadPlanResult {
  forms: FormInfo[];
  /** Form x scale, in the order run. */
  results: FormScaleResult[];
  /** Why the ssh mode did not run, if it did not. */
  sshSkipped?: string;
  /** `ssh2`'s version, when the ssh mode ran. */
  ssh2?: string;
  /** Top self-time functions of one profiled run per form (largest scale, ssh when it ran, else local). */
  profiles: { form: ListingForm; mode: ChildMode; scale: Scale; totalMs: number; idleMs: number; hotSpots: HotSpot[] }[];
}

function runChild(mode: ChildMode, file: string, extraNodeArgs: string[] = []): Promise<ChildResult> {
  const args = [...extraNodeArgs, '--import', 'tsx', SELF, '--child', mode, file];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20, timeout: 15 * 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`read-plan child (${mode} ${file}) failed: ${stderr.trim() || err.message}`));
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as ChildResult);
      } catch {
        reject(new Error(`read-plan child (${mode}) printed no result: ${stdout.slice(-500)} ${stderr.slice(-500)}`));
      }
    });
  });
}

export interface ReadPlanOptions {
  scales: Scale[];
  runs: number;
  workDir: string;
  /** Profile one run per form of the largest scale (node --cpu-prof). */
  profile: boolean;
  log: (line: string) => void;
}

/** A TestContext stand-in for startSshd: collects its `t.after` cleanups, run by the caller. */
function cleanupContext(): { t: TestContext; run: () => Promise<void> } {
  const fns: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => void fns.push(fn) } as unknown as TestContext;
  return {
    t,
    run: async () => {
      for (const fn of fns.splice(0).reverse()) await fn();
    },
  };
}

function formInfo(form: ListingForm): FormInfo {
  const probeFrom = FORMS[form];
  const caps = parseProbe(readFileSync(path.join(ROOT, probeFrom), 'utf8'));
  if (formOf(caps) !== form) throw new Error(`${probeFrom} does not parse to the ${form} form`);
  if (form === 'list' && !(caps.written && caps.resumable)) throw new Error(`${probeFrom} does not parse to OpenZFS capabilities`);
  // The calls the state read makes for the bench spec; the host's name and zfs path do not change them.
  const roots = rootsToRead(parseSpec(benchSpec('local', '{ zfs: zfs }'), 'bench.yaml')).get('local') ?? [];
  const calls = stateReadCalls(caps, roots).map((args) => {
    if (args.includes('-r')) return { args, answer: 'tree' as const };
    if (!args.includes('-d') && args[args.length - 1] === TARGET_POOL && args[args.length - 2]?.includes(',')) return { args, answer: 'self' as const };
    throw new Error(`unexpected state read call (update the bench): zfs ${args.join(' ')}`);
  });
  if (calls.filter((c) => c.answer === 'tree').length !== 1 || calls.length !== 2) {
    throw new Error(`unexpected state read calls (update the bench): ${calls.map((c) => `zfs ${c.args.join(' ')}`).join('; ')}`);
  }
  return { form, probeFrom, capabilities: caps, calls };
}

export async function benchReadPlan(o: ReadPlanOptions): Promise<ReadPlanResult> {
  rmSync(o.workDir, { recursive: true, force: true });
  mkdirSync(o.workDir, { recursive: true });
  const cleanup = cleanupContext();
  try {
    return await measure(o, cleanup.t);
  } finally {
    try {
      await cleanup.run();
    } finally {
      rmSync(o.workDir, { recursive: true, force: true });
    }
  }
}

function check(what: string, r: ChildResult, stats: SyntheticStats, holds: boolean): void {
  const c = r.counts;
  // Where the host has holds (the OpenZFS form), each pair's new base also gets its hold and bookmark (plan/protect.ts).
  const holdMoves = holds ? stats.datasets : 0;
  const want: Record<string, number> = {
    // tank's tree, its replicas, backup/copy and backup
    datasets: 2 * stats.datasets + 2,
    snapshots: stats.snapshotsPerSide.source + stats.snapshotsPerSide.target,
    missing: 0,
    actions: stats.datasets + holdMoves,
    incremental: stats.datasets,
    holds: holdMoves,
    conflicts: 0,
  };
  const wrong = Object.entries(want).filter(([k, v]) => c[k] !== v);
  if (wrong.length) throw new Error(`${what}: the plan is not what the synthetic data implies: ${wrong.map(([k, v]) => `${k} ${c[k]} (expected ${v})`).join(', ')}`);
}

async function measure(o: ReadPlanOptions, t: TestContext): Promise<ReadPlanResult> {
  const forms = FORM_ORDER.map(formInfo);
  const result: ReadPlanResult = { forms, results: [], profiles: [] };

  let server: SshServer | undefined;
  let skipped: string | undefined;
  await requireSshd({ skip: (why?: string) => void (skipped = why ?? 'sshd not available') } as unknown as TestContext);
  if (skipped === undefined) {
    server = await startSshd(t, { users: ['root'] });
    result.ssh2 = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules/ssh2/package.json'), 'utf8')) as { version: string }).version;
    o.log(`read-plan: sshd on 127.0.0.1:${server.port}`);
  } else {
    result.sshSkipped = skipped;
    o.log(`read-plan: ssh mode skipped: ${skipped}`);
  }
  const modes: ChildMode[] = server ? ['baseline', 'local', 'ssh'] : ['baseline', 'local'];

  for (const scale of o.scales) {
    const shape = shapeFor(scale);
    const files = new Map<ListingForm, { tree: string; spec: Record<'local' | 'ssh', string> }>();
    const rows = new Map<ListingForm, FormScaleResult>();
    for (const f of forms) {
      const dir = path.join(o.workDir, `${f.form}-${scale}`);
      mkdirSync(dir, { recursive: true });
      const tree = path.join(dir, 'listing-tree.txt');
      const self = path.join(dir, 'listing-self.txt');
      o.log(`read-plan: generating the ${f.form} form, ${scale} scale (${datasetCount(shape)} datasets x ${shape.snapshots} snapshots per side) ...`);
      const stats = writeSynthetic({ tree, self }, shape, f.capabilities);
      o.log(`read-plan: ${stats.lines.toLocaleString('en')} lines, ${(stats.bytes / 2 ** 20).toFixed(1)} MiB`);
      const fake = path.join(dir, 'zfs');
      writeFakeZfs(fake, dir, f.probeFrom, f.capabilities, f.calls.map((c) => [c.args, c.answer === 'tree' ? tree : self]));
      await checkProbe(fake, f.probeFrom);
      const spec = { local: path.join(dir, 'local.yaml'), ssh: path.join(dir, 'ssh.yaml') };
      writeFileSync(spec.local, benchSpec('local', `{ zfs: ${JSON.stringify(fake)} }`));
      if (server) {
        writeFileSync(
          spec.ssh,
          benchSpec(
            SSH_HOST,
            `{ zfs: ${JSON.stringify(fake)}, ssh: { host: 127.0.0.1, port: ${server.port}, user: ${server.user}, identity: ${JSON.stringify(server.clientKey)}, known_hosts: ${JSON.stringify(server.knownHostsFile)} } }`,
          ),
        );
      }
      files.set(f.form, { tree, spec });
      rows.set(f.form, { form: f.form, scale, stats, baseline: [], local: [], ssh: [] });
    }
    // Interleaved (run i of every form and mode before run i + 1), so drift on the machine hits all alike.
    for (let i = 0; i < o.runs; i++) {
      for (const f of forms) {
        const row = rows.get(f.form)!;
        const fl = files.get(f.form)!;
        const line: string[] = [];
        for (const mode of modes) {
          const r = await runChild(mode, mode === 'baseline' ? fl.tree : fl.spec[mode]);
          row[mode].push(r);
          if (mode === 'baseline') line.push(`split ${r.ms.split!.toFixed(0)} ms`);
          else {
            check(`${f.form} ${scale} ${mode}`, r, row.stats, f.capabilities.holds);
            line.push(`${mode}: read ${r.ms.read!.toFixed(0)} + plan ${r.ms.plan!.toFixed(0)} + fingerprints ${r.ms.fingerprints!.toFixed(0)} ms, total ${r.ms.total!.toFixed(0)} ms, peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB`);
          }
        }
        o.log(`read-plan ${f.form} ${scale} run ${i + 1}/${o.runs}: ${line.join('; ')}`);
      }
    }
    result.results.push(...forms.map((f) => rows.get(f.form)!));

    const largest: Scale = o.scales.includes('full') ? 'full' : o.scales[0]!;
    if (o.profile && scale === largest) {
      for (const f of forms) {
        const mode: ChildMode = server ? 'ssh' : 'local';
        const dir = path.join(o.workDir, `cpuprof-${f.form}`);
        mkdirSync(dir, { recursive: true });
        o.log(`read-plan: profiling one ${f.form} ${scale} ${mode} run (node --cpu-prof) ...`);
        const r = await runChild(mode, files.get(f.form)!.spec[mode], ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=500']);
        const prof = readdirSync(dir).find((n) => n.endsWith('.cpuprofile'));
        if (prof) {
          const profile = JSON.parse(readFileSync(path.join(dir, prof), 'utf8')) as CpuProfile;
          result.profiles.push({ form: f.form, mode, scale, ...(await hotSpots(profile, r.windowUs)) });
        }
      }
    }
    // The listings of this scale are no longer needed (the full get form is ~1 GiB).
    for (const f of forms) rmSync(path.join(o.workDir, `${f.form}-${scale}`), { recursive: true, force: true });
  }
  return result;
}

// ---------------------------------------------------------------- entry (child mode)

if (process.argv[1] && path.resolve(process.argv[1]) === SELF && process.argv[2] === '--child') {
  const mode = process.argv[3];
  const file = process.argv[4];
  if ((mode !== 'baseline' && mode !== 'local' && mode !== 'ssh') || !file || !existsSync(file)) {
    process.stderr.write('usage: read-plan.ts --child local|ssh <spec-file> | --child baseline <listing-file>\n');
    process.exit(2);
  }
  child(mode, file).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
