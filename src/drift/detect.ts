// Drift on a replica: the properties zfsync gives a target (receive.readonly, receive.mount)
// changed by hand since. A differing property is set back; a mount is only reported, since
// zfsync never unmounts on its own.
import type { Dataset, TargetSpec } from '../types.js';

export type DriftStep =
  | { kind: 'set'; properties: Record<string, string>; was: Record<string, string>; because: string[] }
  | { kind: 'conflict'; message: string; resolution: string };

/** Only for a replica (a target sharing a snapshot with its source); nothing when in line. */
export function driftSteps(t: Dataset, name: string, spec: TargetSpec): DriftStep[] {
  const properties: Record<string, string> = {};
  const was: Record<string, string> = {};
  const because: string[] = [];
  const key = `targets.${spec.name}.receive`;
  // A mounted dataset lists the readonly of its mount (a `temporary` value: zfs-fuse always
  // mounts read-write), not the property zfsync set: it is compared only while unmounted.
  if (spec.receive.readonly && t.readonly === false && t.mounted !== true) {
    properties.readonly = 'on';
    was.readonly = 'off';
    because.push(`${key}.readonly is true`);
  }
  if (!spec.receive.mount && t.canmount !== undefined && t.canmount !== 'noauto') {
    properties.canmount = 'noauto';
    was.canmount = t.canmount;
    because.push(`${key}.mount is false`);
  }
  const steps: DriftStep[] = [];
  if (because.length > 0) steps.push({ kind: 'set', properties, was, because });
  if (!spec.receive.mount && t.mounted === true) {
    steps.push({
      kind: 'conflict',
      message: `${name} is mounted although ${key}.mount is false`,
      resolution: `unmount it (zfs umount ${name}) or set ${key}.mount: true; zfsync never unmounts on its own`,
    });
  }
  return steps;
}
