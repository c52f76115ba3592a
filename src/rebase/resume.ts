// Where each member of a group stands: already a clone of the base snapshot, a plain dataset to
// rebuild, or half way through a rebuild that an interrupted apply left (told by the marker on
// zfsync's temporary clones, src/rebase/names.ts). Anything it cannot account for is a conflict:
// when in doubt, nothing changes for that member.
import type { Dataset, HostState, RebaseSpec, RebuildStage } from '../types.js';
import { isRebuildSnapshot, isVerified, REBUILD_PROPERTY, tempName } from './names.js';

export type MemberState =
  | { kind: 'done' }
  | { kind: 'rebuild'; stage: RebuildStage; reason: string; mount: boolean; unmount: boolean; discard: string[]; leftoverSource?: string }
  | { kind: 'conflict'; message: string; resolution: string };

export interface MemberContext {
  group: RebaseSpec;
  hs: HostState;
  prefix: string;
  /** The base snapshot exists and stays this plan (not built or rebuilt now). */
  baseReady: boolean;
}

const baseName = (g: RebaseSpec): string => `${g.base.dataset}@${g.base.snapshot}`;
const markerOf = (hs: HostState, name: string): string | undefined => hs.properties?.get(REBUILD_PROPERTY)?.get(name);
const mountFrom = (marker: string | undefined): boolean => marker === 'verified:mount';

export function memberState(member: string, c: MemberContext): MemberState {
  const { group, hs } = c;
  const base = baseName(group);
  const m = hs.datasets.get(member);
  const fresh = hs.datasets.get(tempName(member, c.prefix, 'new'));
  const source = hs.datasets.get(tempName(member, c.prefix, 'src'));
  const asideName = member + group.suffix;
  const aside = hs.datasets.get(asideName);
  const freshMark = fresh && markerOf(hs, fresh.name);
  const sourceMark = source && markerOf(hs, source.name);
  if (fresh && freshMark === undefined) return foreign(fresh.name);
  if (source && sourceMark !== 'source') return foreign(source.name);
  const leftoverSource = source?.origin;
  const withSource = <T extends object>(s: T): T & { leftoverSource?: string } => (leftoverSource ? { ...s, leftoverSource } : s);
  const freshUsable = fresh !== undefined && isVerified(freshMark) && fresh.origin === base && c.baseReady;
  /** What an unfinished attempt left: the unverified clone, the source clone, the member's rebase snapshots. */
  const discards = (of: Dataset | undefined): string[] => [
    ...(fresh ? [fresh.name] : []),
    ...(source ? [source.name] : []),
    ...(of ? of.snapshots.filter((s) => isRebuildSnapshot(s.name, c.prefix)).map((s) => `${of.name}@${s.name}`) : []),
  ];
  const start = (reason: string, of: Dataset): MemberState => ({ kind: 'rebuild', stage: 'start', reason, mount: of.mounted === true, unmount: of.mounted === true, discard: discards(of) });

  if (!group.replace) {
    if (!m) return missing(member, group);
    if (aside && isVerified(markerOf(hs, asideName))) return withSource({ kind: 'rebuild', stage: 'finish', reason: 'finishes an interrupted rebuild', mount: mountFrom(markerOf(hs, asideName)), unmount: false, discard: [] });
    if (aside && aside.origin === base && c.baseReady) return leftoverSource ? withSource({ kind: 'rebuild', stage: 'cleanup', reason: 'removes an interrupted rebuild\'s source clone', mount: false, unmount: false, discard: [] }) : { kind: 'done' };
    if (aside) return nameTaken(asideName, group);
    if (freshUsable) return withSource({ kind: 'rebuild', stage: 'rename', reason: 'resumes an interrupted rebuild', mount: mountFrom(freshMark), unmount: false, discard: [] });
    return start(notCloneReason(m, base), m);
  }

  if (m && isVerified(markerOf(hs, member)) && m.origin === base) {
    return withSource({ kind: 'rebuild', stage: 'finish', reason: 'finishes an interrupted rebuild', mount: mountFrom(markerOf(hs, member)), unmount: false, discard: [] });
  }
  if (!m) {
    if (freshUsable && aside) return withSource({ kind: 'rebuild', stage: 'rename', reason: 'resumes an interrupted rebuild', mount: mountFrom(freshMark), unmount: false, discard: [] });
    return missing(member, group);
  }
  if (freshUsable) return withSource({ kind: 'rebuild', stage: 'swap', reason: 'resumes an interrupted rebuild', mount: mountFrom(freshMark), unmount: m.mounted === true, discard: [] });
  if (!fresh && m.origin === base && c.baseReady) {
    const destroyAside = group.keepOriginals === 'destroy' && aside !== undefined && aside.snapshots.some((s) => isRebuildSnapshot(s.name, c.prefix));
    if (leftoverSource || destroyAside) return withSource({ kind: 'rebuild', stage: 'cleanup', reason: 'removes what an interrupted rebuild left', mount: false, unmount: false, discard: [] });
    return { kind: 'done' };
  }
  if (aside) return nameTaken(asideName, group);
  return start(notCloneReason(m, base), m);
}

function notCloneReason(m: Dataset, base: string): string {
  return m.origin ? `a clone of ${m.origin}, not of ${base}` : `not a clone (no origin), so it shares no blocks with ${base}`;
}

const foreign = (name: string): MemberState => ({
  kind: 'conflict',
  message: `${name} exists but zfsync did not make it (no zfsync rebuild marker), and zfsync needs that name for its temporary clone`,
  resolution: `rename or destroy ${name}; zfsync changes nothing for this member meanwhile`,
});

const missing = (member: string, g: RebaseSpec): MemberState => ({
  kind: 'conflict',
  message: `member ${member} does not exist`,
  resolution: `create it, or fix rebase.${g.name}.datasets`,
});

const nameTaken = (name: string, g: RebaseSpec): MemberState => ({
  kind: 'conflict',
  message: `${name} already exists and is not this group's finished rebuild; the ${g.replace ? 'original' : 'clone'} would need that name`,
  resolution: `rename or destroy ${name}, or change rebase.${g.name}.suffix`,
});
