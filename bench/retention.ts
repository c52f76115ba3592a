// How long retention adds to planning over 1M snapshots per side (10,000 datasets x 100
// snapshots, bench/synthetic.ts): the same state planned without and with retention on both
// sides. Run: node --import tsx bench/retention.ts [runs]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { plan } from '../src/plan/planner.js';
import { parseSpec } from '../src/spec/load.js';
import type { HostState, State } from '../src/types.js';
import { parseProbe } from '../src/zfs/capabilities.js';
import { parseStateOutput } from '../src/zfs/state-read.js';
import { benchSpec, shapeFor, writeSynthetic } from './synthetic.js';

const runs = Number(process.argv[2] ?? 3);
const caps = parseProbe(readFileSync(new URL('../test/fixtures/openzfs-2.1/probe.txt', import.meta.url), 'utf8'));
const dir = mkdtempSync(path.join(tmpdir(), 'zfsync-bench-retention-'));
try {
  const files = { tree: path.join(dir, 'tree.txt'), self: path.join(dir, 'self.txt') };
  const stats = writeSynthetic(files, shapeFor('full'), caps);
  const datasets = parseStateOutput(readFileSync(files.tree, 'utf8') + readFileSync(files.self, 'utf8'), caps);
  const hs: HostState = { host: 'local', capabilities: caps, roots: ['tank', 'backup/copy', 'backup'], missing: [], datasets };
  const state: State = { hosts: { local: hs } };
  const plain = parseSpec(benchSpec('local', '{ zfs: zfs }'), 'bench.yaml');
  const kept = parseSpec(
    benchSpec('local', '{ zfs: zfs }')
      .replace('datasets: [tank] }', 'datasets: [tank], retention: { last: 24, daily: 2 } }')
      .replace('dataset: backup/copy }', 'dataset: backup/copy, retention: { last: 48, daily: 3 } }'),
    'bench.yaml',
  );
  const keepAll = parseSpec(
    benchSpec('local', '{ zfs: zfs }')
      .replace('datasets: [tank] }', 'datasets: [tank], retention: { last: 100 } }')
      .replace('dataset: backup/copy }', 'dataset: backup/copy, retention: { last: 100 } }'),
    'bench.yaml',
  );
  const now = new Date(Date.UTC(2025, 0, 5, 12));
  const time = (spec: typeof plain) => {
    const ms: number[] = [];
    let destroys = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const p = plan(spec, state, now);
      ms.push(performance.now() - t0);
      destroys = p.summary.destroys;
    }
    return { best: Math.min(...ms), median: ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!, destroys };
  };
  const without = time(plain);
  const withRetention = time(kept);
  const f = (n: number) => `${(n / 1000).toFixed(2)} s`;
  console.log(`${stats.datasets} datasets, ${stats.snapshotsPerSide.source} snapshots per side (source and target), ${runs} runs, Node ${process.version}`);
  console.log(`plan without retention: best ${f(without.best)}, median ${f(without.median)}`);
  console.log(`plan with retention on both sides: best ${f(withRetention.best)}, median ${f(withRetention.median)}; ${withRetention.destroys} snapshots to destroy`);
  const steady = time(keepAll);
  console.log(`plan with retention keeping every snapshot (last: 100): best ${f(steady.best)}, median ${f(steady.median)}; ${steady.destroys} to destroy`);
  console.log(`retention adds: ~${f(withRetention.median - without.median)} (median)`);
  // The parsed state (1M snapshots per side) stays in memory throughout, as in `zfsync plan`.
  console.log(`peak RSS of the whole run (state parsed and held, all plans): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
