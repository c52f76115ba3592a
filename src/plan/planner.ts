// The planner: a pure function of (spec, state, now) -> plan. No I/O.
import { targetDatasetFor } from '../spec/mapping.js';
import type { Action, Dataset, HostState, Plan, ReceiveOptions, RollbackAction, SendAction, SendTransport, Spec, State } from '../types.js';
import type { PairLink } from '../retention/links.js';
import { planRetention, type RetentionResult } from '../retention/plan.js';
import { driftSteps } from '../drift/detect.js';
import { orphanNotes } from '../drift/orphans.js';
import { transportFor } from './transport.js';
import { diffPair, newestCommonSnapshot, ref, type PairStep, type PlannedSnapshot } from './replicate.js';
import { compareDatasetNames, receivingDatasets, selectDatasets, SnapshotClaims } from './select.js';
import { snapshotName } from './snapshot-names.js';
import { describeTravel, namedByPair, travelFilter } from './travel.js';
import { snapshotCommands, snapshotDue } from './snapshots.js';
import { summarize } from './summary.js';
import { addRebaseDrafts, planRebase } from '../rebase/plan.js';

export { hasChanges } from './summary.js';

type NewAction = Action extends infer A ? (A extends Action ? Omit<A, 'id'> : never) : never;

class PlanBuilder {
  readonly actions: Action[] = [];
  readonly notes: string[] = [];
  /** `host\0dataset` of placeholder markers an earlier action of this plan clears. */
  private readonly cleared = new Set<string>();
  /** The parent of `name` whose marker an action landing `name` must clear: once per plan (see placeholderParent). */
  markerToClear(ths: HostState, name: string): string | undefined {
    const parent = placeholderParent(ths, name);
    const key = `${ths.host}\0${parent}`;
    if (parent === undefined || this.cleared.has(key)) return undefined;
    this.cleared.add(key);
    return parent;
  }
  add(a: NewAction): string {
    const id = `a${this.actions.length + 1}`;
    this.actions.push({ ...a, id } as Action);
    return id;
  }
}

const parentOf = (name: string): string | undefined => {
  const i = name.lastIndexOf('/');
  return i < 0 ? undefined : name.slice(0, i);
};

function hostState(state: State, host: string): HostState {
  const hs = state.hosts[host];
  if (!hs) throw new Error(`planner: no state for host '${host}'`);
  return hs;
}

export function plan(spec: Spec, state: State, now: Date): Plan {
  return planWithRetention(spec, state, now, false).plan;
}

/** The plan, and what retention decided for every snapshot of every dataset it covers (for `plan --retention`). */
export function planWithRetention(spec: Spec, state: State, now: Date, report = true): { plan: Plan; retention: RetentionResult } {
  const b = new PlanBuilder();
  const links: PairLink[] = [];
  const blindSources = new Set<string>();
  const nowSec = Math.floor(now.getTime() / 1000);

  // Per source: its selection and the snapshot this plan takes (if due).
  const selections = new Map<string, string[]>();
  const taken = new Map<string, { name: string; actionId: string }>();
  const down = state.unreachable ?? {};
  const claims = new SnapshotClaims();
  for (const source of Object.values(spec.sources)) {
    if (down[source.host] !== undefined) {
      b.add(unreachableConflict(down, source.host, source.datasets.join(', ') || `sources.${source.name}`, { source: source.name }));
      continue;
    }
    const hs = hostState(state, source.host);
    const sel = selectDatasets(source, hs, receivingDatasets(spec, source.host));
    selections.set(source.name, sel.datasets);
    b.notes.push(...sel.notes);
    for (const root of sel.missingRoots) {
      b.add({
        kind: 'conflict',
        source: source.name,
        host: source.host,
        dataset: root,
        reason: 'missing source dataset',
        message: `source dataset ${root} does not exist on ${source.host}`,
        resolution: `create it, or fix sources.${source.name}.datasets (nothing is destroyed on any target meanwhile)`,
        dependsOn: [],
      });
    }
    const clash = source.snapshotEvery !== undefined ? claims.claim(source, sel.datasets) : undefined;
    if (clash) {
      b.add({
        kind: 'conflict',
        source: source.name,
        host: source.host,
        dataset: clash.dataset,
        reason: 'selected by two snapshotting sources',
        message: `${clash.dataset} is selected by sources ${clash.by} and ${source.name}, which both take snapshots`,
        resolution: `${source.name} takes no snapshots until only one of them selects it (change ${source.property ?? 'the datasets'} or add an exclude)`,
        dependsOn: [],
      });
      continue;
    }
    const datasets = sel.datasets.map((n) => hs.datasets.get(n)!);
    const due = snapshotDue(source, spec.snapshots.prefix, datasets, nowSec);
    if (!due.due || datasets.length === 0) continue;
    const name = snapshotName(spec.snapshots.prefix, now);
    const { commands, atomic } = snapshotCommands(sel.datasets, hs, hs.capabilities);
    const id = b.add({
      kind: 'snapshot',
      host: source.host,
      source: source.name,
      snapshot: name,
      datasets: sel.datasets,
      commands,
      atomic,
      reason: due.reason,
      dependsOn: [],
    });
    taken.set(source.name, { name, actionId: id });
  }

  // Rebase groups (src/rebase), after the snapshots: `rebase.rebuilding` names the members rebuilt now.
  const rebase = planRebase(spec, state, now);
  addRebaseDrafts(rebase.drafts, (a) => b.add(a as NewAction));
  b.notes.push(...rebase.notes);

  // Per target host: datasets that will exist once earlier actions ran, and which action makes them.
  const providers = new Map<string, Map<string, string>>();
  const providerMap = (host: string) => {
    let m = providers.get(host);
    if (!m) providers.set(host, (m = new Map()));
    return m;
  };

  // Per target host, lazily: how many datasets the state holds below each dataset.
  const belowCounts = new Map<string, Map<string, number>>();
  const datasetsBelow = (host: string, hs: HostState, name: string): number => {
    let m = belowCounts.get(host);
    if (!m) belowCounts.set(host, (m = countBelow(hs)));
    return m.get(name) ?? 0;
  };

  // For orphans: what every pair maps to, per target host, and the targets whose mapping is not all known.
  const mappedTargets = new Map<string, Set<string>>();
  const blindTargets = new Set<string>();
  for (const pair of spec.replicate) {
    const source = spec.sources[pair.from]!;
    const target = spec.targets[pair.to]!;
    const pairName = `${pair.from} -> ${pair.to}`;
    if (!selections.has(source.name)) blindTargets.add(target.name);
    if (down[source.host] !== undefined) continue; // its source's conflict says why
    if (down[target.host] !== undefined) {
      blindSources.add(source.name);
      b.add(unreachableConflict(down, target.host, target.dataset, { pair: pairName }));
      continue;
    }
    const shs = hostState(state, source.host);
    const ths = hostState(state, target.host);
    const made = providerMap(target.host);
    const snap = taken.get(source.name);
    // Between pools of one host the stream goes straight from send to receive; across hosts it has a transport.
    let transport: SendTransport | undefined;
    if (source.host !== target.host) {
      const t = transportFor(pair.transport, shs.capabilities, ths.capabilities);
      transport = t.transport;
      for (const n of t.notes) b.notes.push(`${pairName}: ${n}`);
    }
    const travels = travelFilter(spec.snapshots.prefix, pair);
    const travelText = describeTravel(spec.snapshots.prefix, pair);
    const mapped = (selections.get(source.name) ?? [])
      .map((name) => ({ name, targetName: targetDatasetFor(target, name) }))
      .sort((x, y) => compareDatasetNames(x.targetName, y.targetName));
    let mappedHere = mappedTargets.get(target.host);
    if (!mappedHere) mappedTargets.set(target.host, (mappedHere = new Set()));
    for (const { name, targetName } of mapped) {
      mappedHere.add(targetName);
      const src = shs.datasets.get(name)!;
      const tgt = ths.datasets.get(targetName);
      const snaps: PlannedSnapshot[] = src.snapshots.slice();
      if (snap) snaps.push(plannedFrom(snap.name, src));
      const steps = diffPair({
        sourceName: name,
        sourceSpecName: source.name,
        sourceSnapshots: snaps,
        targetName,
        target: tgt,
        targetBelow: tgt && tgt.snapshots.length === 0 ? datasetsBelow(target.host, ths, targetName) : 0,
        targetSpec: target,
        targetCaps: ths.capabilities,
        travels,
        namedByPair: namedByPair(spec.snapshots.prefix, pair),
        travelText,
        prefix: spec.snapshots.prefix,
      });
      const snapDeps = (to: PlannedSnapshot) => (snap && to.guid === undefined ? [snap.actionId] : []);
      const sendsFull = steps.some((st) => st.kind === 'full');
      const parents = !tgt && sendsFull ? ensureParents(b, made, ths, target.host, targetName, target.receive.readonly, pairName) : [];
      const link: PairLink = { pair: pairName, sourceSpec: source.name, targetSpec: target.name, sourceHost: source.host, source: src, targetHost: target.host, targetName, target: tgt, sends: [], conflict: parents === undefined };
      if (snap) link.planned = snap.name;
      links.push(link);
      if (parents === undefined) continue;
      let prev = parents;
      // Drift is checked only on zfsync's own replicas (a snapshot in common by GUID), and not where the pair is in conflict anyway.
      if (tgt && !steps.some((st) => st.kind === 'conflict') && newestCommonSnapshot(snaps, tgt.snapshots)) {
        for (const d of driftSteps(tgt, targetName, target)) {
          if (d.kind === 'conflict') {
            b.add({ kind: 'conflict', pair: pairName, host: target.host, dataset: targetName, message: d.message, resolution: d.resolution, reason: d.message, dependsOn: [] });
            link.conflict = true;
          } else {
            prev = [b.add({ kind: 'set', pair: pairName, host: target.host, dataset: targetName, properties: d.properties, was: d.was, because: d.because, reason: `drift: ${d.because.join(', ')}`, dependsOn: prev })];
          }
        }
      }
      for (const step of steps) {
        const id = addStep(b, step, { pairName, sourceHost: source.host, source: name, targetHost: target.host, target: targetName, receive: target.receive, caps: ths.capabilities, targetState: ths, transport, deps: prev, snapDeps });
        if (id) prev = [id];
        const added = id ? b.actions[b.actions.length - 1]! : undefined;
        if (added?.kind === 'send') link.sends.push(added);
        else if (added?.kind === 'rollback') link.rollback = added as RollbackAction;
        else if (added?.kind === 'conflict') link.conflict = true;
        // A full send makes the dataset its children's sends land in.
        if (id && step.kind === 'full' && !tgt) made.set(targetName, id);
      }
    }
  }

  // After every pair: retention sees each dataset's sends, and its destroys wait for them.
  const retention = planRetention({ spec, state, selections, links, blindSources, taken, report });
  for (const d of retention.drafts) b.add(d);
  b.notes.push(...retention.notes);
  const selected = new Map<string, Set<string>>();
  for (const [name, datasets] of selections) {
    const host = spec.sources[name]!.host;
    let set = selected.get(host);
    if (!set) selected.set(host, (set = new Set()));
    for (const d of datasets) set.add(d);
  }
  b.notes.push(...orphanNotes({ spec, hosts: state.hosts, mapped: mappedTargets, blind: blindTargets, selected }));
  return { plan: { actions: b.actions, notes: b.notes, summary: summarize(b.actions) }, retention };
}

function countBelow(hs: HostState): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of hs.datasets.keys()) {
    for (let p = parentOf(name); p !== undefined; p = parentOf(p)) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return counts;
}

function unreachableConflict(down: Record<string, string>, host: string, dataset: string, owner: { source: string } | { pair: string }): NewAction {
  return {
    kind: 'conflict',
    ...owner,
    host,
    dataset,
    reason: 'host unreachable',
    message: down[host]!,
    resolution: `nothing is done on ${host} or for what depends on it; fix the connection (hosts.${host}.ssh) and run again`,
    dependsOn: [],
  };
}

function plannedFrom(name: string, src: Dataset): PlannedSnapshot {
  const s: PlannedSnapshot = { name };
  if (src.referenced !== undefined) s.referenced = src.referenced;
  if (src.written !== undefined) s.written = src.written;
  return s;
}

/**
 * Plans `+ create` for every missing ancestor of `target` (mkdir -p style, top down) and returns
 * the ids the receive must wait for; undefined (and a conflict, once per pool) when the pool
 * itself does not exist: zfsync creates datasets, never pools.
 */
function ensureParents(b: PlanBuilder, made: Map<string, string>, ths: HostState, host: string, target: string, readonly: boolean, pair: string): string[] | undefined {
  const poolMissing = (pool: string): undefined => {
    const key = `\0pool ${pool}`; // NUL never occurs in a dataset name
    if (!made.has(key)) {
      made.set(key, b.add({
        kind: 'conflict', pair, host, dataset: pool, reason: 'pool missing',
        message: `pool ${pool} does not exist on ${host}`,
        resolution: `create the pool on ${host} (zfsync creates datasets, never pools), or fix the target's dataset`,
        dependsOn: [],
      }));
    }
    return undefined;
  };
  if (parentOf(target) === undefined) return poolMissing(target);
  const missing: string[] = [];
  let deps: string[] = [];
  for (let p = parentOf(target); p !== undefined && !ths.datasets.has(p); p = parentOf(p)) {
    const id = made.get(p);
    if (id) {
      deps = [id];
      break;
    }
    if (parentOf(p) === undefined) return poolMissing(p);
    missing.push(p);
  }
  for (const p of missing.reverse()) {
    const properties: Record<string, string> = { canmount: 'off' };
    if (readonly) properties.readonly = 'on';
    const a: NewAction = { kind: 'create', host, dataset: p, pair, properties, reason: 'missing parent; mountpoint and encryption inherited', dependsOn: deps };
    const marked = b.markerToClear(ths, p);
    if (marked) a.clearsMarker = marked;
    const id = b.add(a);
    made.set(p, id);
    deps = [id];
  }
  return deps;
}

/** The parent of `name` when it is an empty placeholder (marked by an earlier zfsync): what lands below ends that. */
function placeholderParent(ths: HostState, name: string): string | undefined {
  const parent = parentOf(name);
  return parent !== undefined && ths.datasets.get(parent)?.placeholder ? parent : undefined;
}

interface StepContext {
  pairName: string;
  sourceHost: string;
  source: string;
  targetHost: string;
  target: string;
  receive: { readonly: boolean; mount: boolean };
  caps: HostState['capabilities'];
  targetState: HostState;
  transport: SendTransport | undefined;
  deps: string[];
  snapDeps: (to: PlannedSnapshot) => string[];
}

/** Adds the action for one step and returns its id (none for notes). */
function addStep(b: PlanBuilder, step: PairStep, c: StepContext): string | undefined {
  switch (step.kind) {
    case 'note':
      b.notes.push(step.text);
      return undefined;
    case 'conflict':
      return b.add({ kind: 'conflict', pair: c.pairName, host: c.targetHost, dataset: c.target, message: step.message, resolution: step.resolution, reason: step.message, dependsOn: [] });
    case 'rollback': {
      const a: NewAction = { kind: 'rollback', pair: c.pairName, host: c.targetHost, dataset: c.target, to: step.to, destroys: step.destroys, reason: step.reason, dependsOn: c.deps };
      if (step.discardsBytes !== undefined) a.discardsBytes = step.discardsBytes;
      return b.add(a);
    }
    case 'full':
    case 'incremental': {
      const receive: ReceiveOptions = { readonly: c.receive.readonly, mount: c.receive.mount, force: step.kind === 'incremental' && step.force };
      if (step.kind === 'full') {
        const legacy = !c.caps.receiveProperties || (!c.receive.mount && !c.caps.receiveNoMount);
        if (step.placeholder) receive.placeholder = step.placeholder;
        else if (legacy) receive.placeholder = 'create';
      }
      const a: Omit<SendAction, 'id'> = {
        kind: 'send',
        pair: c.pairName,
        mode: step.kind,
        source: { host: c.sourceHost, dataset: c.source },
        target: { host: c.targetHost, dataset: c.target },
        to: ref(step.to),
        intermediates: step.kind === 'incremental' && step.intermediates,
        snapshotCount: step.kind === 'incremental' ? step.count : 1,
        receive,
        reason: step.reason,
        dependsOn: [...c.deps, ...c.snapDeps(step.to)],
      };
      if (step.kind === 'incremental') a.from = step.from;
      const marked = step.kind === 'full' ? b.markerToClear(c.targetState, c.target) : undefined;
      if (marked) a.clearsMarker = marked;
      if (step.bytes !== undefined) a.bytes = step.bytes;
      if (c.transport) a.transport = c.transport;
      return b.add(a);
    }
  }
}
