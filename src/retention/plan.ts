// Retention for a whole plan: runs after the pairs are planned, on the state as it will be
// once this plan ran (its new snapshot on the source, what its sends bring on the target),
// and yields one destroy action per dataset and side.
import type { DestroyAction, HostState, RetentionSpec, Spec, State } from '../types.js';
import { plural } from '../plan/format.js';
import { describePolicy } from './buckets.js';
import { destroyCalls } from '../kinds/destroy.js';
import { judge, protect, type Protection, type Verdict } from './judge.js';
import { projectedTarget, sourceProtections, targetProtections, type PairLink } from './links.js';

export type DestroyDraft = Omit<DestroyAction, 'id'>;

/** One dataset's retention, for the preview (`plan --retention`). */
export interface DatasetRetention {
  side: 'source' | 'target';
  /** `sources.<name>` or `targets.<name>`. */
  owner: string;
  host: string;
  dataset: string;
  policy: string;
  verdicts: Verdict[];
}

export interface RetentionInput {
  spec: Spec;
  state: State;
  /** Per source: the datasets it selected (sources on unreachable hosts are absent). */
  selections: ReadonlyMap<string, readonly string[]>;
  links: readonly PairLink[];
  /** Sources with a pair whose target host could not be read: what the target holds is unknown. */
  blindSources: ReadonlySet<string>;
  /** Per source: the snapshot this plan takes and the action taking it; it counts as the newest. */
  taken: ReadonlyMap<string, { name: string; actionId: string }>;
  /** zfsync's hold tags -> the pair each belongs to (plan/protect.ts), for why a held snapshot is kept. */
  holdOwners?: ReadonlyMap<string, string>;
  /** Fill `report` with every snapshot's verdict (the preview); plans need only the destroys. */
  report?: boolean;
}

export interface RetentionResult {
  drafts: DestroyDraft[];
  report: DatasetRetention[];
  notes: string[];
}

/** `pool/fs@snap` of every clone origin the host's state shows. */
function originsOf(hs: HostState): Set<string> {
  const out = new Set<string>();
  for (const d of hs.datasets.values()) if (d.origin) out.add(d.origin);
  return out;
}

/** Whose hold keeps a snapshot: a pair of this spec's, an orphaned zfsync hold, or someone else's. */
function heldBy(tags: readonly string[] | undefined, owners: ReadonlyMap<string, string> | undefined): Protection {
  if (!tags?.length) return 'held';
  const pairs = [...new Set(tags.map((t) => owners?.get(t)).filter((p): p is string => p !== undefined))];
  return pairs.length ? `held by zfsync for ${pairs.join(', ')}` : `held by zfsync for a pair no longer in the spec (${tags.join(', ')})`;
}

export function planRetention(input: RetentionInput): RetentionResult {
  const { spec, state } = input;
  const prefix = spec.snapshots.prefix;
  const result: RetentionResult = { drafts: [], report: [], notes: [] };
  const origins = new Map<string, Set<string>>();
  const originSet = (host: string) => {
    let s = origins.get(host);
    if (!s) origins.set(host, (s = originsOf(state.hosts[host]!)));
    return s;
  };
  const baseProtections = (host: string, dataset: string, names: Iterable<{ name: string; userrefs?: number; holds?: string[] }>) => {
    const m = new Map<string, Protection>();
    const clones = originSet(host);
    for (const s of names) {
      if ((s.userrefs ?? 0) > 0) protect(m, s.name, heldBy(s.holds, input.holdOwners));
      if (clones.size > 0 && clones.has(`${dataset}@${s.name}`)) protect(m, s.name, 'origin of a clone');
    }
    return m;
  };
  const run = (side: 'source' | 'target', owner: string, policy: RetentionSpec, host: string, dataset: string, names: readonly string[], shields: Map<string, Protection>, extra: Pick<DestroyDraft, 'pair' | 'source' | 'dependsOn'>) => {
    const j = judge(prefix, policy, names, shields, times, input.report === true);
    const rules = describePolicy(policy);
    if (input.report) result.report.push({ side, owner, host, dataset, policy: rules, verdicts: j.verdicts });
    if (j.destroy.length === 0) return;
    const caps = state.hosts[host]!.capabilities;
    const draft: DestroyDraft = {
      kind: 'destroy',
      side,
      host,
      dataset,
      snapshots: j.destroy,
      calls: destroyCalls(j.destroy, caps),
      policy: rules,
      reason: `${owner}.retention: ${rules} keeps ${j.keptByPolicy} of ${j.total} zfsync snapshots` +
        (j.protectedCount ? `; ${plural(j.protectedCount, 'more is', 'more are')} protected (see plan --retention)` : ''),
      dependsOn: extra.dependsOn,
    };
    if (extra.pair !== undefined) draft.pair = extra.pair;
    if (extra.source !== undefined) draft.source = extra.source;
    result.drafts.push(draft);
  };

  const linksFrom = new Map<unknown, PairLink[]>();
  for (const l of input.links) {
    const list = linksFrom.get(l.source);
    if (list) list.push(l);
    else linksFrom.set(l.source, [l]);
  }
  const times = new Map<string, number | undefined>();
  for (const source of Object.values(spec.sources)) {
    const policy = source.retention;
    const selected = input.selections.get(source.name);
    if (!policy || !selected) continue;
    if (input.blindSources.has(source.name)) {
      result.notes.push(`sources.${source.name}.retention skipped: a target host of this source could not be read, so the snapshots it still needs are unknown`);
      continue;
    }
    const hs = state.hosts[source.host]!;
    for (const name of selected) {
      const d = hs.datasets.get(name)!;
      const shields = baseProtections(source.host, name, d.snapshots);
      const snap = input.taken.get(source.name);
      const deps: string[] = snap ? [snap.actionId] : [];
      const names = d.snapshots.map((s) => s.name);
      if (snap) names.push(snap.name);
      for (const l of linksFrom.get(d) ?? []) {
        if (l.sourceSpec !== source.name) continue;
        sourceProtections(l, shields);
        for (const a of l.sends) deps.push(a.id);
      }
      run('source', `sources.${source.name}`, policy, source.host, name, names, shields, { source: source.name, dependsOn: deps });
    }
  }

  for (const l of input.links) {
    const policy = spec.targets[l.targetSpec]!.retention;
    if (!policy) continue;
    if (l.conflict) {
      result.notes.push(`targets.${l.targetSpec}.retention skipped ${l.targetName} on ${l.targetHost}: its pair has a conflict to resolve first`);
      continue;
    }
    const shields = baseProtections(l.targetHost, l.targetName, l.target?.snapshots ?? []);
    targetProtections(l, shields);
    const deps = [...(l.rollback ? [l.rollback.id] : []), ...l.sends.map((a) => a.id)];
    run('target', `targets.${l.targetSpec}`, policy, l.targetHost, l.targetName, projectedTarget(l), shields, { pair: l.pair, dependsOn: deps });
  }
  // A pair whose source host could not be read has no links: say why its target is not pruned.
  const down = state.unreachable ?? {};
  for (const pair of spec.replicate) {
    const source = spec.sources[pair.from]!;
    const target = spec.targets[pair.to]!;
    if (!target.retention || down[source.host] === undefined || down[target.host] !== undefined) continue;
    result.notes.push(`targets.${target.name}.retention skipped for ${pair.from} -> ${pair.to}: source host ${source.host} could not be read, so the snapshots the target must keep are unknown`);
  }
  return result;
}
