// The core never prints: it emits these typed events to an I/O layer (human, JSON, tests).
import type { Action } from '../types.js';

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
  | { type: 'apply-done'; done: number; failed: number; skipped: number; conflicts: number; dryRun: boolean }
  /** Instead of apply-done when zfsync was interrupted: what was stopped and what never started (`signal`: SIGINT, ...). */
  | { type: 'apply-interrupted'; signal: string; stopped: string[]; notStarted: string[]; done: number; failed: number; skipped: number; conflicts: number };

export type Emit = (event: ZfsyncEvent) => void;
