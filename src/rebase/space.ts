// The plan's space line for a group: what its members reference now, and an honest estimate after.
import { formatBytes } from '../plan/format.js';
import type { HostState, RebaseSpec } from '../types.js';

export function spaceNote(group: RebaseSpec, hs: HostState, members: readonly string[]): string | undefined {
  const sizes = members.map((m) => hs.datasets.get(m)?.referenced).filter((n): n is number => n !== undefined);
  if (sizes.length === 0) return undefined;
  const now = sizes.reduce((a, b) => a + b, 0);
  const largest = Math.max(...sizes);
  return `rebase.${group.name}: ${members.length} member${members.length === 1 ? '' : 's'} reference ${formatBytes(now)} now (sum of referenced; used is not read); after, estimated: the base about ${formatBytes(largest)} (the largest member) plus each member's differences from it, known only once copied`;
}
