import type { ConflictAction } from '../types.js';
import type { KindDef } from './kind.js';

export const conflictKind: KindDef<ConflictAction> = {
  head: (a) => ({ symbol: '!', verb: 'conflict', subject: `${a.host}: ${a.dataset}`, detail: '', tone: 'conflict' }),
  title: (a) => `conflict ${a.host}: ${a.dataset}`,
  steps: () => [],
  count: (s) => void s.conflicts++,
  sourceOf: (a) => a.source,
  headingOf: (a) => (a.group !== undefined ? `rebase ${a.group}` : undefined),
};
