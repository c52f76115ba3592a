// zfsync's own snapshot names: <prefix>_<YYYYMMDDTHHMMSSZ>, UTC.

export function snapshotName(prefix: string, now: Date): string {
  const iso = now.toISOString(); // 2026-11-22T05:09:28.123Z
  const stamp = iso.slice(0, 19).replace(/[-:]/g, '') + 'Z';
  return `${prefix}_${stamp}`;
}

const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * The time (unix seconds) encoded in one of zfsync's snapshot names. Scheduling uses this
 * rather than the `creation` property so that it follows the clock that named the snapshot.
 */
export function ownSnapshotTime(prefix: string, name: string): number | undefined {
  if (name.length !== prefix.length + 17 || !name.startsWith(prefix + '_')) return undefined;
  const m = STAMP.exec(name.slice(prefix.length + 1));
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(t) ? undefined : t / 1000;
}
