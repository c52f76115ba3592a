// The planner: a pure function of (spec, state, now) -> plan. No I/O.
import { targetDatasetFor } from '../spec/mapping.js';
import type { Action, Dataset, HostState, Plan, ReceiveOptions, RollbackAction, SendAction, SendFlags, SendTransport, Spec, State, TargetSpec } from '../types.js';
import type { PairLink } from '../retention/links.js';
import { planRetention, type RetentionResult } from '../retention/plan.js';
import { driftSteps } from '../drift/detect.js';
import { orphanNotes } from '../drift/orphans.js';
import { transportFor } from './transport.js';
import { planProtection } from './protect.js';
import { decideSendFlags, stepsWithFlags } from './send-flags.js';
import { diffPair, newestCommonSnapshot, ref, type PairStep, type PlannedSnapshot } from './replicate.js';
import { abortAction, resumeAction, type StreamContext } from './resume.js';
import { compareDatasetNames, receivingDatasets, selectDatasets, SnapshotClaims } from './select.js';
import { snapshotName } from './snapshot-names.js';
import { describeTravel, namedByPair, travelFilter } from './travel.js';
import { snapshotCommands, snapshotDue } from './snapshots.js';
import { summarize } from './summary.js';
import { cloneRanks, neededOrigins, originOf, rebaseOriginals, rebasedBy } from './clones.js';
import { plural } from './format.js';
import { addRebaseDrafts, planRebase } from '../rebase/plan.js';
import { isTempName } from '../rebase/names.js';

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
    const temporary = sel.datasets.filter((d) => isTempName(d, spec.snapshots.prefix));
    if (temporary.length > 0) {
      sel.datasets = sel.datasets.filter((d) => !isTempName(d, spec.snapshots.prefix));
      b.notes.push(`sources.${source.name}: skips ${plural(temporary.length, 'temporary dataset')} of an unfinished rebase (${temporary.slice(0, 3).join(', ')}${temporary.length > 3 ? ', ...' : ''})`);
    }
    const originals = rebaseOriginals(sel.datasets, source.datasets, source.host, hs, spec.rebase);
    if (originals.size > 0) {
      sel.datasets = sel.datasets.filter((d) => !originals.has(d));
      b.notes.push(`sources.${source.name}: skips ${plural(originals.size, 'dataset')} a rebase kept under its suffix (${[...originals].slice(0, 3).join(', ')}${originals.size > 3 ? ', ...' : ''}): the originals of rebuilt members; name one in datasets to replicate it`);
    }
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
  // A rebuild renames datasets a `zfs snapshot -r` of this plan may cover: it waits for the host's snapshots.
  const snapshotsOn = (host: string) => b.actions.filter((a) => a.kind === 'snapshot' && a.host === host).map((a) => a.id);
  addRebaseDrafts(rebase.drafts, (a) => b.add({ ...a, dependsOn: [...snapshotsOn(a.host), ...a.dependsOn] } as NewAction));
  b.notes.push(...rebase.notes);

  // Per target host: datasets that will exist once earlier actions ran, and which action makes them.
  const providers = new Map<string, Map<string, string>>();
  const providerMap = (host: string) => {
    let m = providers.get(host);
    if (!m) providers.set(host, (m = new Map()));
    return m;
  };

  // Per target host: `dataset@snap` of origin snapshots this plan lands there -> the send that does.
  const originsSent = new Map<string, string>();

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
    const selected = selections.get(source.name) ?? [];
    const ranks = cloneRanks(selected, shs);
    const needs = neededOrigins(selected, shs);
    const inSelection = new Set(selected);
    const mapped = selected
      .map((name) => ({ name, targetName: targetDatasetFor(target, name), rank: ranks.get(name) ?? 0 }))
      .sort((x, y) => x.rank - y.rank || compareDatasetNames(x.targetName, y.targetName));
    let mappedHere = mappedTargets.get(target.host);
    if (!mappedHere) mappedTargets.set(target.host, (mappedHere = new Set()));
    for (const { name, targetName } of mapped) {
      mappedHere.add(targetName);
      // Its snapshots and name change under this plan's rebuild: replicated from the next plan on.
      if (rebase.rebuilding.get(source.host)?.has(name)) {
        b.notes.push(`${pairName}: ${name} is rebuilt by a rebase group in this plan; it is replicated from the next plan on`);
        continue;
      }
      const src = shs.datasets.get(name)!;
      const tgt = ths.datasets.get(targetName);
      const snaps: PlannedSnapshot[] = src.snapshots.slice();
      if (snap) snaps.push(plannedFrom(snap.name, src));
      const clone = cloneSource(src, shs, inSelection, target.host, targetDatasetFor(target, originOf(src, shs)?.dataset ?? name), ths, originsSent);
      if (clone.note) b.notes.push(`${pairName}: ${clone.note}`);
      const group = rebasedBy(src, source.host, spec.rebase);
      const planned = diffPair({
        sourceName: name,
        sourceSpecName: source.name,
        sourceSnapshots: snaps,
        ...(src.bookmarks ? { sourceBookmarks: src.bookmarks } : {}),
        targetName,
        target: tgt,
        targetBelow: tgt && tgt.snapshots.length === 0 ? datasetsBelow(target.host, ths, targetName) : 0,
        targetSpec: target,
        targetCaps: ths.capabilities,
        travels,
        namedByPair: namedByPair(spec.snapshots.prefix, pair),
        travelText,
        prefix: spec.snapshots.prefix,
        ...(clone.from ? { cloneOf: clone.from } : {}),
        ...(needs.has(name) ? { mustArrive: needs.get(name)! } : {}),
        ...(group ? { rebased: { group: group.name, suffix: group.suffix, asideTaken: ths.datasets.has(targetName + group.suffix) } } : {}),
        sourceCaps: shs.capabilities,
      });
      const flagged = decideSendFlags({ pairKey: `replicate[${spec.replicate.indexOf(pair)}]`, spec: pair.send, sourceHost: source.host, targetHost: target.host, sourceCaps: shs.capabilities, targetCaps: ths.capabilities, source: src, targetName, target: tgt, steps: planned });
      const steps = stepsWithFlags(planned, flagged);
      const flags = 'flags' in flagged ? flagged.flags : undefined;
      const snapDeps = (to: PlannedSnapshot) => (snap && to.guid === undefined ? [snap.actionId] : []);
      const sendsFull = steps.some((st) => st.kind === 'full' || st.kind === 'clone');
      const parents = !tgt && sendsFull ? ensureParents(b, made, ths, target.host, targetName, target.receive.readonly, pairName) : [];
      const movedAside = steps.some((st) => st.kind === 'aside');
      const link: PairLink = { pair: pairName, sourceSpec: source.name, targetSpec: target.name, sourceHost: source.host, source: src, targetHost: target.host, targetName, target: movedAside ? undefined : tgt, sends: [], conflict: parents === undefined };
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
        const deps = step.kind === 'clone' && clone.provider ? [...prev, clone.provider] : prev;
        const id = addStep(b, step, { pairName, sourceHost: source.host, source: name, targetHost: target.host, target: targetName, receive: target.receive, caps: ths.capabilities, sourceCaps: shs.capabilities, targetState: ths, transport, flags, deps, snapDeps });
        if (id) prev = [id];
        const added = id ? b.actions[b.actions.length - 1]! : undefined;
        if (added?.kind === 'send' || added?.kind === 'resume') link.sends.push(added);
        else if (added?.kind === 'rollback') link.rollback = added as RollbackAction;
        else if (added?.kind === 'conflict') link.conflict = true;
        // A full send makes the dataset its children's sends land in.
        if (id && (step.kind === 'full' || step.kind === 'clone') && (!tgt || movedAside)) made.set(targetName, id);
        if (added?.kind === 'send' && needs.has(name)) recordOrigins(originsSent, target.host, targetName, needs.get(name)!, landed(step, snaps), added.id);
      }
    }
  }

  // After every pair: each pair's base is held where it will be (plan/protect.ts), then retention
  // sees each dataset's sends, and its destroys wait for them.
  const sources = [...selections].map(([name, datasets]) => ({ host: spec.sources[name]!.host, datasets }));
  const protection = planProtection({ state, links, sources, add: (d) => b.add(d) });
  b.notes.push(...protection.notes);
  const retention = planRetention({ spec, state, selections, links, blindSources, taken, report, holdOwners: protection.owners });
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
  receive: TargetSpec['receive'];
  caps: HostState['capabilities'];
  flags: SendFlags | undefined;
  sourceCaps: HostState['capabilities'];
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
    case 'resume':
    case 'abort': {
      const sc: StreamContext = { pair: c.pairName, source: { host: c.sourceHost, dataset: c.source }, target: { host: c.targetHost, dataset: c.target }, receive: { ...c.receive, force: false }, transport: c.transport, deps: c.deps };
      return b.add(step.kind === 'resume' ? resumeAction(step, sc) : abortAction(step, sc));
    }
    case 'rollback': {
      const a: NewAction = { kind: 'rollback', pair: c.pairName, host: c.targetHost, dataset: c.target, to: step.to, destroys: step.destroys, reason: step.reason, dependsOn: c.deps };
      if (step.discardsBytes !== undefined) a.discardsBytes = step.discardsBytes;
      return b.add(a);
    }
    case 'aside':
      return b.add({ kind: 'rename', pair: c.pairName, host: c.targetHost, dataset: c.target, to: step.to, reason: step.reason, dependsOn: c.deps });
    case 'clone': {
      // Received into a new name, like a full stream (never into a placeholder: the stream creates the clone).
      const receive: ReceiveOptions = { readonly: c.receive.readonly, mount: c.receive.mount, force: false };
      if (Object.keys(c.receive.properties).length) receive.properties = { ...c.receive.properties };
      if (c.receive.excludeProperties.length) receive.exclude = [...c.receive.excludeProperties];
      if (c.caps.resumable && c.sourceCaps.resumable) receive.resumable = true;
      const a: Omit<SendAction, 'id'> = {
        kind: 'send',
        pair: c.pairName,
        mode: 'clone',
        source: { host: c.sourceHost, dataset: c.source },
        target: { host: c.targetHost, dataset: c.target },
        from: step.from,
        origin: step.origin,
        to: ref(step.to),
        intermediates: false,
        snapshotCount: 1,
        receive,
        reason: step.reason,
        dependsOn: [...c.deps, ...c.snapDeps(step.to)],
      };
      const marked = b.markerToClear(c.targetState, c.target);
      if (marked) a.clearsMarker = marked;
      if (step.bytes !== undefined) a.bytes = step.bytes;
      if (c.transport) a.transport = c.transport;
      if (c.flags) a.flags = c.flags;
      return b.add(a);
    }
    case 'full':
    case 'incremental': {
      const receive: ReceiveOptions = { readonly: c.receive.readonly, mount: c.receive.mount, force: step.kind === 'incremental' && step.force };
      if (Object.keys(c.receive.properties).length) receive.properties = { ...c.receive.properties };
      if (c.receive.excludeProperties.length) receive.exclude = [...c.receive.excludeProperties];
      if (c.caps.resumable && c.sourceCaps.resumable) receive.resumable = true;
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
      if (c.flags) a.flags = c.flags;
      return b.add(a);
    }
  }
}

/**
 * Whether a clone's first send can start from its origin: the origin is replicated by the same
 * pair and its snapshot is on the target (by GUID) or lands there earlier in this plan.
 */
function cloneSource(src: Dataset, shs: HostState, selected: ReadonlySet<string>, targetHost: string, originTarget: string, ths: HostState, sent: ReadonlyMap<string, string>): { from?: { dataset: string; snapshot: PlannedSnapshot }; provider?: string; note?: string } {
  const o = originOf(src, shs);
  if (!o) return {};
  if (!selected.has(o.dataset)) return { note: `${src.name} is a clone of ${o.dataset}@${o.snapshot.name}, which this pair does not replicate: its first send is a full stream` };
  const from = { dataset: o.dataset, snapshot: o.snapshot as PlannedSnapshot };
  if (ths.datasets.get(originTarget)?.snapshots.some((s) => s.guid === o.snapshot.guid)) return { from };
  const provider = sent.get(`${targetHost}\0${originTarget}@${o.snapshot.name}`);
  return provider ? { from, provider } : { note: `${src.name} is a clone of ${o.dataset}@${o.snapshot.name}, which is not on the target and is not sent by this plan: its first send is a full stream` };
}

/** The snapshot names a step lands on the target. */
function landed(step: PairStep, snaps: readonly PlannedSnapshot[]): string[] {
  if (step.kind === 'full' || step.kind === 'clone') return [step.to.name];
  if (step.kind !== 'incremental') return [];
  if (!step.intermediates) return [step.to.name];
  const from = snaps.findIndex((s) => s.name === step.from.name);
  const to = snaps.indexOf(step.to);
  return from >= 0 && to > from ? snaps.slice(from + 1, to + 1).map((s) => s.name) : [step.to.name];
}

function recordOrigins(into: Map<string, string>, host: string, target: string, needed: ReadonlySet<string>, names: readonly string[], id: string): void {
  for (const n of names) if (needed.has(n)) into.set(`${host}\0${target}@${n}`, id);
}
