// How locks are described to people: the holder, a busy lock, a stale one taken over.
import type { LockRecord, LockTarget } from './record.js';

export const what = (t: LockTarget): string => `${t.role} ${t.dataset} on ${t.host}`;

export function holderText(r: LockRecord): string {
  return `${r.user}@${r.controller} pid ${r.controllerPid} since ${r.started} (zfsync ${r.version}, lock id ${r.id})`;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

export function busyMessage(t: LockTarget, holder: LockRecord | undefined, waitedMs: number): string {
  const by = holder ? `locked by ${holderText(holder)}` : 'locked by another process (its lock record is missing or unreadable)';
  const hint = holder ? `; wait with --lock-timeout, or run zfsync force-unlock ${holder.id} if that apply is gone` : '';
  return `${what(t)} is ${by}; waited ${seconds(waitedMs)}${hint}`;
}

export function waitingMessage(t: LockTarget, holder: LockRecord | undefined, timeoutMs: number): string {
  return `Waiting up to ${seconds(timeoutMs)} for the lock on ${what(t)}, held by ${holder ? holderText(holder) : 'another process'}`;
}

export function takeoverMessage(t: LockTarget, stale: LockRecord | undefined): string {
  if (!stale) return `Took over a stale lock on ${what(t)} (its record was unreadable)`;
  return `Took over a stale lock on ${what(t)}: zfsync pid ${stale.controllerPid} on ${stale.controller} (${stale.user}, started ${stale.started}, lock id ${stale.id}) ended without releasing it`;
}

export function noFlockMessage(t: LockTarget): string {
  return `cannot lock ${what(t)}: ${t.host} has no flock(1), which zfsync apply locks with; install util-linux there (FreeBSD: the sysutils/flock port)`;
}

/** `0` (fail at once), or a duration like `30s`, `5m`, `1h30m`. */
export const LOCK_TIMEOUT_HELP = "a duration like 30s, 5m or 1h30m, or 0 to fail at once";
