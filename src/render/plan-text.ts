// The human plan: grouped per source and per pair, one line per action with its reason.
import { Chalk, type ChalkInstance } from 'chalk';
import type { Action, Plan, PlanSummary, SendTransport, StreamAction } from '../types.js';
import { formatBytes, plural } from '../plan/format.js';
import { summarize } from '../plan/summary.js';
import { escapeControl as esc } from './escape.js';
import { kindOf, type Head, type Tone } from '../kinds/index.js';
import { hostsOf } from '../kinds/send.js';

export interface TextOptions {
  color: boolean;
}

/** What one line of the plan says about an action; every renderer (text, markdown) starts from it. */
export function actionHead(a: Action): Head {
  return kindOf(a).head(a);
}

export { hostsOf };

function colorFor(c: ChalkInstance, tone: Tone): (s: string) => string {
  return { add: c.green, change: c.yellow, remove: c.magenta, conflict: c.red.bold }[tone];
}

/** `a4 send full local: tank/vm @s1 => backup/tank/vm`: one action in a line, escaped. */
export function actionLabel(a: Action): string {
  const h = actionHead(a);
  return esc(`${a.id} ${h.verb} ${h.subject}`);
}

/** Every text in the lines comes from the plan, which may come from a file: all of it is escaped. */
export function renderAction(a: Action, c: ChalkInstance): string[] {
  const h = actionHead(a);
  const paint = colorFor(c, h.tone);
  const lines = [`${paint(h.symbol.padStart(5))} ${paint(h.verb.padEnd(16))} ${esc(h.subject)}${h.detail ? c.dim(`  (${esc(h.detail)})`) : ''}`];
  const indent = ' '.repeat(23);
  if (a.kind === 'conflict') {
    lines.push(`${indent}${esc(a.message)}`);
    lines.push(`${indent}${c.cyan('resolve:')} ${esc(a.resolution)}`);
  } else {
    lines.push(`${indent}${c.dim(esc(a.reason))}`);
  }
  return lines;
}

/**
 * `Total: 12 sends, ~3.4 GiB (9 by zfs send -n -P, 1 from snapshot sizes, 2 of unknown size)`:
 * every send's estimate added up, and where the estimates came from.
 */
export function totalLine(actions: readonly Action[]): string | undefined {
  const sends = actions.filter((a): a is StreamAction => a.kind === 'send' || a.kind === 'resume');
  if (sends.length === 0) return undefined;
  let bytes = 0;
  let dryRun = 0;
  let properties = 0;
  for (const a of sends) {
    if (a.bytes === undefined) continue;
    bytes += a.bytes;
    if (a.bytesFrom === 'dry-run') dryRun++;
    else properties++;
  }
  const unknown = sends.length - dryRun - properties;
  const head = `Total: ${plural(sends.length, 'send')}, `;
  if (unknown === sends.length) return `${head}size unknown`;
  const from = [
    dryRun ? `${dryRun} by zfs send -n -P` : '',
    properties ? `${properties} from snapshot sizes` : '',
    unknown ? `${unknown} of unknown size` : '',
  ].filter(Boolean);
  return `${head}~${formatBytes(bytes)} (${from.join(', ')})`;
}

export function summaryLine(s: PlanSummary): string {
  const parts = [`${s.sends} to send`, plural(s.snapshots, 'snapshot'), `${s.creates} to create`];
  if (s.rollbacks) parts.push(`${s.rollbacks} to roll back`);
  if (s.sets) parts.push(`${s.sets} to set`);
  if (s.renames) parts.push(`${s.renames} to rename`);
  if (s.holds) parts.push(`${plural(s.holds, 'hold move')}`);
  if (s.aborts) parts.push(`${s.aborts} to abort`);
  if (s.bases) parts.push(`${plural(s.bases, 'base')} to build`);
  if (s.rebuilds) parts.push(`${s.rebuilds} to rebuild`);
  parts.push(`${s.destroys} to destroy`, plural(s.conflicts, 'conflict'));
  return `Plan: ${parts.join(', ')}.`;
}

/** Actions by heading: `source <name>` for source-level ones, the pair (`from -> to`) for the rest; plan order within each. */
export function groupActions(actions: readonly Action[]): Map<string, Action[]> {
  const groups = new Map<string, Action[]>();
  for (const a of actions) {
    const source = kindOf(a).sourceOf?.(a);
    const key = kindOf(a).headingOf?.(a) ?? (source !== undefined ? `source ${source}` : (a.pair ?? ''));
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(a);
  }
  return groups;
}

export function renderPlanText(plan: Plan, opts: TextOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const out: string[] = [];
  for (const [key, actions] of groupActions(plan.actions)) {
    out.push(c.bold(esc(key)));
    for (const a of actions) out.push(...renderAction(a, c));
    out.push('');
  }
  if (plan.notes.length) {
    out.push(c.bold('Notes'));
    for (const n of plan.notes) out.push(`  - ${esc(n)}`);
    out.push('');
  }
  if (plan.actions.length === 0) {
    out.push(c.green('No changes. Every target is up to date with its source.'));
  } else {
    const total = totalLine(plan.actions);
    if (total) out.push(total);
    // Counted from the actions, never taken from a stored summary.
    out.push(c.bold(summaryLine(summarize(plan.actions))));
  }
  return out.join('\n') + '\n';
}
