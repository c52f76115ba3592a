// (a) Scale of read + plan: synthetic OpenZFS listings of 10,000 datasets x 100 snapshots per
// side go through the real path (readHostState with a fake CommandRunner, plan, fingerprints).
// Every measurement runs in a fresh child process, so peak RSS belongs to that run alone.
//
// As a child: node --import tsx bench/read-plan.ts --child <real|piped|baseline> <listing-file>
// prints one JSON line (ChildResult) on stdout.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../src/host/process.js';
import type { Argv, CommandRunner, ProcessResult, RunningProcess } from '../src/host/runner.js';
import { plan } from '../src/plan/planner.js';
import { parseSpec } from '../src/spec/load.js';
import { fingerprints } from '../src/state/fingerprint.js';
import { readHostState } from '../src/state/read.js';
import type { Capabilities, State } from '../src/types.js';
import { parseProbe } from '../src/zfs/capabilities.js';
import { stateReadArgv } from '../src/zfs/state-read.js';
import { hotSpots, type CpuProfile, type HotSpot } from './profile.js';
import { BENCH_SPEC, SOURCE_POOL, TARGET_POOL, datasetCount, shapeFor, writeSynthetic, type SyntheticStats } from './synthetic.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
import { OPENZFS } from '../test/helpers/state-builder.js';

const PROBE_FIXTURE = path.join(ROOT, 'test/fixtures/openzfs-2.1/probe.txt');
const SELF = fileURLToPath(import.meta.url);
const NOW = new Date(Date.UTC(2025, 0, 10, 12, 0, 0));

// ---------------------------------------------------------------- capabilities

const ALL_CAPS: Capabilities = { ...OPENZFS, version: '2.1 (synthetic)' };

/** The probe output the fake runner answers with, and what it parses to. */
function probe(): { text: string; caps: Capabilities; from: string } {
  if (existsSync(PROBE_FIXTURE)) {
    const text = readFileSync(PROBE_FIXTURE, 'utf8');
    return { text, caps: parseProbe(text), from: 'test/fixtures/openzfs-2.1/probe.txt' };
  }
  // Without the fixture: a probe answer that parses to every capability (checked below).
  const text = [
    '@@version', 'zfs-2.1.0', '@@usage',
    '\tlist [-Hp] [-r|-d max] [-o property[,...]]',
    '\tsnapshot [-r] [-o property=value] ... <filesystem|volume>@<snap> ...',
    '\treceive [-FhnsuvA] [-o property=value] [-x property] <filesystem>',
    '\tsend [-DLPbcehnpsvw] [-t token] <snapshot>',
    '\tbookmark <snapshot> <bookmark>', '\thold [-r] <tag> <snapshot> ...',
    '@@props', '\twritten  NO  NO  <size>', '\treceive_resume_token  NO  NO  <string>', '@@end', '',
  ].join('\n');
  return { text, caps: ALL_CAPS, from: 'constructed (every capability)' };
}

// ---------------------------------------------------------------- child

/**
 * real: the listing text is in memory before the clock starts and the fake runner hands it over.
 * piped: the fake runner gets the listing through the real process wrapper (`runProcess(['cat',
 * file])`, as LocalRunner reads `zfs list`), so peak RSS includes its stdout buffers; `read`
 * then includes that transport.
 * baseline: only split the text into lines and fields.
 */
export type ChildMode = 'real' | 'piped' | 'baseline';

export interface ChildResult {
  mode: ChildMode;
  /** RSS (KiB) once the listing text is in memory, before the measured work. */
  rssLoadedKiB: number;
  /** process.resourceUsage().maxRSS (KiB) at the end: the peak of the whole child. */
  maxRssKiB: number;
  heapUsedAfterMiB: number;
  /** real: read (probe + parse), plan, fingerprints; baseline: split. */
  ms: Record<string, number>;
  /** hrtime (microseconds) of the measured window, for filtering a CPU profile. */
  windowUs: [number, number];
  counts: Record<string, number>;
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const kib = (bytes: number) => Math.round(bytes / 1024);

/** A runner that answers the probe and the state listing, as the local host would. */
class FakeRunner implements CommandRunner {
  readonly directStdin = false;
  readonly host = 'local';
  readonly zfsCommand = ['zfs'];
  listCalls = 0;
  constructor(
    private readonly probeText: string,
    private readonly holder: { text?: string },
    private readonly expectArgv: readonly string[],
    private readonly pipedFrom?: string,
  ) {}
  private result(argv: Argv, stdout: string): ProcessResult {
    return { argv, exitCode: 0, signal: null, stdout, stderrTail: '', durationMs: 0 };
  }
  async run(argv: Argv): Promise<ProcessResult> {
    if (argv[0] === 'sh') return this.result(argv, this.probeText);
    if (argv.join('\0') !== this.expectArgv.join('\0')) throw new Error(`unexpected command: ${argv.join(' ')}`);
    this.listCalls++;
    if (this.pipedFrom !== undefined) {
      const r = await runProcess(['cat', this.pipedFrom]);
      if (r.exitCode !== 0) throw new Error(`cat ${this.pipedFrom}: ${r.stderrTail}`);
      return this.result(argv, r.stdout);
    }
    // Hand the text over and drop our reference, as runProcess's result would be dropped.
    const text = this.holder.text ?? '';
    delete this.holder.text;
    return this.result(argv, text);
  }
  spawn(): RunningProcess {
    throw new Error('not used');
  }
  spawnPipeline(): never {
    throw new Error('not used');
  }
  describe(argv: Argv): string {
    return argv.join(' ');
  }
  async close(): Promise<void> {}
}

async function child(mode: ChildMode, file: string): Promise<ChildResult> {
  const { text: probeText, caps } = probe();
  const holder: { text?: string } = mode === 'piped' ? {} : { text: readFileSync(file, 'utf8') };
  const rssLoadedKiB = kib(process.memoryUsage().rss);
  const ms: Record<string, number> = {};
  const counts: Record<string, number> = {};
  let windowUs: [number, number];

  if (mode === 'baseline') {
    const text = holder.text!;
    const w0 = nowUs();
    const t0 = performance.now();
    const lines = text.split('\n');
    let fields = 0;
    for (const line of lines) fields += line.split('\t').length;
    ms.split = performance.now() - t0;
    windowUs = [w0, nowUs()];
    counts.lines = lines.length;
    counts.fields = fields;
  } else {
    const spec = parseSpec(BENCH_SPEC, 'bench.yaml');
    const pools = [TARGET_POOL, SOURCE_POOL];
    const runner = new FakeRunner(probeText, holder, stateReadArgv('zfs', caps, pools), mode === 'piped' ? file : undefined);
    const w0 = nowUs();
    const t0 = performance.now();
    const hs = await readHostState(runner, 'zfs', pools);
    const t1 = performance.now();
    const state: State = { hosts: { local: hs } };
    const p = plan(spec, state, NOW);
    const t2 = performance.now();
    const fp = fingerprints(spec, state);
    const t3 = performance.now();
    windowUs = [w0, nowUs()];
    ms.read = t1 - t0;
    ms.plan = t2 - t1;
    ms.fingerprints = t3 - t2;
    if (runner.listCalls !== 1) throw new Error(`expected one state listing, got ${runner.listCalls}`);
    let snapshots = 0;
    for (const d of hs.datasets.values()) snapshots += d.snapshots.length;
    counts.datasets = hs.datasets.size;
    counts.snapshots = snapshots;
    counts.actions = p.actions.length;
    counts.sends = p.summary.sends;
    counts.incremental = p.actions.filter((a) => a.kind === 'send' && a.mode === 'incremental').length;
    counts.conflicts = p.summary.conflicts;
    counts.fingerprints = Object.values(fp).reduce((n, h) => n + Object.keys(h).length, 0);
  }
  return {
    mode,
    rssLoadedKiB,
    maxRssKiB: process.resourceUsage().maxRSS,
    heapUsedAfterMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    ms,
    windowUs,
    counts,
  };
}

// ---------------------------------------------------------------- parent

export type Scale = 'full' | 'tenth';

export interface ScaleResult {
  scale: Scale;
  stats: SyntheticStats;
  real: ChildResult[];
  baseline: ChildResult[];
  /** Runs with the listing read through runProcess (see ChildMode). */
  piped: ChildResult[];
}

export interface ReadPlanResult {
  probeFrom: string;
  capabilities: Capabilities;
  scales: ScaleResult[];
  /** Top self-time functions of one profiled full-scale (or largest-scale) real run. */
  profile?: { scale: Scale; totalMs: number; idleMs: number; hotSpots: HotSpot[] };
}

function runChild(mode: ChildMode, file: string, extraNodeArgs: string[] = []): Promise<ChildResult> {
  const args = [...extraNodeArgs, '--import', 'tsx', SELF, '--child', mode, file];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20, timeout: 15 * 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`read-plan child (${mode}) failed: ${stderr.trim() || err.message}`));
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
  /** Profile one real run of the largest scale (node --cpu-prof). */
  profile: boolean;
  log: (line: string) => void;
}

export async function benchReadPlan(o: ReadPlanOptions): Promise<ReadPlanResult> {
  const { caps, from } = probe();
  if (!caps.listParsable || !caps.written || !caps.resumable) throw new Error(`the probe (${from}) does not parse to OpenZFS capabilities`);
  mkdirSync(o.workDir, { recursive: true });
  try {
    return await measure(o, caps, from);
  } finally {
    rmSync(o.workDir, { recursive: true, force: true });
  }
}

async function measure(o: ReadPlanOptions, caps: Capabilities, from: string): Promise<ReadPlanResult> {
  const result: ReadPlanResult = { probeFrom: from, capabilities: caps, scales: [] };
  for (const scale of o.scales) {
    const file = path.join(o.workDir, `listing-${scale}.txt`);
    const shape = shapeFor(scale);
    o.log(`read-plan: generating ${scale} scale (${datasetCount(shape)} datasets x ${shape.snapshots} snapshots per side) ...`);
    const stats = writeSynthetic(file, shape, caps);
    o.log(`read-plan: ${stats.lines.toLocaleString('en')} lines, ${(stats.bytes / 2 ** 20).toFixed(1)} MiB`);
    const sr: ScaleResult = { scale, stats, real: [], baseline: [], piped: [] };
    // Interleaved, so drift on the machine hits both alike.
    for (let i = 0; i < o.runs; i++) {
      const b = await runChild('baseline', file);
      sr.baseline.push(b);
      const r = await runChild('real', file);
      sr.real.push(r);
      const p = await runChild('piped', file);
      sr.piped.push(p);
      o.log(`read-plan ${scale} run ${i + 1}/${o.runs}: piped through runProcess: read ${p.ms.read!.toFixed(0)} + plan ${p.ms.plan!.toFixed(0)} + fingerprints ${p.ms.fingerprints!.toFixed(0)} ms, peak RSS ${(p.maxRssKiB / 1024).toFixed(0)} MiB`);
      o.log(`read-plan ${scale} run ${i + 1}/${o.runs}: split ${b.ms.split!.toFixed(0)} ms; read ${r.ms.read!.toFixed(0)} + plan ${r.ms.plan!.toFixed(0)} + fingerprints ${r.ms.fingerprints!.toFixed(0)} ms, peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB`);
    }
    result.scales.push(sr);
  }
  if (o.profile && o.scales.length > 0) {
    const scale: Scale = o.scales.includes('full') ? 'full' : o.scales[0]!;
    const file = path.join(o.workDir, `listing-${scale}.txt`);
    const dir = path.join(o.workDir, 'cpuprof');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    o.log(`read-plan: profiling one ${scale} run (node --cpu-prof) ...`);
    const r = await runChild('real', file, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=500']);
    const prof = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (prof) {
      const profile = JSON.parse(readFileSync(path.join(dir, prof), 'utf8')) as CpuProfile;
      const hs = await hotSpots(profile, r.windowUs);
      result.profile = { scale, ...hs };
    }
  }
  return result;
}

// ---------------------------------------------------------------- entry (child mode)

if (process.argv[1] && path.resolve(process.argv[1]) === SELF && process.argv[2] === '--child') {
  const mode = process.argv[3];
  const file = process.argv[4];
  if ((mode !== 'real' && mode !== 'piped' && mode !== 'baseline') || !file) {
    process.stderr.write('usage: read-plan.ts --child real|piped|baseline <listing-file>\n');
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
