// Apply progress as plain lines (non-TTY, CI logs, --dry-run): one line per event, naming the dataset.
import type { Emit, ZfsyncEvent } from '../io/events.js';
import { formatBytes } from '../plan/format.js';
import { takeoverMessage, waitingMessage, what } from '../lock/messages.js';
import type { Action } from '../types.js';
import { interruptedText } from './interrupted.js';
import { kindOf } from '../kinds/index.js';

export function actionTitle(a: Action): string {
  return kindOf(a).title(a);
}

/** `42s`, `3m05s`, `1h02m`, `3d04h`. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor((s % 86400) / 3600))}h`;
}

/**
 * `1.2 GiB of ~3.4 GiB (35%), 40 MiB/s, ETA ~56s` with an estimate (it may be off: past it,
 * the ETA is dropped); `1.2 GiB, 40 MiB/s` without one.
 */
export function progressText(bytes: number, bytesPerSecond: number, expected?: number): string {
  const rate = `${formatBytes(bytesPerSecond)}/s`;
  if (expected && expected > 0) {
    const pct = Math.min(100, Math.round((bytes / expected) * 100));
    const eta = bytesPerSecond > 0 && bytes < expected ? `, ETA ~${formatEta((expected - bytes) / bytesPerSecond)}` : '';
    return `${formatBytes(bytes)} of ~${formatBytes(expected)} (${pct}%), ${rate}${eta}`;
  }
  return `${formatBytes(bytes)}, ${rate}`;
}

export interface LineOptions {
  dryRun: boolean;
  /** Only failures and the summary. */
  quiet?: boolean;
  /** Prefix for every line (a timestamp, for logs); dry runs print commands bare. */
  stamp?: () => string;
}

const QUIET_SHOWS = new Set<ZfsyncEvent['type']>(['action-failed', 'apply-done', 'apply-interrupted']);

export function lineReporter(writeLine: (line: string) => void, opts: LineOptions): Emit {
  const titles = new Map<string, string>();
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const stamp = opts.dryRun ? undefined : opts.stamp;
  const write = stamp ? (line: string) => writeLine(`${stamp()} ${line}`) : writeLine;
  return (e: ZfsyncEvent) => {
    if (e.type === 'action-start') titles.set(e.action.id, actionTitle(e.action));
    if (opts.quiet && !QUIET_SHOWS.has(e.type)) return;
    switch (e.type) {
      case 'action-start':
        write(`[${e.action.id}] ${opts.dryRun ? 'would ' : ''}${actionTitle(e.action)}`);
        break;
      case 'command':
        if (opts.dryRun) write(`[${e.id}]   ${e.host}$ ${e.command}`);
        break;
      case 'action-progress':
        write(`[${e.id}]   ${progressText(e.bytes, e.bytesPerSecond, e.expectedBytes)}`);
        break;
      case 'action-done':
        if (!opts.dryRun) {
          const rate = e.bytes !== undefined && e.ms > 0 ? `, ${formatBytes(e.bytes)} at ${formatBytes(e.bytes / (e.ms / 1000))}/s` : '';
          write(`[${e.id}] done in ${seconds(e.ms)}${rate}: ${titles.get(e.id) ?? ''}`);
        }
        break;
      case 'action-failed':
        write(`[${e.id}] FAILED: ${titles.get(e.id) ?? ''}\n${e.error.replace(/^/gm, '    ')}`);
        break;
      case 'action-skipped':
        write(`[${e.id}] skipped: ${e.reason}`);
        break;
      case 'action-interrupted':
        write(`[${e.id}] stopped: ${titles.get(e.id) ?? ''}`);
        break;
      case 'apply-done':
        write(applySummary(e));
        break;
      case 'apply-interrupted':
        write(interruptedText(e, (id) => titles.get(id)));
        break;
      case 'host-read':
        break;
    }
  };
}

export function applySummary(e: Extract<ZfsyncEvent, { type: 'apply-done' }>): string {
  if (e.dryRun) return `Dry run: ${e.done} actions shown, nothing changed${e.conflicts ? `; ${e.conflicts} conflicts need attention` : ''}.`;
  const parts = [`${e.done} done`, `${e.failed} failed`, `${e.skipped} skipped`];
  if (e.conflicts) parts.push(`${e.conflicts} conflicts not applied`);
  return `Apply: ${parts.join(', ')}.`;
}

/** The stderr line of a lock event; undefined for other events. */
export function lockLine(e: ZfsyncEvent): string | undefined {
  switch (e.type) {
    case 'lock-acquired':
      return `Locked ${what(e)} (lock id ${e.id})`;
    case 'lock-waiting':
      return waitingMessage(e, e.holder, e.timeoutMs);
    case 'lock-takeover':
      return takeoverMessage(e, e.stale);
    case 'lock-lost':
      return `Warning: the lock on ${what(e)} (lock id ${e.id}) was removed while apply ran (force-unlock, or its process was killed there)`;
    default:
      return undefined;
  }
}
