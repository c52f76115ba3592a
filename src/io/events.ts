// The core never prints: it emits these typed events to an I/O layer (human, JSON, tests).
import type { LockRecord, LockRole } from '../lock/record.js';
import type { Action } from '../types.js';

interface LockOf {
  host: string;
  dataset: string;
  role: LockRole;
}

export type ZfsyncEvent =
  | { type: 'host-read'; host: string; capabilities: string; datasets: number; snapshots: number; ms: number }
  /** A host that could not be connected to or read: what needs it becomes a conflict. */
  | { type: 'host-failed'; host: string; error: string }
  | { type: 'action-start'; action: Action }
  /**
   * A command about to run (all commands under --dry-run, which runs none of them): `command` as
   * a person would type it; `argv` (one command) or `pipeline` (each stage with its host, in
   * stream order) as zfsync hands it to the host, before `sudo -n` is put in front of zfs.
   */
  | { type: 'command'; id: string; host: string; command: string; argv?: string[]; pipeline?: { host: string; argv: string[] }[] }
  | { type: 'action-progress'; id: string; bytes: number; expectedBytes?: number; bytesPerSecond: number }
  | { type: 'action-done'; id: string; ms: number; bytes?: number }
  | { type: 'action-failed'; id: string; error: string }
  | { type: 'action-skipped'; id: string; reason: string }
  /** A running action stopped because zfsync was interrupted. */
  | { type: 'action-interrupted'; id: string }
  /** Instead of apply-done when zfsync was interrupted: what was stopped and what never started (`signal`: SIGINT, ...). */
  | { type: 'apply-interrupted'; signal: string; stopped: string[]; notStarted: string[]; done: number; failed: number; skipped: number; conflicts: number; resumable?: string[] }
  /** apply holds the lock on a target (or snapshotted source) root until it ends. */
  | ({ type: 'lock-acquired'; id: string } & LockOf)
  /** Another apply holds it; apply tries again until --lock-timeout. */
  | ({ type: 'lock-waiting'; holder?: LockRecord; timeoutMs: number } & LockOf)
  /** The lock was free but its record was left by an apply that ended without releasing it. */
  | ({ type: 'lock-takeover'; id: string; stale?: LockRecord } & LockOf)
  /** The holder process ended while apply ran (force-unlock, or it was killed on its host). */
  | ({ type: 'lock-lost'; id: string } & LockOf)
  | { type: 'apply-done'; done: number; failed: number; skipped: number; conflicts: number; dryRun: boolean };

export type Emit = (event: ZfsyncEvent) => void;
