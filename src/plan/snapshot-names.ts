// zfsync's own snapshot names: <prefix>_<YYYYMMDDTHHMMSSZ>, UTC.

export function snapshotName(prefix: string, now: Date): string {
  const iso = now.toISOString(); // 2026-11-22T05:09:28.123Z
  const stamp = iso.slice(0, 19).replace(/[-:]/g, '') + 'Z';
  return `${prefix}_${stamp}`;
}

const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** True when `name` is one of zfsync's snapshots for this prefix. */
export function isOwnSnapshot(prefix: string, name: string): boolean {
  return name.length === prefix.length + 17 && name.startsWith(prefix + '_') && STAMP.test(name.slice(prefix.length + 1));
}
