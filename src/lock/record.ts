// What a lock says about its holder, and where it lives on a host. The record is key=value
// lines in the lock's info file; the holder script appends its own pid (`holder_pid`).
import { createHash, randomBytes } from 'node:crypto';

export type LockRole = 'target' | 'source';

/** A dataset root an apply writes to, on the host (spec name) that owns it. */
export interface LockTarget {
  host: string;
  dataset: string;
  role: LockRole;
}

export interface LockRecord {
  id: string;
  role: LockRole;
  host: string;
  dataset: string;
  /** Hostname of the machine running zfsync. */
  controller: string;
  controllerPid: number;
  user: string;
  /** ISO time the lock was taken. */
  started: string;
  version: string;
  /** Pid of the shell holding the flock on the lock's host (set by that shell). */
  holderPid?: number;
}

/** Where the lock files go, first usable one wins: /run/lock is tmpfs (gone on reboot) and writable by every user. */
export const LOCK_DIRS = ['/run/lock', '/var/lock', '/tmp'] as const;

/** `zfsync-<16 hex of sha256(dataset)>`: dataset names may hold spaces, `:` and `/`, file names should not. */
export function lockName(dataset: string): string {
  return `zfsync-${createHash('sha256').update(dataset).digest('hex').slice(0, 16)}`;
}

export const LOCK_ID = /^[0-9a-f]{12}$/;

export function newLockId(): string {
  return randomBytes(6).toString('hex');
}

// One line per field: a newline in a value (a hostname, say) must not start a new field.
const oneLine = (v: string | number) => String(v).replace(/[\r\n]+/g, ' ');

export function formatRecord(r: Omit<LockRecord, 'holderPid'>): string[] {
  return [
    `id=${oneLine(r.id)}`,
    `role=${oneLine(r.role)}`,
    `host=${oneLine(r.host)}`,
    `dataset=${oneLine(r.dataset)}`,
    `controller=${oneLine(r.controller)}`,
    `controller_pid=${oneLine(r.controllerPid)}`,
    `user=${oneLine(r.user)}`,
    `started=${oneLine(r.started)}`,
    `zfsync=${oneLine(r.version)}`,
  ];
}

/** The record in an info file's text, or undefined when it is missing or damaged. */
export function parseRecord(text: string): LockRecord | undefined {
  const f = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) f.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const role = f.get('role');
  const pid = Number(f.get('controller_pid'));
  const fields = ['id', 'host', 'dataset', 'controller', 'user', 'started', 'zfsync'].map((k) => f.get(k));
  if ((role !== 'target' && role !== 'source') || !Number.isInteger(pid) || fields.some((v) => v === undefined)) return undefined;
  const [id, host, dataset, controller, user, started, version] = fields as string[];
  const r: LockRecord = { id: id!, role, host: host!, dataset: dataset!, controller: controller!, controllerPid: pid, user: user!, started: started!, version: version! };
  const holder = Number(f.get('holder_pid'));
  if (f.has('holder_pid') && Number.isInteger(holder) && holder > 0) r.holderPid = holder;
  return r;
}
