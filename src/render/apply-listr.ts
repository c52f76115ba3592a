// Apply progress on a terminal: a listr2 task per action, driven by the executor's events.
import { Listr, type ListrTask } from 'listr2';
import type { Emit, ZfsyncEvent } from '../io/events.js';
import type { Action } from '../types.js';
import { actionTitle, progressText } from './apply-lines.js';

type Outcome = { kind: 'done'; note: string } | { kind: 'failed'; error: string } | { kind: 'skipped'; reason: string };

interface Slot {
  resolve: (o: Outcome) => void;
  outcome: Promise<Outcome>;
  onProgress?: (text: string) => void;
}

export function listrReporter(actions: readonly Action[], parallelism = 1): { emit: Emit; run: () => Promise<void> } {
  const slots = new Map<string, Slot>();
  for (const a of actions) {
    if (a.kind === 'conflict') continue;
    let resolve!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((r) => (resolve = r));
    slots.set(a.id, { resolve, outcome });
  }
  const tasks: ListrTask[] = actions
    .filter((a) => a.kind !== 'conflict')
    .map((a) => ({
      title: `[${a.id}] ${actionTitle(a)}`,
      task: async (_ctx, task) => {
        const slot = slots.get(a.id)!;
        slot.onProgress = (text) => {
          task.output = text;
        };
        const o = await slot.outcome;
        if (o.kind === 'failed') throw new Error(o.error);
        if (o.kind === 'skipped') task.skip(`[${a.id}] skipped: ${o.reason}`);
        else if (o.note) task.title = `[${a.id}] ${actionTitle(a)} (${o.note})`;
      },
    }));
  const listr = new Listr(tasks, { concurrent: parallelism > 1 ? parallelism : false, exitOnError: false, rendererOptions: { collapseErrors: false } });
  const emit: Emit = (e: ZfsyncEvent) => {
    switch (e.type) {
      case 'action-progress':
        slots.get(e.id)?.onProgress?.(progressText(e.bytes, e.bytesPerSecond, e.expectedBytes));
        break;
      case 'action-done': {
        const note = e.bytes !== undefined ? progressText(e.bytes, e.bytes / Math.max(0.001, e.ms / 1000)) : `${(e.ms / 1000).toFixed(1)}s`;
        slots.get(e.id)?.resolve({ kind: 'done', note });
        break;
      }
      case 'action-failed':
        slots.get(e.id)?.resolve({ kind: 'failed', error: e.error });
        break;
      case 'action-skipped':
        slots.get(e.id)?.resolve({ kind: 'skipped', reason: e.reason });
        break;
      default:
        break;
    }
  };
  return {
    emit,
    run: async () => {
      await listr.run().catch(() => undefined);
    },
  };
}
