// Fingerprints of the state a plan was computed from: a saved plan is applied only if every
// dataset it looked at (present or absent) and every source's selection still read the same.
import { createHash } from 'node:crypto';
import type { Dataset, Spec, State } from '../types.js';
import { receivingDatasets, selectDatasets } from '../plan/select.js';
import { targetDatasetFor } from '../spec/mapping.js';
import { resolveMembers } from '../rebase/members.js';
import { tempName } from '../rebase/names.js';

export type Fingerprints = Record<string, Record<string, string>>;

/** Key of a source's selection (the datasets it selects, in order) among a host's fingerprints. */
const SELECTION = 'selection of source ';

export function datasetFingerprint(d: Dataset | undefined): string {
  if (!d) return 'absent';
  let text = `${d.guid}|${d.placeholder ? 'p' : ''}|${d.resumeToken ?? ''}`;
  for (const s of d.snapshots) text += `|${s.name}:${s.guid}`;
  // The drift properties only where read, so that fingerprints of states without them stay as they were.
  if (d.readonly !== undefined || d.canmount !== undefined || d.mounted !== undefined) text += `|${d.readonly}:${d.canmount}:${d.mounted}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

const ancestors = (name: string): string[] => {
  const out: string[] = [];
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) out.push(name.slice(0, i));
  return out;
};

/** Every dataset the planner reads for this spec, by host: selected sources, their targets and the targets' ancestors. */
function involvedDatasets(spec: Spec, selections: Map<string, { datasets: string[]; missingRoots: string[] }>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (host: string, name: string) => {
    let set = out.get(host);
    if (!set) out.set(host, (set = new Set()));
    set.add(name);
  };
  for (const source of Object.values(spec.sources)) {
    const sel = selections.get(source.name);
    if (sel) for (const d of [...sel.datasets, ...sel.missingRoots]) add(source.host, d);
  }
  for (const pair of spec.replicate) {
    const target = spec.targets[pair.to];
    if (!target) continue;
    for (const d of selections.get(pair.from)?.datasets ?? []) {
      const t = targetDatasetFor(target, d);
      add(target.host, t);
      for (const a of ancestors(t)) add(target.host, a);
    }
  }
  return out;
}

/** A rebase group's members (and what their rebuild names), its base: a member that changed since the plan stops a saved plan. */
function rebaseDatasets(spec: Spec, state: State): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of Object.values(spec.rebase)) {
    const hs = state.hosts[g.host];
    if (!hs) continue;
    const prefix = spec.snapshots.prefix;
    const names = resolveMembers(g, hs, prefix).flatMap((m) => [m, m + g.suffix, ...(['new', 'src', 'seed'] as const).map((r) => tempName(m, prefix, r))]);
    out.set(g.host, [...(out.get(g.host) ?? []), g.base.dataset, ...names]);
  }
  return out;
}

export function fingerprints(spec: Spec, state: State): Fingerprints {
  const selections = new Map<string, { datasets: string[]; missingRoots: string[] }>();
  for (const source of Object.values(spec.sources)) {
    const hs = state.hosts[source.host];
    if (hs) selections.set(source.name, selectDatasets(source, hs, receivingDatasets(spec, source.host)));
  }
  const out: Fingerprints = {};
  const involved = involvedDatasets(spec, selections);
  for (const [host, names] of rebaseDatasets(spec, state)) {
    const set = involved.get(host) ?? new Set<string>();
    for (const n of names) set.add(n);
    involved.set(host, set);
  }
  for (const [host, names] of involved) {
    const hs = state.hosts[host];
    if (!hs) continue; // unreachable: what needs it is a conflict in the plan
    const fp: Record<string, string> = {};
    for (const n of [...names].sort()) fp[n] = datasetFingerprint(hs.datasets.get(n));
    out[host] = fp;
  }
  for (const source of Object.values(spec.sources)) {
    const sel = selections.get(source.name);
    if (!sel) continue;
    (out[source.host] ??= {})[`${SELECTION}${source.name}`] = createHash('sha256').update(sel.datasets.join('\n')).digest('hex').slice(0, 16);
  }
  return out;
}

/**
 * What moved between a saved plan's fingerprints and the state now, one `host:dataset (how)`
 * per dataset. A source's selection is named only when no dataset tells the change already.
 */
export function describeChangedFingerprints(saved: Fingerprints, now: Fingerprints): string[] {
  const datasets: string[] = [];
  const selections: string[] = [];
  for (const key of changedFingerprints(saved, now)) {
    const colon = key.indexOf(':');
    const host = key.slice(0, colon);
    const name = key.slice(colon + 1);
    const before = saved[host]?.[name];
    const after = now[host]?.[name];
    if (name.startsWith(SELECTION)) {
      selections.push(`source ${name.slice(SELECTION.length)} on ${host} selects other datasets`);
      continue;
    }
    const how = before === undefined ? 'not looked at by the plan'
      : after === undefined ? 'no longer looked at'
      : before === 'absent' ? 'appeared'
      : after === 'absent' ? 'disappeared'
      : 'its snapshots, guid or receive state changed';
    datasets.push(`${key} (${how})`);
  }
  return datasets.length > 0 ? datasets : selections;
}

/** Keys whose fingerprint differs between a saved plan and the state now. */
export function changedFingerprints(saved: Fingerprints, now: Fingerprints): string[] {
  const changed: string[] = [];
  const hosts = new Set([...Object.keys(saved), ...Object.keys(now)]);
  for (const host of hosts) {
    const a = saved[host] ?? {};
    const b = now[host] ?? {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (a[key] !== b[key]) changed.push(`${host}:${key}`);
    }
  }
  return changed.sort();
}

