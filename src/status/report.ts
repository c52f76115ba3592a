// `zfsync status` as a pure function of (spec, state, now): per pair and dataset, the newest
// common snapshot, lag, pending snapshots and the planner's conflicts. No I/O.
import { plan } from '../plan/planner.js';
import { selectDatasets } from '../plan/select.js';
import { targetDatasetFor } from '../spec/mapping.js';
import type { ConflictAction, Spec, State } from '../types.js';
import { datasetStatus } from './dataset.js';
import { travelFilter } from '../plan/travel.js';
import { formatLag } from './lag.js';
import type { PairStatus, StatusConflict, StatusReport } from './types.js';

const asConflict = (a: ConflictAction): StatusConflict => ({ message: a.message, resolution: a.resolution });

export function statusReport(spec: Spec, state: State, now: Date, maxLagSeconds: number | null = null): StatusReport {
  const nowSec = Math.floor(now.getTime() / 1000);
  const down = state.unreachable ?? {};
  const conflicts = plan(spec, state, now).actions.filter((a): a is ConflictAction => a.kind === 'conflict');
  const counted = new Set<string>();
  const pairs: PairStatus[] = [];

  for (const pairSpec of spec.replicate) {
    const source = spec.sources[pairSpec.from]!;
    const target = spec.targets[pairSpec.to]!;
    const name = `${pairSpec.from} -> ${pairSpec.to}`;
    const pair: PairStatus = {
      pair: name,
      from: pairSpec.from,
      to: pairSpec.to,
      sourceHost: source.host,
      targetHost: target.host,
      targetRoot: target.dataset,
      unreachable: null,
      conflicts: [],
      datasets: [],
    };
    pairs.push(pair);
    const downHost = [source.host, target.host].find((h) => down[h] !== undefined);
    if (downHost !== undefined) {
      pair.unreachable = { host: downHost, error: down[downHost]! };
      continue;
    }
    const shs = state.hosts[source.host]!;
    const ths = state.hosts[target.host]!;
    // The planner's conflicts, each on the dataset it names; the rest belong to the pair.
    const mine = conflicts.filter((c) => c.pair === name || (c.pair === undefined && c.source === pairSpec.from));
    const byTarget = new Map<string, ConflictAction[]>();
    for (const c of mine) {
      counted.add(c.id);
      if (c.pair === name) byTarget.set(c.dataset, [...(byTarget.get(c.dataset) ?? []), c]);
      else pair.conflicts.push(asConflict(c));
    }
    const travels = travelFilter(spec.snapshots.prefix, pairSpec);
    for (const sourceName of selectDatasets(source, shs).datasets) {
      const targetName = targetDatasetFor(target, sourceName);
      const own = byTarget.get(targetName) ?? [];
      byTarget.delete(targetName);
      pair.datasets.push(datasetStatus({
        prefix: spec.snapshots.prefix,
        source: shs.datasets.get(sourceName)!,
        targetName,
        target: ths.datasets.get(targetName),
        conflicts: own.map(asConflict),
        nowSec,
        maxLagSeconds,
        travels,
      }));
    }
    for (const left of byTarget.values()) pair.conflicts.push(...left.map(asConflict));
  }

  const all = pairs.flatMap((p) => p.datasets);
  return {
    generatedAt: now.toISOString(),
    maxLagSeconds,
    pairs,
    summary: {
      pairs: pairs.length,
      datasets: all.length,
      neverReplicated: all.filter((d) => d.common === null).length,
      behind: all.filter((d) => d.behind).length,
      conflicts: counted.size,
      unreachableHosts: Object.keys(down).sort(),
    },
  };
}

/** What fails --max-lag, one phrase each: datasets behind (or never replicated) and unreachable hosts. */
export function lagFailures(r: StatusReport): string[] {
  const out: string[] = [];
  for (const p of r.pairs) {
    if (p.unreachable) out.push(`${p.pair}: host ${p.unreachable.host} unreachable`);
    for (const d of p.datasets) if (d.behind) out.push(`${d.source} (${p.pair}, ${d.common ? `lag ${formatLag(d.lagSeconds)}` : 'never replicated'})`);
  }
  return out;
}
