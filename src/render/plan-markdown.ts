// The plan as GitHub/GitLab-flavoured Markdown, for a pull request comment: a summary table,
// then one table per pair. Every value from a host or a file is escaped, so a dataset name or
// reason can neither break a table nor inject markup, links or HTML.
import type { Action, Plan } from '../types.js';
import { summarize } from '../plan/summary.js';
import { actionHead, groupActions, totalLine } from './plan-text.js';

/** Control characters shown as `\uXXXX` (newlines and tabs as spaces): nothing from a file can end a table row. */
function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' || c === '\t' ? ' ' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** A code span: nothing inside is markup, a link, HTML or a mention. (ZFS names hold no backtick.) */
export function mdCode(s: string): string {
  return `\`${visible(s).replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

/**
 * Prose that renders as itself in a table cell: markup characters escaped, HTML characters as
 * entities, and every `@word` (a snapshot name) in a code span, so that GitHub does not read it
 * as a mention of a user.
 */
export function mdText(s: string): string {
  return visible(s)
    .split(/(@[^\s,;()]+)/)
    .map((part, i) => (i % 2 === 1 ? mdCode(part) : part.replace(/[\\`*_{}[\]|~#]/g, (c) => `\\${c}`).replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'))))
    .join('');
}

const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;

function actionRow(a: Action): string {
  const h = actionHead(a);
  const why = a.kind === 'conflict' ? `${a.message} — resolve: ${a.resolution}` : a.reason;
  return row([mdCode(h.symbol), mdText(h.verb), mdCode(h.subject), [h.detail ? mdCode(h.detail) : '', mdText(why)].filter(Boolean).join('<br>')]);
}

export interface MarkdownOptions {
  /** A heading line above everything, e.g. naming the spec. */
  title?: string;
}

export function renderPlanMarkdown(plan: Plan, opts: MarkdownOptions = {}): string {
  const s = summarize(plan.actions);
  const out: string[] = [];
  if (opts.title) out.push(`### ${mdText(opts.title)}`, '');
  if (plan.actions.length === 0) {
    out.push('**No changes.** Every target is up to date with its source.');
  } else {
    const total = totalLine(plan.actions);
    // `to set` (drift) only when there is any, like the text summary line.
    const heads = ['to send', 'snapshots', 'to create', 'to roll back', ...(s.sets ? ['to set'] : []), ...(s.renames ? ['to rename'] : []), ...(s.aborts ? ['to abort'] : []), 'to destroy', 'conflicts'];
    out.push(row(heads), row(Array(heads.length).fill('---:')));
    out.push(row([String(s.sends), String(s.snapshots), String(s.creates), String(s.rollbacks), ...(s.sets ? [String(s.sets)] : []), ...(s.renames ? [String(s.renames)] : []), ...(s.aborts ? [String(s.aborts)] : []), String(s.destroys), s.conflicts ? `**${s.conflicts}**` : '0']));
    if (total) out.push('', mdText(total));
    if (s.conflicts) out.push('', `> **${s.conflicts === 1 ? 'A conflict' : `${s.conflicts} conflicts`}** must be resolved before the plan can converge (see below).`);
  }
  for (const [key, actions] of groupActions(plan.actions)) {
    out.push('', `#### ${mdText(key)}`, '', row(['', 'action', 'what', 'details']), row(['---', '---', '---', '---']));
    for (const a of actions) out.push(actionRow(a));
  }
  if (plan.notes.length) {
    out.push('', '#### Notes', '');
    for (const n of plan.notes) out.push(`- ${mdText(n)}`);
  }
  return out.join('\n') + '\n';
}
