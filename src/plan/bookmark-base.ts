// An incremental from a bookmark: when the target's newest snapshot in common with the source
// is gone on the source (pruned) but a source bookmark has its GUID, `send -i ds#bm ds@newest`
// still works (`-I` takes no bookmark, so only the newest snapshot arrives).
import type { Bookmark, Dataset, SnapRef } from '../types.js';
import { formatBytes, listSnapshots } from './format.js';
import type { PairStep, PlannedSnapshot } from './replicate.js';

export interface BookmarkBaseInput {
  targetName: string;
  sourceSnapshots: readonly PlannedSnapshot[];
  sourceBookmarks?: readonly Bookmark[];
  target: Dataset;
  /** Index in the target's snapshots of the newest one the source still has as a snapshot, if any. */
  commonTargetIndex: number | undefined;
  /** recv -F, as the planner would use on an incremental (see diffPair). */
  force: boolean;
  /** Which source snapshots the pair replicates (plan/travel.ts); all when absent. */
  travels?: (name: string) => boolean;
}

/** The steps when a bookmark is a newer base than any common snapshot; undefined otherwise. */
export function bookmarkBaseSteps(p: BookmarkBaseInput): PairStep[] | undefined {
  if (!p.sourceBookmarks?.length) return undefined;
  const byGuid = new Map(p.sourceBookmarks.map((b) => [b.guid, b]));
  const snaps = p.target.snapshots;
  let found: { bookmark: Bookmark; targetIndex: number } | undefined;
  for (let i = snaps.length - 1; i > (p.commonTargetIndex ?? -1); i--) {
    const b = byGuid.get(snaps[i]!.guid);
    if (b) {
      found = { bookmark: b, targetIndex: i };
      break;
    }
  }
  if (!found) return undefined;
  const { bookmark, targetIndex } = found;
  const base = snaps[targetIndex]!;
  const later = snaps.slice(targetIndex + 1).map((s) => s.name);
  const written = p.target.written ?? 0;
  if (later.length > 0 || written > 0) {
    const what = [later.length ? listSnapshots(later) : '', written > 0 ? `${formatBytes(written)} written` : ''].filter(Boolean).join(' and ');
    return [{
      kind: 'conflict',
      message: `${p.targetName} has changed (${what}) after @${base.name}, which the source has only as bookmark #${bookmark.name}`,
      resolution: `a rollback to a base the source has only as a bookmark is not done by zfsync: roll ${p.targetName} back to @${base.name} yourself (zfs rollback -r), then run apply again`,
    }];
  }
  const newer = p.sourceSnapshots.filter((s) => (s.createtxg === undefined || s.createtxg > bookmark.createtxg) && (p.travels?.(s.name) ?? true));
  const newest = newer[newer.length - 1];
  if (!newest) return [];
  const from: SnapRef = { name: bookmark.name, guid: bookmark.guid, createtxg: bookmark.createtxg, bookmark: true };
  return [{
    kind: 'incremental',
    from,
    to: newest,
    count: 1,
    intermediates: false,
    force: p.force,
    reason: `the newest common snapshot @${base.name} is gone on the source; its bookmark #${bookmark.name} has the same GUID (send -i from the bookmark: only @${newest.name} arrives)`,
  }];
}
