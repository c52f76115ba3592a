import { readPlanFile } from '../../plan/document.js';
import { escapeControl } from '../../render/escape.js';
import { renderPlanMarkdown } from '../../render/plan-markdown.js';
import { renderPlanText } from '../../render/plan-text.js';
import { planFormatOf } from './plan.js';
import { out, useColor, type Io } from '../io.js';

/** Renders a saved plan from its actions (the stored summary is not trusted), every text escaped. */
export async function showCommand(io: Io, file: string, flags: { json?: boolean; color?: boolean; format?: string }): Promise<number> {
  const format = planFormatOf(flags);
  const doc = await readPlanFile(file);
  if (format === 'json') out(io, JSON.stringify(doc, null, 2));
  else if (format === 'markdown') out(io, renderPlanMarkdown(doc.plan, { title: `zfsync plan made ${doc.createdAt} from ${doc.spec.file}` }));
  else {
    out(io, escapeControl(`Plan made ${doc.createdAt} by zfsync ${doc.zfsync} from ${doc.spec.file} (sha256 ${doc.spec.hash.slice(0, 12)})`) + '\n');
    out(io, renderPlanText(doc.plan, { color: useColor(io, flags.color) }));
  }
  return 0;
}
