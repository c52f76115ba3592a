// What stops zfsync from rebuilding a member it would otherwise rebuild, with the setting or
// manual step that resolves it. Checked only for members that start a rebuild.
import { isWithin } from '../spec/mapping.js';
import type { Dataset, HostState, RebaseSpec, Spec } from '../types.js';
import { isTempName } from './names.js';

export interface MemberConflict {
  message: string;
  resolution: string;
}

export function memberConflict(m: Dataset, group: RebaseSpec, spec: Spec, hs: HostState): MemberConflict | undefined {
  const at = `rebase.${group.name}.datasets`;
  if (m.type === 'volume') {
    return { message: `${m.name} is a zvol: zvol members are not supported yet (only filesystems are copied and verified)`, resolution: `remove it from ${at}` };
  }
  const clones = [...hs.datasets.values()].filter((d) => d.origin?.startsWith(`${m.name}@`) && !isTempName(d.name, spec.snapshots.prefix)).map((d) => d.name);
  if (clones.length > 0) {
    return { message: `${m.name} has clones of its own (${clones.join(', ')}); they would keep its old blocks and block destroying the original`, resolution: `promote or destroy ${clones.join(', ')}, or remove ${m.name} from ${at}` };
  }
  const held = m.snapshots.filter((s) => (s.userrefs ?? 0) > 0).map((s) => `@${s.name}`);
  if (held.length > 0) {
    return { message: `${m.name} has held snapshots (${held.join(', ')})`, resolution: `release the holds (zfs holds / zfs release), or remove ${m.name} from ${at}` };
  }
  for (const pair of spec.replicate) {
    const t = spec.targets[pair.to];
    if (t && t.host === group.host && isWithin(m.name, t.dataset)) {
      return { message: `${m.name} is a replication target (targets.${t.name} writes below ${t.dataset}); a rebuilt replica shares no snapshot with its source`, resolution: `remove ${m.name} from ${at}, or rebase the source side instead` };
    }
  }
  return undefined;
}

/** Why a group cannot run on its host at all, if so. */
export function hostConflict(group: RebaseSpec, spec: Spec, hs: HostState): MemberConflict | undefined {
  if (!hs.capabilities.tools.rsync) {
    return { message: `rsync is not installed on ${group.host}; rebase copies and verifies members with it`, resolution: `install the rsync package on ${group.host} (e.g. apt-get install rsync)` };
  }
  if (spec.hosts[group.host]?.sudo) {
    return { message: `hosts.${group.host} runs zfs through sudo, but rsync must read and write every file as root`, resolution: `run zfsync as root on ${group.host} for rebase groups (hosts.${group.host}.sudo: false)` };
  }
  return undefined;
}
