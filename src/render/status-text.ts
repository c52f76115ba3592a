// The human status: one table per pair (aligned columns, plain text in logs), then one summary line.
import { Chalk } from 'chalk';
import { plural } from '../plan/format.js';
import { formatLag } from '../status/lag.js';
import type { DatasetStatus, PairStatus, StatusConflict, StatusReport, StatusSummary } from '../status/types.js';
import { escapeControl as esc } from './escape.js';

export interface StatusTextOptions {
  color: boolean;
  /** The --max-lag flag as given (`25h`), for the summary line. */
  maxLag?: string;
}

const HEADER = ['DATASET', 'NEWEST COMMON', 'LAG', 'PENDING', 'SOURCE own/all', 'TARGET own/all', ''];

function cells(d: DatasetStatus): string[] {
  const flags = [d.behind ? 'behind' : '', d.conflicts.length ? plural(d.conflicts.length, 'conflict') : ''].filter(Boolean).join(', ');
  return [
    esc(d.source),
    d.common ? `@${esc(d.common.name)}` : 'none',
    formatLag(d.lagSeconds),
    String(d.pending),
    `${d.snapshots.source.own}/${d.snapshots.source.all}`,
    d.targetExists ? `${d.snapshots.target.own}/${d.snapshots.target.all}` : 'absent',
    flags,
  ];
}

function table(rows: string[][]): string[] {
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function renderStatusText(r: StatusReport, o: StatusTextOptions): string {
  const c = new Chalk({ level: o.color ? 1 : 0 });
  const conflictLines = (list: StatusConflict[], indent: string) =>
    list.flatMap((k) => [c.red(`${indent}! ${esc(k.message)}`), `${indent}  resolve: ${esc(k.resolution)}`]);
  const out: string[] = [];
  for (const p of r.pairs) {
    out.push(c.bold(`${esc(p.pair)}  (${esc(p.sourceHost)} -> ${esc(p.targetHost)}: ${esc(p.targetRoot)})`));
    if (p.unreachable) out.push(c.red(`  ! host ${esc(p.unreachable.host)} unreachable: ${esc(p.unreachable.error)}`));
    else if (p.datasets.length === 0) out.push('  no datasets selected');
    else {
      const lines = table([HEADER, ...p.datasets.map(cells)]);
      out.push(`  ${lines[0]}`);
      p.datasets.forEach((d, i) => {
        const line = `  ${lines[i + 1]}`;
        out.push(d.behind || d.conflicts.length ? c.red(line) : d.common ? line : c.yellow(line));
        out.push(...conflictLines(d.conflicts, '      '));
      });
    }
    out.push(...conflictLines(p.conflicts, '  '));
    out.push('');
  }
  out.push(statusSummaryLine(r.summary, o.maxLag));
  return out.join('\n');
}

export function statusSummaryLine(s: StatusSummary, maxLag?: string): string {
  const parts = [`${plural(s.datasets, 'dataset')} in ${plural(s.pairs, 'pair')}`];
  if (s.neverReplicated) parts.push(`${s.neverReplicated} never replicated`);
  if (maxLag !== undefined) parts.push(`${s.behind} behind --max-lag ${maxLag}`);
  parts.push(plural(s.conflicts, 'conflict'));
  if (s.unreachableHosts.length) parts.push(`${plural(s.unreachableHosts.length, 'host')} unreachable (${s.unreachableHosts.map(esc).join(', ')})`);
  return `Status: ${parts.join(', ')}.`;
}
