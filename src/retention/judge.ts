// One dataset's retention: which of zfsync's snapshots its policy keeps, which a never-delete
// rule protects, and which are left to destroy. Other snapshots are never looked at.
import { ownSnapshotTime } from '../plan/snapshot-names.js';
import type { RetentionSpec } from '../types.js';
import { keptByPolicy, type Stamped } from './policy.js';

/** Why a snapshot is kept although its policy drops it, strongest first. */
export type Protection = 'held' | `held by zfsync for ${string}` | 'origin of a clone' | 'newest common snapshot' | 'needed by a send of this plan';

export interface Verdict {
  name: string;
  /** `keep` names the rules or the protection that keeps it. */
  keep: boolean;
  why: string;
}

export interface Judgement {
  /** Every zfsync snapshot, oldest first (left empty unless asked for: plans need only `destroy`). */
  verdicts: Verdict[];
  /** How many zfsync snapshots there are. */
  total: number;
  /** The ones to destroy, oldest first. */
  destroy: string[];
  keptByPolicy: number;
  protectedCount: number;
}

/** `snapshots`: short names, oldest first (the state's and, on a target, the ones this plan's sends bring). */
export function judge(
  prefix: string,
  policy: RetentionSpec,
  snapshots: readonly string[],
  protections: ReadonlyMap<string, Protection>,
  /** Times by name, shared across datasets: `zfs snapshot -r` gives thousands of them the same names. */
  times = new Map<string, number | undefined>(),
  withVerdicts = true,
): Judgement {
  const own: Stamped[] = [];
  for (const name of snapshots) {
    let time = times.get(name);
    if (time === undefined && !times.has(name)) times.set(name, (time = ownSnapshotTime(prefix, name)));
    if (time !== undefined) own.push({ name, time });
  }
  const kept = keptByPolicy(policy, own);
  const out: Judgement = { verdicts: [], total: own.length, destroy: [], keptByPolicy: 0, protectedCount: 0 };
  const verdict = (v: Verdict) => withVerdicts && out.verdicts.push(v);
  for (const { name } of own) {
    const rules = kept.get(name);
    const shield = protections.get(name);
    if (rules) {
      out.keptByPolicy++;
      if (withVerdicts) verdict({ name, keep: true, why: rules.join(', ') });
    } else if (shield) {
      out.protectedCount++;
      verdict({ name, keep: true, why: shield });
    } else {
      out.destroy.push(name);
      verdict({ name, keep: false, why: '' });
    }
  }
  return out;
}

const STRENGTH: Record<string, number> = { held: 0, 'origin of a clone': 1, 'newest common snapshot': 2, 'needed by a send of this plan': 3 };
const strength = (p: Protection): number => (p.startsWith('held') ? 0 : STRENGTH[p]!);

/** Records a protection, keeping the strongest reason where several apply. */
export function protect(map: Map<string, Protection>, name: string | undefined, why: Protection): void {
  if (name === undefined) return;
  const had = map.get(name);
  if (had === undefined || strength(why) < strength(had)) map.set(name, why);
}
