// What a person reads when an apply was interrupted: what stopped, what never started, and
// that re-running apply is the way on.
import type { ZfsyncEvent } from '../io/events.js';

const SHOWN = 10;

function ids(list: readonly string[]): string {
  const head = list.slice(0, SHOWN).join(', ');
  return list.length > SHOWN ? `${head} and ${list.length - SHOWN} more` : head;
}

export function interruptedText(e: Extract<ZfsyncEvent, { type: 'apply-interrupted' }>, titleOf: (id: string) => string | undefined): string {
  const parts: string[] = [];
  if (e.done) parts.push(`${e.done} done`);
  if (e.stopped.length) parts.push(`${e.stopped.map((id) => `${id} ${titleOf(id) ?? ''}`.trimEnd()).join(', ')} stopped`);
  if (e.notStarted.length) parts.push(`${ids(e.notStarted)} not started`);
  if (e.failed) parts.push(`${e.failed} failed`);
  const what = parts.length ? parts.join('; ') : 'nothing was running';
  const kept = e.resumable?.length ? ` ${ids(e.resumable)} received with zfs receive -s: zfs keeps what arrived, and the next plan resumes ${e.resumable.length === 1 ? 'it' : 'them'} (~ resume, zfs send -t) instead of starting over.` : '';
  return `Interrupted (${e.signal}): ${what}. The next apply resumes from the state it finds.${kept}`;
}
