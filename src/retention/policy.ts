// What a retention policy keeps, restic/borg style: the newest `last` snapshots, and for each
// period rule with count N the newest snapshot of each of the N most recent periods that hold a
// snapshot (periods without one are skipped, not counted), going back from the newest snapshot.
import type { RetentionSpec } from '../types.js';
import { bucketOf, RULES, type Rule } from './buckets.js';

export interface Stamped {
  name: string;
  /** Unix seconds, from the snapshot's name. */
  time: number;
}

/** name -> the rules (`daily:7`) that keep it; a name absent from the map is not kept. */
export function keptByPolicy(policy: RetentionSpec, snaps: readonly Stamped[]): Map<string, string[]> {
  const newestFirst = [...snaps];
  // Usually already oldest first (names follow creation): reversing is enough.
  let ascending = true;
  for (let i = 1; i < snaps.length && ascending; i++) ascending = snaps[i - 1]!.time < snaps[i]!.time;
  if (ascending) newestFirst.reverse();
  else newestFirst.sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  const kept = new Map<string, string[]>();
  const keep = (name: string, rule: Rule) => {
    const label = `${rule}:${policy[rule]}`;
    const list = kept.get(name);
    if (list) list.push(label);
    else kept.set(name, [label]);
  };
  for (const rule of RULES) {
    let left = policy[rule] ?? 0;
    if (left <= 0) continue;
    if (rule === 'last') {
      for (const s of newestFirst.slice(0, left)) keep(s.name, rule);
      continue;
    }
    const bucket = bucketOf[rule];
    let previous: number | undefined;
    for (const s of newestFirst) {
      if (left === 0) break;
      const b = bucket(s.time);
      if (b === previous) continue;
      previous = b;
      keep(s.name, rule);
      left--;
    }
  }
  return kept;
}
