// When a source is due for a snapshot, and how to take it as atomically as the host allows.
import type { Capabilities, Dataset, HostState, SnapshotCommand, SourceSpec } from '../types.js';
import { ownSnapshotTime } from './snapshot-names.js';

export interface DueCheck {
  due: boolean;
  reason: string;
}

function ago(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

/** A source is due when any selected dataset's newest own snapshot is at least `snapshot_every` old. */
export function snapshotDue(source: SourceSpec, prefix: string, datasets: readonly Dataset[], nowSec: number): DueCheck {
  const every = source.snapshotEvery;
  if (every === undefined) return { due: false, reason: 'snapshot_every is not set' };
  let oldestNewest: { dataset: string; age: number } | undefined;
  for (const d of datasets) {
    let newest: number | undefined;
    for (let i = d.snapshots.length - 1; i >= 0; i--) {
      const s = d.snapshots[i]!;
      const t = ownSnapshotTime(prefix, s.name);
      if (t !== undefined) {
        newest = t;
        break;
      }
    }
    if (newest === undefined) {
      return { due: true, reason: `${d.name} has no ${prefix}_ snapshot yet` };
    }
    const age = nowSec - newest;
    if (!oldestNewest || age > oldestNewest.age) oldestNewest = { dataset: d.name, age };
  }
  if (!oldestNewest) return { due: false, reason: 'no datasets selected' };
  if (oldestNewest.age >= every) {
    return { due: true, reason: `newest ${prefix}_ snapshot of ${oldestNewest.dataset} is ${ago(oldestNewest.age)} old; snapshot_every is ${ago(every)}` };
  }
  return { due: false, reason: `newest snapshots are younger than ${ago(every)}` };
}

const poolOf = (name: string) => name.split('/')[0]!;

/** `a/b/c` -> [`a`, `a/b`]. */
function ancestors(name: string): string[] {
  const out: string[] = [];
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) out.push(name.slice(0, i));
  return out;
}

/**
 * Groups the snapshot into zfs calls. A root whose whole subtree is selected takes `-r`;
 * OpenZFS takes several names in one call (atomic within a pool); older ZFS takes one call
 * per dataset otherwise, which is not atomic.
 */
export function snapshotCommands(selected: readonly string[], host: HostState, caps: Capabilities): { commands: SnapshotCommand[]; atomic: boolean } {
  const chosen = new Set(selected);
  // A dataset's subtree is whole when no dataset under it is left out.
  const notWhole = new Set<string>();
  const hasChildren = new Set<string>();
  for (const name of host.datasets.keys()) {
    const parents = ancestors(name);
    if (parents.length) hasChildren.add(parents[parents.length - 1]!);
    if (!chosen.has(name)) for (const a of parents) notWhole.add(a);
  }
  const wholeRoots: string[] = [];
  const wholeSet = new Set<string>();
  const singles: string[] = [];
  for (const name of selected) {
    if (ancestors(name).some((a) => wholeSet.has(a))) continue;
    if (hasChildren.has(name) && !notWhole.has(name)) {
      wholeRoots.push(name);
      wholeSet.add(name);
    } else {
      singles.push(name);
    }
  }
  const pools = new Map<string, { roots: string[]; singles: string[] }>();
  const bucket = (name: string) => {
    let b = pools.get(poolOf(name));
    if (!b) pools.set(poolOf(name), (b = { roots: [], singles: [] }));
    return b;
  };
  for (const r of wholeRoots) bucket(r).roots.push(r);
  for (const s of singles) bucket(s).singles.push(s);

  const commands: SnapshotCommand[] = [];
  let atomic = true;
  for (const [pool, { roots, singles: ones }] of pools) {
    if (roots.length === 1 && ones.length === 0) {
      commands.push({ recursive: true, datasets: roots });
    } else if (caps.multiSnapshot) {
      commands.push({ recursive: false, datasets: selected.filter((n) => poolOf(n) === pool) });
    } else {
      for (const r of roots) commands.push({ recursive: true, datasets: [r] });
      for (const s of ones) commands.push({ recursive: false, datasets: [s] });
      if (roots.length + ones.length > 1) atomic = false;
    }
  }
  return { commands, atomic };
}
