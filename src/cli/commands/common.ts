import type { ZfsyncEvent } from '../../io/events.js';

/** The line a human sees on stderr for a host event; undefined for other events (and, when quiet, for all but errors). */
export function hostLine(e: ZfsyncEvent, quiet = false): string | undefined {
  if (e.type === 'host-read') return quiet ? undefined : hostReadLine(e);
  if (e.type === 'host-failed') return `Error: ${e.error}`;
  return undefined;
}

export function hostReadLine(e: Extract<ZfsyncEvent, { type: 'host-read' }>): string {
  return `Read ${e.host}: ${e.datasets} datasets, ${e.snapshots} snapshots in ${(e.ms / 1000).toFixed(1)}s; ${e.capabilities}`;
}
