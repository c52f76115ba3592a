import { writeFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { planDocument } from '../../plan/document.js';
import { hasChanges, planWithRetention } from '../../plan/planner.js';
import { renderRetentionPreview } from '../../retention/preview.js';
import { renderPlanMarkdown } from '../../render/plan-markdown.js';
import { renderPlanText, summaryLine } from '../../render/plan-text.js';
import { fingerprints } from '../../state/fingerprint.js';
import { err, out, useColor, type Io } from '../io.js';
import { openSession, planSession } from '../session.js';
import { checkOutputFile } from '../system-errors.js';
import { hostLine } from './common.js';

export interface PlanFlags {
  config: string;
  out?: string;
  json?: boolean;
  detailedExitcode?: boolean;
  color?: boolean;
  format?: string;
  quiet?: boolean;
  retention?: boolean;
}

export type PlanFormat = 'text' | 'json' | 'markdown';

export function planFormatOf(flags: { json?: boolean; format?: string }): PlanFormat {
  const f = flags.format ?? (flags.json ? 'json' : 'text');
  if (f !== 'text' && f !== 'json' && f !== 'markdown') throw new UsageError(`--format must be text, json or markdown, not '${f}'`);
  if (flags.json && f !== 'json') throw new UsageError(`--json and --format ${f} contradict each other`);
  return f;
}

export async function planCommand(io: Io, flags: PlanFlags): Promise<number> {
  if (flags.out === '') throw new UsageError('--out needs a file name');
  const format = planFormatOf(flags);
  if (flags.retention && format !== 'text') throw new UsageError(`--retention is a text report; it cannot be combined with --format ${format}`);
  if (flags.out) await checkOutputFile(flags.out, '--out');
  const session = await openSession(flags.config, (e) => {
    const line = format === 'json' ? undefined : hostLine(e, flags.quiet);
    if (line) err(io, line);
  }, io.signal);
  try {
    const now = io.now();
    const p = await planSession(session, now);
    const doc = planDocument(session.spec, p, fingerprints(session.spec, session.state), now);
    if (flags.out) await writeFile(flags.out, JSON.stringify(doc, null, 2) + '\n');
    if (format === 'json') out(io, JSON.stringify(doc, null, 2));
    else if (format === 'markdown') out(io, renderPlanMarkdown(p, { title: `zfsync plan for ${session.spec.file}` }));
    else {
      out(io, flags.quiet ? summaryLine(p.summary) : renderPlanText(p, { color: useColor(io, flags.color) }));
      if (flags.out && !flags.quiet) out(io, `Saved the plan to ${flags.out}. Apply exactly this plan with: zfsync apply ${flags.out}`);
      // Pure, so planning again gives exactly the verdicts behind the plan's destroys.
      if (flags.retention) out(io, '\n' + renderRetentionPreview(planWithRetention(session.spec, session.state, now).retention.report));
    }
    // A host that could not be read is an error even though the rest of the plan is shown.
    if (Object.keys(session.state.unreachable ?? {}).length > 0) return 1;
    return flags.detailedExitcode && hasChanges(p) ? 2 : 0;
  } finally {
    await session.close();
  }
}
