// zfsync benchmarks: `npm run bench [-- --only read-plan|data-path|ssh-push] [-- --quick]`.
// (a) read + plan at scale (bench/read-plan.ts), then (b) the local data path (bench/data-path.ts),
// then (c) SSH push through a loopback sshd against the OpenSSH client (bench/ssh-push.ts).
// Results are ratios against a baseline measured in the same run, written to bench/RESULTS.md
// (or --out FILE; a partial or --quick run overwrites it too, and says so in its first line);
// a short summary goes to stdout. Not part of `npm test`. Needs root and zfs for (b), and also
// OpenSSH (sshd and the client) for (c); (a) runs anywhere (its SSH mode needs root and sshd, else it is skipped).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataPathResult } from './data-path.js';
import { hotSpotRows } from './profile.js';
import type { ChildResult, ReadPlanResult, Scale } from './read-plan.js';
import type { ListingForm } from './synthetic.js';
import type { SshPushResult } from './ssh-push.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- targets

const TARGET_SECONDS = 5; // 1M snapshots per side: spec + connect + read + plan + fingerprints, either listing form, local or SSH
const TARGET_RSS_GIB = 1;
const TARGET_DATA_PERCENT = 95; // zfsync apply / raw pipe throughput

// ---------------------------------------------------------------- flags

const SECTIONS = ['read-plan', 'data-path', 'ssh-push'] as const;
type Section = (typeof SECTIONS)[number];
const isSection = (v: string): v is Section => (SECTIONS as readonly string[]).includes(v);

interface Flags {
  only?: Section;
  quick: boolean;
  out: string;
  runs?: number;
}

function parseFlags(argv: string[]): Flags {
  const f: Flags = { quick: false, out: path.join(HERE, 'RESULTS.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') f.quick = true;
    else if (a === '--only') {
      const v = value();
      if (!isSection(v)) throw new Error(`--only ${SECTIONS.join('|')}, not ${v}`);
      f.only = v;
    } else if (a === '--out') f.out = path.resolve(value());
    else if (a === '--runs') f.runs = Number(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: npm run bench -- [--only ${SECTIONS.join('|')}] [--quick] [--runs N] [--out FILE]\n`);
      process.exit(0);
    } else throw new Error(`unknown flag ${a}`);
  }
  if (f.runs !== undefined && !(Number.isInteger(f.runs) && f.runs >= 1)) throw new Error('--runs needs a whole number >= 1');
  return f;
}

// ---------------------------------------------------------------- helpers

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const range = (xs: number[], f: (x: number) => string) => (xs.length > 1 ? ` (${f(Math.min(...xs))} – ${f(Math.max(...xs))})` : '');
const yes = (ok: boolean) => (ok ? '**met**' : '**MISSED**');

function cmd(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function machine(zfsImplementation: string | undefined): string[] {
  const cpus = os.cpus();
  const zfsPkg = cmd('dpkg-query', ['-W', '-f=${Package} ${Version}', 'zfs-fuse']) || cmd('dpkg-query', ['-W', '-f=${Package} ${Version}', 'zfsutils-linux']);
  return [
    `| what | value |`,
    `|---|---|`,
    `| CPU | ${os.availableParallelism()} × ${cpus[0]?.model.trim() ?? '?'} (nproc ${cmd('nproc', []) || '?'}) |`,
    `| memory | ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB |`,
    `| OS | ${os.type()} ${os.release()} (${os.arch()}) |`,
    `| node | ${process.version} (bench and children run through tsx, as \`npm run bench\` does) |`,
    `| zfs | ${zfsPkg || 'not installed'}${zfsImplementation ? ` — probed as ${zfsImplementation}` : ''} |`,
  ];
}

const ms = (r: ChildResult, k: string) => r.ms[k] ?? NaN;
const FORM_TITLE: Record<ListingForm, string> = { list: '`zfs list`', get: '`zfs get`' };
const scaleTitle = (s: Scale) => (s === 'full' ? '1 (full)' : '1/10');
const RP_MODES = ['local', 'ssh'] as const;

interface ReadPlanSummary {
  form: ListingForm;
  scale: Scale;
  mode: (typeof RP_MODES)[number];
  snapshotsPerSide: number;
  read: number;
  plan: number;
  total: number;
  split: number;
  peakKiB: number;
  ok?: { time: boolean; rss: boolean };
}

/** Medians per form x scale x mode (local, ssh); the targets are checked at full scale. */
function summarizeReadPlan(r: ReadPlanResult): ReadPlanSummary[] {
  return r.results.flatMap((s) =>
    RP_MODES.filter((mode) => s[mode].length > 0).map((mode) => {
      const runs = s[mode];
      const out: ReadPlanSummary = {
        form: s.form,
        scale: s.scale,
        mode,
        snapshotsPerSide: s.stats.snapshotsPerSide.source,
        read: median(runs.map((x) => ms(x, 'read'))),
        plan: median(runs.map((x) => ms(x, 'plan'))),
        total: median(runs.map((x) => ms(x, 'total'))),
        split: median(s.baseline.map((b) => ms(b, 'split'))),
        peakKiB: Math.max(...runs.map((x) => x.maxRssKiB)),
      };
      if (s.scale === 'full') out.ok = { time: out.total < TARGET_SECONDS * 1000, rss: out.peakKiB < TARGET_RSS_GIB * 2 ** 20 };
      return out;
    }),
  );
}

function readPlanSection(r: ReadPlanResult, runs: number): string[] {
  const L: string[] = [];
  const caps = (f: ReadPlanResult['forms'][number]) => {
    const on = Object.entries(f.capabilities).filter(([, v]) => v === true).map(([k]) => k);
    return on.length ? `true: \`${on.join(', ')}\`` : 'none of the boolean capabilities true';
  };
  const forms = r.forms.map((f) => {
    const args = f.calls.map((c) => `\`zfs ${c.args.join(' ')}\``).join(' and ');
    return `- **${FORM_TITLE[f.form]} form**: caps = \`parseProbe\` of ${f.probeFrom} (${caps(f)}), so the state read calls ${args}.`;
  });
  L.push('## (a) Read + plan at scale', '');
  L.push(
    'One host holding both sides of a pair: source `tank` (recursive) → target `backup/copy`, so its state read lists `backup/copy` and `tank` ' +
      'with their descendants in one zfs call and the ancestor `backup` on its own in another (`rootsToRead`). The host\'s `zfs` is a generated `/bin/sh` stand-in: ' +
      'it answers the capability probe (`zfs version`, `zfs`, `zfs get -?`) exactly as the zfs of the recorded probe fixture did (the probe\'s output is checked against ' +
      'the fixture before the runs), `cat`s a synthetic listing for each of the state read\'s calls (matched argument for argument; any other call fails), ' +
      'and is otherwise not involved. The listing is written in both forms the state read parses, with exactly the columns `stateColumns(caps)`:',
    '',
    ...forms,
    '',
    'The `zfs list` form has one line per dataset or snapshot; the `zfs get -H -p -o name,property,value` form one line per property ' +
      '(7 per object, `-` where a property does not apply, as zfs-fuse prints it). Every source dataset has 100 snapshots; its replica on the target holds the oldest 99 ' +
      'with the same GUIDs, so the plan is one incremental send per dataset: every run is checked for exactly that (datasets and snapshots read, ' +
      'one action per dataset, all incremental sends, no conflict, nothing missing), and the bench fails otherwise.',
    '',
    'Path measured, in a fresh child process (`node --import tsx`) per run: `parseSpec` → `connectHosts` → `readState` (the capability probe through `sh -s`, then the one ' +
      'state-read script, whose stdout `StateListingParser` parses as it streams in; the listing is never held in memory) → `plan(spec, state, now)` → ' +
      '`fingerprints(spec, state)`, as src/cli/session.ts runs them; closing the runners afterwards is not timed. Modes:',
    '',
    '- **local**: `hosts.local.zfs` = the stand-in, through `LocalRunner` (child processes and pipes).',
    r.sshSkipped
      ? `- **ssh**: not run: ${r.sshSkipped}.`
      : `- **ssh**: the same stand-in on host \`nas\`, reached through \`SshRunner\` (ssh2 ${r.ssh2 ?? '?'}, default algorithms) and a private OpenSSH sshd on 127.0.0.1 ` +
        '(test/helpers/sshd.ts, user root), so the whole listing crosses an encrypted SSH channel; sshd and `cat` run on the same machine as the client.',
    '',
    `The read runs two commands on the host (the probe script, then the listing script). What one more command with nothing to do costs (\`true\` through the same runner, after the measured window; medians): ` +
      `${RP_MODES.map((m) => [m, r.results.flatMap((s) => s[m]).map((x) => ms(x, 'emptySession'))] as const).filter(([, xs]) => xs.length).map(([m, xs]) => `${m} ${fmtMs(median(xs))}`).join(', ')}` +
      (r.sshSkipped ? '.' : '; over SSH this includes the remote login shell of root starting up (its startup files run for every command).'),
    '',
    `Each figure is the median of ${runs} run${runs === 1 ? '' : 's'} (interleaved: run i of every form and mode before run i + 1); ranges are min – max. ` +
      '**total** is one clock around all of it, from `parseSpec` to the end of `fingerprints`; **connect** is `parseSpec` + `connectHosts` (the SSH handshake for ssh). ' +
      'Peak RSS is the child\'s `process.resourceUsage().maxRSS`, so it includes Node and tsx. **Baseline**: in the same kind of child, the listing text is loaded into memory ' +
      "before the clock starts (in pieces of at most 256 MiB cut at line ends when it is too long for one V8 string, as the full `zfs get` listing is), then only `text.split('\\n')` " +
      "and `line.split('\\t')` of every line.",
    '',
  );
  L.push('| form | scale | datasets per side | snapshots source / target | lines | listing | baseline split | baseline peak RSS |', '|---|---|---|---|---|---|---|---|');
  for (const s of r.results) {
    const split = s.baseline.map((b) => ms(b, 'split'));
    L.push(
      `| ${FORM_TITLE[s.form]} | ${scaleTitle(s.scale)} | ${s.stats.datasets.toLocaleString('en')} | ${s.stats.snapshotsPerSide.source.toLocaleString('en')} / ${s.stats.snapshotsPerSide.target.toLocaleString('en')} ` +
        `| ${s.stats.lines.toLocaleString('en')} | ${(s.stats.bytes / 2 ** 20).toFixed(0)} MiB | ${fmtMs(median(split))}${range(split, fmtMs)} | ${mib(Math.max(...s.baseline.map((b) => b.maxRssKiB)))} |`,
    );
  }
  L.push('');
  L.push('| form | scale | mode | connect | read | plan | fingerprints | **total** | total / baseline split | peak RSS |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.results) {
    const split = median(s.baseline.map((b) => ms(b, 'split')));
    for (const mode of RP_MODES) {
      const runs = s[mode];
      if (runs.length === 0) continue;
      const col = (k: string, bold = false) => {
        const xs = runs.map((x) => ms(x, k));
        const m = fmtMs(median(xs));
        return `${bold ? `**${m}**` : m}${range(xs, fmtMs)}`;
      };
      const connect = runs.map((x) => ms(x, 'spec') + ms(x, 'connect'));
      L.push(
        `| ${FORM_TITLE[s.form]} | ${scaleTitle(s.scale)} | ${mode} | ${fmtMs(median(connect))} | ${col('read')} | ${col('plan')} | ${col('fingerprints')} | ${col('total', true)} ` +
          `| ${(median(runs.map((x) => ms(x, 'total'))) / split).toFixed(2)}× | **${mib(Math.max(...runs.map((x) => x.maxRssKiB)))}**${range(runs.map((x) => x.maxRssKiB), mib)} |`,
      );
    }
  }
  L.push('');
  for (const s of r.results) {
    const c = (s.local[0] ?? s.ssh[0])?.counts ?? {};
    L.push(
      `- ${FORM_TITLE[s.form]}, ${scaleTitle(s.scale)} scale, plan checked in every run: ${c.datasets?.toLocaleString('en')} datasets and ${c.snapshots?.toLocaleString('en')} snapshots read, ` +
        `${c.actions?.toLocaleString('en')} actions = ${c.incremental?.toLocaleString('en')} incremental sends, ${c.conflicts} conflicts, ${c.fingerprints?.toLocaleString('en')} fingerprints.`,
    );
  }
  const full = summarizeReadPlan(r).filter((s) => s.ok);
  L.push('', '### Targets', '');
  if (full.length) {
    L.push(`1M snapshots per side, total (spec, connect, read, plan and fingerprints) under ${TARGET_SECONDS} s and peak RSS under ${TARGET_RSS_GIB} GiB, through either listing form:`, '');
    for (const s of full) {
      L.push(`- ${FORM_TITLE[s.form]} form, ${s.mode}: ${fmtMs(s.total)} → ${yes(s.ok!.time)}; peak RSS ${mib(s.peakKiB)} → ${yes(s.ok!.rss)}`);
    }
    if (r.sshSkipped) L.push(`- through SSH: not checked (${r.sshSkipped})`);
  } else {
    L.push('- Not checked: the full scale was not run (`--quick`).');
  }
  for (const p of r.profiles) {
    L.push('', `### Where the time goes: ${FORM_TITLE[p.form]} form, ${p.mode}, ${p.scale === 'full' ? 'full' : '1/10'} scale (one profiled run)`, '');
    L.push(
      `\`node --cpu-prof --cpu-prof-interval=500\`, self time of each function within the measured window (${fmtMs(p.totalMs)} of samples, ${fmtMs(p.idleMs)} idle: waiting for the listing; ` +
        'the profiler slows the run a little). Under tsx each source is transpiled to one line; positions are mapped back to source lines by transpiling the file again with the same esbuild settings ' +
        '(a bare `file:1:column` means unmapped), and anonymous functions are shown with their source line; ' +
        '`__name` is esbuild\'s keep-names helper that tsx wraps around every function expression (the compiled `dist/` has no such call). ' +
        'Built-in string functions (`indexOf`, `slice`, ...) count as self time of the function calling them.',
      '',
    );
    L.push(...hotSpotRows(p.hotSpots, fmtMs));
  }
  L.push('');
  return L;
}

function dataPathSection(d: DataPathResult): string[] {
  const L: string[] = ['## (b) Local data path (real zfs-fuse)', ''];
  if (d.skipped) {
    L.push(`Skipped: ${d.skipped}`, '');
    return L;
  }
  const MB = 1e6;
  const raw = d.runs.filter((r) => r.kind === 'raw');
  const zs = d.runs.filter((r) => r.kind === 'zfsync');
  const fdp = d.runs.filter((r) => r.kind === 'fdpipe');
  const fdMBs = median(fdp.map((r) => d.streamBytes / MB / r.seconds));
  const rawMBs = median(raw.map((r) => d.streamBytes / MB / r.seconds));
  const zMBs = median(zs.map((r) => d.streamBytes / MB / r.seconds));
  const sendMBs = median(zs.filter((r) => r.sendSeconds).map((r) => d.streamBytes / MB / r.sendSeconds!));
  const pct = (100 * zMBs) / rawMBs;
  L.push(
    `Two pools on sparse files; one dataset holding ${(d.dataBytes / 2 ** 20).toFixed(0)} MiB of \`/dev/urandom\` data (written in ${d.writeSeconds.toFixed(1)} s, ` +
      `${(d.dataBytes / MB / d.writeSeconds).toFixed(1)} MB/s), one snapshot; its full stream is ${(d.streamBytes / 2 ** 20).toFixed(1)} MiB ` +
      `(${d.streamBytes.toLocaleString('en')} bytes). Warm-up, not counted: \`zfs send | wc -c\` (${d.warmupSeconds.toFixed(1)} s) and one raw receive into the fresh target pool, whose first writes are slow (${d.warmupReceiveSeconds.toFixed(1)} s). ` +
      'Then, alternately: **raw** = `sh -c \'zfs send SRC@s | zfs recv DST/raw_N\'`; **zfsync** = `zfsync apply -c spec --auto-approve --json` of a spec replicating ' +
      'that dataset to `DST/zfsync_N`, run **in-process** through `run()` of src/cli/main.ts with a fixed clock (no Node startup), timed around `run()`: ' +
      'spec load, capability probe, state read, plan, the placeholder `zfs create` zfs-fuse needs (it has no `recv -u`/`-o`), `zfs send | dd bs=1M status=progress | zfs receive -F` with the descriptors handed from process to process (the counting `dd` gives exact bytes; no byte passes through Node), and the follow-up `zfs inherit`. ' +
      'Every copy is destroyed before the next run. MB/s = stream bytes / 10⁶ / seconds.' +
      (fdp.length
        ? ' A third contender, **fd pipe**, is an experiment and not zfsync code: Node spawns `zfs send` and hands its stdout (the socket pair libuv creates for a child\'s stdio) to `zfs recv` as stdin, so the stream goes from process to process through the kernel and never through JavaScript: zfsync\'s own path without its counting `dd` hop. That it beats the shell pipe is probably the socket pair\'s larger buffer against a 64 KiB pipe (fewer wake-ups); not investigated further.'
        : ''),
    '',
    `| run | raw pipe | zfsync apply | zfsync / raw | zfsync send action alone | zfsync overhead outside the send | Node CPU during apply |${fdp.length ? ' fd pipe (experiment) |' : ''}`,
    `|---|---|---|---|---|---|---|${fdp.length ? '---|' : ''}`,
  );
  const n = Math.max(raw.length, zs.length);
  const cell = (s: number | undefined) => (s === undefined ? '–' : `${s.toFixed(1)} s = ${(d.streamBytes / MB / s).toFixed(1)} MB/s`);
  const secs = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(2)} s`);
  for (let i = 0; i < n; i++) {
    const z = zs[i];
    const overhead = z?.sendSeconds !== undefined ? z.seconds - z.sendSeconds : undefined;
    const r = raw[i];
    const ratio = r && z ? `${((100 * r.seconds) / z.seconds).toFixed(1)} %` : '–';
    L.push(`| ${i + 1} | ${cell(r?.seconds)} | ${cell(z?.seconds)} | ${ratio} | ${cell(z?.sendSeconds)} | ${secs(overhead)} | ${secs(z?.nodeCpuSeconds)} |${fdp.length ? ` ${cell(fdp[i]?.seconds)} |` : ''}`);
  }
  const pairs = zs.flatMap((z, i) => (raw[i] ? [(100 * raw[i]!.seconds) / z.seconds] : []));
  const overheads = zs.filter((r) => r.sendSeconds !== undefined).map((r) => r.seconds - r.sendSeconds!);
  L.push(
    `| **median** | **${rawMBs.toFixed(1)} MB/s** | **${zMBs.toFixed(1)} MB/s** | ${median(pairs).toFixed(1)} % | ${Number.isNaN(sendMBs) ? '–' : `${sendMBs.toFixed(1)} MB/s`} | ${secs(median(overheads))} | ${secs(median(zs.map((r) => r.nodeCpuSeconds ?? NaN)))} |${fdp.length ? ` ${fdMBs.toFixed(1)} MB/s |` : ''}`,
    '',
    `- zfsync / raw throughput (ratio of the medians): **${pct.toFixed(1)} %** (target ≥ ${TARGET_DATA_PERCENT} %) → ${yes(pct >= TARGET_DATA_PERCENT)}` +
      `; median of the per-round ratios ${median(pairs).toFixed(1)} % (range ${Math.min(...pairs).toFixed(1)} – ${Math.max(...pairs).toFixed(1)} %)` +
      (Number.isNaN(sendMBs) ? '' : `; the send action alone: ${((100 * sendMBs) / rawMBs).toFixed(1)} % of raw`) +
      (fdp.length ? `; the fd-pipe experiment: ${((100 * fdMBs) / rawMBs).toFixed(1)} % of raw` : ''),
  );
  const bytes = zs.map((r) => r.sendBytes).filter((b): b is number => b !== undefined);
  if (bytes.length) L.push(`- Bytes zfsync counted through its pipe: ${[...new Set(bytes)].map((b) => b.toLocaleString('en')).join(', ')} (stream: ${d.streamBytes.toLocaleString('en')}).`);
  if (d.profile) {
    const p = d.profile;
    L.push(
      '',
      `### Where Node's time goes in zfsync apply (one extra run under the in-process V8 profiler)`,
      '',
      `The run took ${p.seconds.toFixed(2)} s; the main thread was busy (not idle) for ${fmtMs(p.cpuMs)} of it` +
        ` and idle for ${fmtMs(p.idleMs)}. Self time by function (source lines mapped as in (a); entries without a file are native code and V8):`,
      '',
      ...hotSpotRows(p.hotSpots, fmtMs),
      '',
    );
  }
  if (fdp.length && pct < TARGET_DATA_PERCENT) {
    const fdPct = (100 * fdMBs) / rawMBs;
    L.push(
      `- Analysis: zfsync's fixed work outside the send (spec, probe, state read, plan, placeholder create, inherit, guid check) is ${secs(median(overheads))} per apply; ` +
        `the send action alone reaches ${((100 * sendMBs) / rawMBs).toFixed(1)} % of raw, while the same two processes joined directly (fd pipe) reach ${fdPct.toFixed(1)} %. ` +
        'So the gap is the stream passing through JavaScript in `runPipe` (src/apply/pipe.ts): every 64 KiB chunk is read into a Buffer, counted and written to the receiver, ' +
        'costing Node CPU on a machine whose cores zfs send, zfs recv and the zfs-fuse daemon also need.',
    );
  }
  L.push(
    d.concurrentZfsProcesses.length
      ? `- Other zfs/zpool processes were running on the shared zfs-fuse daemon when the runs started (results may be noisy): ${d.concurrentZfsProcesses.slice(0, 5).map((p) => `\`${p.slice(0, 100)}\``).join(', ')}`
      : '- No other zfs/zpool process was running when the runs started.',
    '',
  );
  return L;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = new Date();
  const doRead = flags.only === undefined || flags.only === 'read-plan';
  const doData = flags.only === undefined || flags.only === 'data-path';
  const doSsh = flags.only === undefined || flags.only === 'ssh-push';
  // Runs per measurement of (a); --quick: one run at 1/10 scale only.
  const runs = flags.runs ?? (flags.quick ? 1 : 3);

  let rp: ReadPlanResult | undefined;
  let dp: DataPathResult | undefined;
  let sp: SshPushResult | undefined;
  // Each section's module is loaded only when it runs: `--only X` needs nothing of the others.
  if (doRead) {
    const { benchReadPlan } = await import('./read-plan.js');
    rp = await benchReadPlan({
      scales: flags.quick ? ['tenth'] : ['full', 'tenth'],
      runs,
      workDir: path.join(os.tmpdir(), `zfsync-bench-read-${process.pid}`),
      profile: true,
      log,
    });
  }
  if (doData) {
    const { benchDataPath } = await import('./data-path.js');
    dp = await benchDataPath({ dataMiB: flags.quick ? 256 : 1024, runs: flags.runs ?? (flags.quick ? 2 : 7), poolGiB: 3, fdPipe: true, settleMs: 2000, log });
  }
  const ssh = doSsh ? await import('./ssh-push.js') : undefined;
  if (ssh) {
    sp = await ssh.benchSshPush({ quick: flags.quick, ...(flags.runs !== undefined ? { runs: flags.runs } : {}), log });
  }

  const L: string[] = ['# zfsync benchmark results', ''];
  L.push(
    `Written by \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (bench/run.ts) on ${started.toISOString().slice(0, 10)} ` +
      `(started ${started.toISOString()}, took ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s). ` +
      'Numbers are from this one run; compare them as ratios to the baselines measured alongside, not across machines.',
    '',
    ...machine(dp?.zfsImplementation ?? sp?.zfsImplementation),
    '',
  );
  if (rp) L.push(...readPlanSection(rp, runs));
  if (dp) L.push(...dataPathSection(dp));
  if (ssh && sp) L.push(...ssh.sshPushSection(sp));
  writeFileSync(flags.out, L.join('\n'));

  // ---- short summary
  const S: string[] = [];
  if (rp) {
    for (const s of summarizeReadPlan(rp)) {
      S.push(
        `read+plan ${s.form} ${s.scale} ${s.mode}: ${s.snapshotsPerSide.toLocaleString('en')} snapshots/side: total ${fmtMs(s.total)} (read ${fmtMs(s.read)}, plan ${fmtMs(s.plan)}; ` +
          `${(s.total / s.split).toFixed(2)}× split baseline ${fmtMs(s.split)}), peak RSS ${mib(s.peakKiB)}` +
          (s.ok ? ` — time target ${s.ok.time ? 'met' : 'MISSED'}, RSS target ${s.ok.rss ? 'met' : 'MISSED'}` : ''),
      );
    }
    if (rp.sshSkipped) S.push(`read+plan ssh: skipped (${rp.sshSkipped})`);
  }
  if (dp) {
    if (dp.skipped) S.push(`data path: skipped (${dp.skipped})`);
    else {
      const MB = 1e6;
      const raw = median(dp.runs.filter((r) => r.kind === 'raw').map((r) => dp!.streamBytes / MB / r.seconds));
      const z = median(dp.runs.filter((r) => r.kind === 'zfsync').map((r) => dp!.streamBytes / MB / r.seconds));
      S.push(`data path ${(dp.dataBytes / 2 ** 20).toFixed(0)} MiB: raw ${raw.toFixed(1)} MB/s, zfsync ${z.toFixed(1)} MB/s = ${((100 * z) / raw).toFixed(1)} % — target ${(100 * z) / raw >= TARGET_DATA_PERCENT ? 'met' : 'MISSED'}`);
    }
  }
  if (ssh && sp) S.push(...ssh.sshPushSummaryLines(sp));
  S.push(`results: ${path.relative(process.cwd(), flags.out) || flags.out}`);
  process.stdout.write(S.join('\n') + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
