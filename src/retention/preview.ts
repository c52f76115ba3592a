// `zfsync plan --retention`: every zfsync snapshot of every dataset under a retention policy,
// per side, with what happens to it and why — what to read before trusting any pruning.
import { escapeControl as esc } from '../render/escape.js';
import type { DatasetRetention } from './plan.js';

export function renderRetentionPreview(report: readonly DatasetRetention[]): string {
  const out = ['Retention (zfsync snapshots, oldest first)'];
  if (report.length === 0) out.push('  no dataset has a retention policy (or every one was skipped: see the notes)');
  for (const r of report) {
    const when = r.side === 'target' ? '; as after this plan\'s sends' : '';
    out.push('', esc(`${r.owner} on ${r.host}: ${r.dataset}  (${r.policy}${when})`));
    if (r.verdicts.length === 0) out.push('  no zfsync snapshots');
    for (const v of r.verdicts) out.push(esc(`  ${v.keep ? 'keep   ' : 'destroy'}  @${v.name}${v.keep ? `  (${v.why})` : ''}`));
    const gone = r.verdicts.filter((v) => !v.keep).length;
    out.push(`  ${r.verdicts.length - gone} kept, ${gone} to destroy`);
  }
  return out.join('\n') + '\n';
}
