import type { ZfsyncEvent } from '../../io/events.js';

export function hostReadLine(e: Extract<ZfsyncEvent, { type: 'host-read' }>): string {
  return `Read ${e.host}: ${e.datasets} datasets, ${e.snapshots} snapshots in ${(e.ms / 1000).toFixed(1)}s; ${e.capabilities}`;
}
