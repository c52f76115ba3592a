// Rebase's `rebuild`: one member re-created as a clone of the group's base snapshot holding the
// same data. Every step leaves a state the next plan recognises (src/rebase/resume.ts): the
// clone is marked `copy` until verified, `verified:*` from then until its name is the member's.
import type { RebuildAction } from '../types.js';
import { mountDir, REBUILD_PROPERTY, tempName, verifiedMarker } from '../rebase/names.js';
import { setPropertyArgv, snap, snapshotArgv } from '../zfs/commands.js';
import {
  CARRIED_LAST,
  CARRIED_PROPERTIES,
  carryMountpointArgv,
  carryPropertiesArgv,
  clearMarkArgv,
  cloneArgv,
  destroyArgv,
  inheritArgv,
  markArgv,
  mountArgv,
  renameArgv,
  requireMountedArgv,
  rsyncCopyArgv,
  umountArgv,
  umountTempArgv,
  verifyArgv,
} from '../zfs/rebase-commands.js';
import { runOn, type KindDef } from './kind.js';

const STAGE_TEXT: Record<RebuildAction['stage'], string> = {
  start: '',
  swap: 'resumes an interrupted rebuild at the swap (the clone is verified)',
  rename: 'resumes an interrupted rebuild at the rename of the verified clone',
  finish: 'finishes an interrupted rebuild (names swapped)',
  cleanup: 'removes what an interrupted rebuild left',
};

export const rebuildKind: KindDef<RebuildAction> = {
  head(a) {
    const where = a.replace ? (a.keepOriginals === 'destroy' ? 'original destroyed' : `original kept as ${a.dataset}${a.suffix}`) : `clone at ${a.dataset}${a.suffix}, original untouched`;
    const detail = [STAGE_TEXT[a.stage], `clone of ${a.base}`, where].filter(Boolean).join('; ');
    return { symbol: '-/+', verb: 'rebuild', subject: `${a.host}: ${a.dataset}`, detail, tone: 'change' };
  },
  title: (a) => `rebuild ${a.host}: ${a.dataset} as a clone of ${a.base}${a.stage === 'start' ? '' : ` (${a.stage})`}`,
  steps: (a, hostInfo) => runOn(a.host, rebuildArgvs(a, hostInfo(a.host).zfs)),
  headingOf: (a) => `rebase ${a.group}`,
  count: (s) => void (s.rebuilds = (s.rebuilds ?? 0) + 1),
};

export function rebuildArgvs(a: RebuildAction, zfs: string): string[][] {
  const m = a.dataset;
  const fresh = tempName(m, a.prefix, 'new');
  const source = tempName(m, a.prefix, 'src');
  const aside = m + a.suffix;
  const argvs: string[][] = a.discard.map((d) => destroyArgv(zfs, d));
  const stages = ['start', 'swap', 'rename', 'finish', 'cleanup'];
  const from = stages.indexOf(a.stage);
  const at = (stage: string) => from <= stages.indexOf(stage);
  if (at('start')) {
    argvs.push(
      snapshotArgv(zfs, [snap(m, a.snapshot)], false),
      cloneArgv(zfs, snap(m, a.snapshot), source, { [REBUILD_PROPERTY]: 'source', readonly: 'on', mountpoint: mountDir(source) }),
      cloneArgv(zfs, a.base, fresh, { [REBUILD_PROPERTY]: 'copy', mountpoint: mountDir(fresh) }),
      carryPropertiesArgv(zfs, m, fresh, CARRIED_PROPERTIES, true),
      requireMountedArgv(zfs, [source, fresh]),
      rsyncCopyArgv(mountDir(source), mountDir(fresh), true),
      verifyArgv(mountDir(source), mountDir(fresh)),
      umountTempArgv(zfs, fresh),
      // The source clone is done with: gone before any rename (a clone of the member's snapshot keeps it busy).
      ...destroySource(zfs, source, true),
      ...(a.replace ? [] : [destroyArgv(zfs, snap(m, a.snapshot))]),
      carryPropertiesArgv(zfs, m, fresh, ['canmount'], false),
      markArgv(zfs, fresh, verifiedMarker(a.mount)),
    );
  }
  // A source clone left by an interrupted run (the planned one is gone before the swap).
  const sourceOrigin = a.stage === 'start' ? undefined : a.leftoverSource;
  if (!a.replace) {
    // The clone takes the suffixed name; the original keeps its name, its data and its snapshots.
    if (at('rename')) argvs.push(renameArgv(zfs, fresh, aside), inheritArgv(zfs, aside, 'mountpoint'), carryPropertiesArgv(zfs, m, aside, CARRIED_LAST, false));
    if (at('finish')) argvs.push(...(a.mount ? [mountArgv(zfs, aside)] : []), clearMarkArgv(zfs, aside));
    if (sourceOrigin) argvs.push(destroyArgv(zfs, source), destroyArgv(zfs, sourceOrigin));
    return argvs;
  }
  if (at('swap')) {
    if (a.unmount) argvs.push(umountArgv(zfs, m));
    argvs.push(setPropertyArgv(zfs, m, 'canmount', 'noauto'), renameArgv(zfs, m, aside));
  }
  if (at('rename')) argvs.push(renameArgv(zfs, fresh, m));
  if (at('finish')) {
    argvs.push(carryMountpointArgv(zfs, aside, m), carryPropertiesArgv(zfs, aside, m, CARRIED_LAST, false));
    // The marker goes last: until then a resumed plan still knows to mount it.
    if (a.mount) argvs.push(mountArgv(zfs, m));
    argvs.push(clearMarkArgv(zfs, m));
  }
  if (sourceOrigin) argvs.push(destroyArgv(zfs, source));
  if (a.keepOriginals === 'destroy') argvs.push(destroyArgv(zfs, aside, true));
  return argvs;
}

/** Unmounted first: zfs-fuse calls a just-used mounted clone busy. */
function destroySource(zfs: string, source: string, mounted: boolean): string[][] {
  return [...(mounted ? [umountTempArgv(zfs, source)] : []), destroyArgv(zfs, source)];
}
