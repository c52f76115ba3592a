// Apply progress on a terminal: a listr2 task per action, driven by the executor's events.
import { Listr, type ListrTask } from 'listr2';
import type { ApplyResult } from '../apply/executor.js';
import type { Emit, ZfsyncEvent } from '../io/events.js';
import type { Action } from '../types.js';
import { actionTitle, applySummary, progressText } from './apply-lines.js';
import { interruptedText } from './interrupted.js';

type Outcome = { kind: 'done'; note: string } | { kind: 'failed'; error: string } | { kind: 'skipped'; reason: string };

interface Slot {
  resolve: (o: Outcome) => void;
  outcome: Promise<Outcome>;
  onProgress?: (text: string) => void;
}

export function listrReporter(actions: readonly Action[], parallelism = 1): { emit: Emit; run: () => Promise<void>; summary: (r: ApplyResult) => string } {
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
  // zfsync handles SIGINT itself (it stops the pipelines and waits for them); listr2's own handler would process.exit(127).
  const listr = new Listr(tasks, { concurrent: parallelism > 1 ? parallelism : false, exitOnError: false, registerSignalListeners: false, rendererOptions: { collapseErrors: false } });
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
      case 'action-interrupted':
        slots.get(e.id)?.resolve({ kind: 'skipped', reason: 'stopped (interrupted)' });
        break;
      case 'apply-interrupted':
        // Resolving an ended slot again is a no-op: this only ends the tasks that never started.
        for (const slot of slots.values()) slot.resolve({ kind: 'skipped', reason: 'not started (interrupted)' });
        break;
      default:
        break;
    }
  };
  const counts = (r: ApplyResult) => ({ done: r.done.length, failed: r.failed.length, skipped: r.skipped.length, conflicts: r.conflicts });
  const byId = new Map(actions.map((a) => [a.id, a]));
  return {
    emit,
    run: async () => {
      await listr.run().catch(() => undefined);
    },
    summary: (r) => {
      if (!r.interrupted) return applySummary({ type: 'apply-done', ...counts(r), dryRun: false });
      const title = (id: string) => {
        const a = byId.get(id);
        return a && actionTitle(a);
      };
      return interruptedText({ type: 'apply-interrupted', ...r.interrupted, ...counts(r) }, title);
    },
  };
}
