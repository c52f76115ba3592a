// What retention needs to know about one replicated dataset pair, gathered by the planner
// after it planned the pair: the state on both sides and the actions planned for it.
import type { Dataset, RollbackAction, StreamAction } from '../types.js';
import type { Protection } from './judge.js';
import { protect } from './judge.js';

export interface PairLink {
  /** `from -> to`. */
  pair: string;
  sourceSpec: string;
  targetSpec: string;
  sourceHost: string;
  source: Dataset;
  targetHost: string;
  targetName: string;
  target: Dataset | undefined;
  /** The snapshot this plan takes on the source, if any. */
  planned?: string;
  /** Sends and resumes, in plan order. */
  sends: StreamAction[];
  rollback?: RollbackAction;
  /** The pair planned a conflict for this dataset: its target is left alone. */
  conflict: boolean;
}

const commonOf = new WeakMap<PairLink, string | undefined>();

/** The newest common snapshot of a link, found once per link (both sides ask). */
function linkCommon(l: PairLink): string | undefined {
  if (!commonOf.has(l)) commonOf.set(l, newestCommon(l.source, l.target));
  return commonOf.get(l);
}

/** The newest target snapshot whose GUID the source also has. */
export function newestCommon(src: Dataset, tgt: Dataset | undefined): string | undefined {
  if (!tgt) return undefined;
  const guids = new Set(src.snapshots.map((s) => s.guid));
  for (let i = tgt.snapshots.length - 1; i >= 0; i--) {
    if (guids.has(tgt.snapshots[i]!.guid)) return tgt.snapshots[i]!.name;
  }
  return undefined;
}

/** Source snapshot names, oldest first, with the one this plan takes last. */
function sourceNames(l: PairLink): string[] {
  const names = l.source.snapshots.map((s) => s.name);
  if (l.planned !== undefined) names.push(l.planned);
  return names;
}

/** The snapshots a send lands on the target, oldest first. */
export function sentNames(l: PairLink, a: StreamAction, names = sourceNames(l)): string[] {
  if (a.kind === 'resume' || a.mode !== 'incremental' || !a.from || !a.intermediates) return [a.to.name];
  const from = names.indexOf(a.from.name);
  const to = names.lastIndexOf(a.to.name);
  return from >= 0 && to > from ? names.slice(from + 1, to + 1) : [a.to.name];
}

/** What the source must keep for this pair: the common base now, and every snapshot a send reads. */
export function sourceProtections(l: PairLink, into: Map<string, Protection>): void {
  protect(into, linkCommon(l), 'newest common snapshot');
  const names = sourceNames(l);
  for (const a of l.sends) {
    protect(into, a.from?.name, 'needed by a send of this plan');
    for (const n of sentNames(l, a, names)) protect(into, n, 'needed by a send of this plan');
  }
}

/** The target's snapshots once this plan's rollback and sends ran, oldest first. */
export function projectedTarget(l: PairLink): string[] {
  const dropped = new Set(l.rollback?.destroys ?? []);
  const names = (l.target?.snapshots ?? []).map((s) => s.name).filter((n) => !dropped.has(n));
  const present = new Set(names);
  const all = sourceNames(l);
  for (const a of l.sends) {
    for (const n of sentNames(l, a, all)) {
      if (!present.has(n)) {
        present.add(n);
        names.push(n);
      }
    }
  }
  return names;
}

/** What the target must keep: the common base now and the one after this plan's last send. */
export function targetProtections(l: PairLink, into: Map<string, Protection>): void {
  protect(into, linkCommon(l), 'newest common snapshot');
  const last = l.sends[l.sends.length - 1];
  if (last) protect(into, last.to.name, 'newest common snapshot');
}
