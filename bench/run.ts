// zfsync benchmarks: `npm run bench [-- --only read-plan|data-path] [-- --quick]`.
// (a) read + plan at scale (bench/read-plan.ts), then (b) the local data path (bench/data-path.ts).
// Results are ratios against a baseline measured in the same run, written to bench/RESULTS.md
// (or --out FILE; a partial or --quick run overwrites it too, and says so in its first line);
// a short summary goes to stdout. Not part of `npm test`. Needs root and zfs for (b); (a) runs anywhere.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDataPath, type DataPathResult } from './data-path.js';
import { hotSpotRows } from './profile.js';
import { benchReadPlan, type ChildResult, type ReadPlanResult, type Scale } from './read-plan.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- targets

const TARGET_SECONDS = 5; // 1M snapshots per side: read + plan (+ fingerprints)
const TARGET_RSS_GIB = 1.5;
const TARGET_DATA_PERCENT = 95; // zfsync apply / raw pipe throughput

// ---------------------------------------------------------------- flags

interface Flags {
  only?: 'read-plan' | 'data-path';
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
      if (v !== 'read-plan' && v !== 'data-path') throw new Error(`--only read-plan|data-path, not ${v}`);
      f.only = v;
    } else if (a === '--out') f.out = path.resolve(value());
    else if (a === '--runs') f.runs = Number(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- [--only read-plan|data-path] [--quick] [--runs N] [--out FILE]\n');
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
const readPlanMs = (r: ChildResult) => ms(r, 'read') + ms(r, 'plan');
const totalMs = (r: ChildResult) => readPlanMs(r) + ms(r, 'fingerprints');

interface ScaleSummary {
  scale: Scale;
  snapshotsPerSide: number;
  readPlan: number;
  total: number;
  split: number;
  /** read (incl. transport through runProcess) + plan + fingerprints. */
  pipedTotal: number;
  peakKiB: number;
  ok?: { time: boolean; timePiped: boolean; rss: boolean };
}

function summarizeScales(r: ReadPlanResult): ScaleSummary[] {
  return r.scales.map((s) => {
    const out: ScaleSummary = {
      scale: s.scale,
      snapshotsPerSide: s.stats.snapshotsPerSide.source,
      readPlan: median(s.real.map(readPlanMs)),
      total: median(s.real.map(totalMs)),
      split: median(s.baseline.map((b) => ms(b, 'split'))),
      pipedTotal: median(s.piped.map(totalMs)),
      peakKiB: Math.max(...s.real.map((x) => x.maxRssKiB), ...s.piped.map((x) => x.maxRssKiB)),
    };
    if (s.scale === 'full') {
      out.ok = { time: out.total < TARGET_SECONDS * 1000, timePiped: out.pipedTotal < TARGET_SECONDS * 1000, rss: out.peakKiB < TARGET_RSS_GIB * 2 ** 20 };
    }
    return out;
  });
}

function readPlanSection(r: ReadPlanResult, runs: number): string[] {
  const L: string[] = [];
  L.push('## (a) Read + plan at scale', '');
  L.push(
    'One host `local` whose single state listing holds both pools, as for a local pair: source `tank` ' +
      '(recursive) → target `backup/copy`. Synthetic `zfs list -H -p` output in the OpenZFS format, columns ' +
      `exactly \`stateColumns(caps)\` with caps = \`parseProbe\` of ${r.probeFrom} ` +
      `(\`${Object.entries(r.capabilities).filter(([, v]) => v === true).map(([k]) => k).join(', ')}\`). ` +
      'Every source dataset has 100 snapshots; its replica on the target holds the oldest 99 with the same GUIDs, ' +
      'so the plan is one incremental send per dataset. Path measured: a fake `CommandRunner` answering the probe ' +
      'and the listing → `readHostState` (probe parse + `parseStateOutput`) → `plan(spec, state, now)` → ' +
      '`fingerprints(spec, state)`, spec from `parseSpec`.',
    '',
    `Each figure is the median of ${runs} runs, each in a fresh child process (\`node --import tsx\`); ranges are min – max. ` +
      'The listing text is loaded into memory before the clock starts. Peak RSS is the child\'s `process.resourceUsage().maxRSS`, ' +
      'so it includes Node + tsx and the listing text itself. **Baseline**: in the same run and the same kind of child, ' +
      "only `text.split('\\n')` and `line.split('\\t')` of every line of the same text.",
    '',
  );
  L.push('| scale | datasets (per side) | snapshots source / target | lines | text | read (parse) | plan | fingerprints | read + plan | read + plan + fingerprints | baseline split | ratio read+plan / split | ratio all / split | RSS with text loaded | peak RSS |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.scales) {
    const real = s.real;
    const split = median(s.baseline.map((b) => ms(b, 'split')));
    const rp = median(real.map(readPlanMs));
    const all = median(real.map(totalMs));
    L.push(
      `| ${s.scale === 'full' ? '1 (full)' : '1/10'} | ${s.stats.datasets.toLocaleString('en')} | ${s.stats.snapshotsPerSide.source.toLocaleString('en')} / ${s.stats.snapshotsPerSide.target.toLocaleString('en')} ` +
        `| ${s.stats.lines.toLocaleString('en')} | ${(s.stats.bytes / 2 ** 20).toFixed(0)} MiB ` +
        `| ${fmtMs(median(real.map((x) => ms(x, 'read'))))}${range(real.map((x) => ms(x, 'read')), fmtMs)} ` +
        `| ${fmtMs(median(real.map((x) => ms(x, 'plan'))))} | ${fmtMs(median(real.map((x) => ms(x, 'fingerprints'))))} ` +
        `| ${fmtMs(rp)}${range(real.map(readPlanMs), fmtMs)} | **${fmtMs(all)}**${range(real.map(totalMs), fmtMs)} ` +
        `| ${fmtMs(split)}${range(s.baseline.map((b) => ms(b, 'split')), fmtMs)} | ${(rp / split).toFixed(2)}× | ${(all / split).toFixed(2)}× ` +
        `| ${mib(median(real.map((x) => x.rssLoadedKiB)))} | **${mib(Math.max(...real.map((x) => x.maxRssKiB)))}** (baseline child ${mib(Math.max(...s.baseline.map((b) => b.maxRssKiB)))}) |`,
    );
  }
  L.push('');
  for (const s of r.scales) {
    const c = s.real[0]?.counts ?? {};
    L.push(`- ${s.scale === 'full' ? 'Full' : '1/10'} scale, plan checked: ${c.datasets?.toLocaleString('en')} datasets and ${c.snapshots?.toLocaleString('en')} snapshots read, ${c.actions?.toLocaleString('en')} actions = ${c.incremental?.toLocaleString('en')} incremental sends, ${c.conflicts} conflicts, ${c.fingerprints?.toLocaleString('en')} fingerprints.`);
  }
  const piped = r.scales.filter((s) => s.piped.length > 0);
  if (piped.length) {
    L.push(
      '',
      '**Piped**: the same, but the fake runner gets the listing through the real process wrapper (`runProcess([\'cat\', file])`, the way `LocalRunner` reads `zfs list`: ' +
        'stdout chunks, `Buffer.concat`, then a string), so `read` includes that transport and peak RSS the wrapper\'s buffers. Interleaved with the runs above; medians:',
      '',
    );
    L.push('| scale | read incl. transport | plan | fingerprints | read + plan + fingerprints | ratio / split | peak RSS |', '|---|---|---|---|---|---|---|');
    for (const s of piped) {
      const p = s.piped;
      const split = median(s.baseline.map((b) => ms(b, 'split')));
      L.push(
        `| ${s.scale === 'full' ? '1 (full)' : '1/10'} | ${fmtMs(median(p.map((x) => ms(x, 'read'))))}${range(p.map((x) => ms(x, 'read')), fmtMs)} ` +
          `| ${fmtMs(median(p.map((x) => ms(x, 'plan'))))} | ${fmtMs(median(p.map((x) => ms(x, 'fingerprints'))))} ` +
          `| **${fmtMs(median(p.map(totalMs)))}**${range(p.map(totalMs), fmtMs)} | ${(median(p.map(totalMs)) / split).toFixed(2)}× | **${mib(Math.max(...p.map((x) => x.maxRssKiB)))}** |`,
      );
    }
  }
  const sums = summarizeScales(r);
  const full = sums.find((s) => s.ok);
  L.push('', '### Targets', '');
  if (full?.ok) {
    L.push(`- 1M snapshots per side, read + plan + fingerprints under ${TARGET_SECONDS} s: ${fmtMs(full.total)} → ${yes(full.ok.time)}; piped (with the transport through runProcess): ${fmtMs(full.pipedTotal)} → ${yes(full.ok.timePiped)}`);
    L.push(`- peak RSS under ${TARGET_RSS_GIB} GiB (largest of the runs above, the piped one included): ${mib(full.peakKiB)} → ${yes(full.ok.rss)}`);
  } else {
    L.push('- Not checked: the full scale was not run (`--quick`).');
  }
  if (r.profile) {
    L.push('', `### Where the time goes (${r.profile.scale === 'full' ? 'full' : '1/10'} scale, one profiled run)`, '');
    L.push(
      `\`node --cpu-prof --cpu-prof-interval=500\`, self time of each function within the measured window (read + plan + fingerprints, ${fmtMs(r.profile.totalMs)} of samples; ` +
        'the profiler slows the run a little). Under tsx each source is transpiled to one line; positions are mapped back to source lines by transpiling the file again with the same esbuild settings ' +
        '(a bare `file:1:column` means unmapped), and anonymous functions are shown with their source line; ' +
        '`__name` is esbuild\'s keep-names helper that tsx wraps around every function expression (the compiled `dist/` has no such call).',
      '',
    );
    L.push(...hotSpotRows(r.profile.hotSpots, fmtMs));
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
  const doRead = flags.only !== 'data-path';
  const doData = flags.only !== 'read-plan';
  const runs = flags.runs ?? (flags.quick ? 2 : 3);

  let rp: ReadPlanResult | undefined;
  let dp: DataPathResult | undefined;
  if (doRead) {
    rp = await benchReadPlan({
      scales: flags.quick ? ['tenth'] : ['full', 'tenth'],
      runs,
      workDir: path.join(os.tmpdir(), `zfsync-bench-read-${process.pid}`),
      profile: true,
      log,
    });
  }
  if (doData) {
    dp = await benchDataPath({ dataMiB: flags.quick ? 256 : 1024, runs: flags.runs ?? (flags.quick ? 2 : 7), poolGiB: 3, fdPipe: true, settleMs: 2000, log });
  }

  const L: string[] = ['# zfsync benchmark results', ''];
  L.push(
    `Written by \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (bench/run.ts) on ${started.toISOString().slice(0, 10)} ` +
      `(started ${started.toISOString()}, took ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s). ` +
      'Numbers are from this one run; compare them as ratios to the baselines measured alongside, not across machines.',
    '',
    ...machine(dp?.zfsImplementation),
    '',
  );
  if (rp) L.push(...readPlanSection(rp, runs));
  if (dp) L.push(...dataPathSection(dp));
  writeFileSync(flags.out, L.join('\n'));

  // ---- short summary
  const S: string[] = [];
  if (rp) {
    for (const s of summarizeScales(rp)) {
      S.push(
        `read+plan ${s.scale}: ${s.snapshotsPerSide.toLocaleString('en')} snapshots/side: read+plan ${fmtMs(s.readPlan)}, +fingerprints ${fmtMs(s.total)} ` +
          `(${(s.total / s.split).toFixed(2)}× split baseline ${fmtMs(s.split)}), peak RSS ${mib(s.peakKiB)}` +
          `; piped through runProcess ${fmtMs(s.pipedTotal)}` +
          (s.ok ? ` — time target ${s.ok.time && s.ok.timePiped ? 'met' : 'MISSED'}, RSS target ${s.ok.rss ? 'met' : 'MISSED'}` : ''),
      );
    }
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
  S.push(`results: ${path.relative(process.cwd(), flags.out) || flags.out}`);
  process.stdout.write(S.join('\n') + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
