import { writeFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { planDocument } from '../../plan/document.js';
import { hasChanges } from '../../plan/planner.js';
import { renderPlanText } from '../../render/plan-text.js';
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
}

export async function planCommand(io: Io, flags: PlanFlags): Promise<number> {
  if (flags.out === '') throw new UsageError('--out needs a file name');
  if (flags.out) await checkOutputFile(flags.out, '--out');
  const session = await openSession(flags.config, (e) => {
    const line = flags.json ? undefined : hostLine(e);
    if (line) err(io, line);
  }, io.signal);
  try {
    const now = io.now();
    const p = await planSession(session, now);
    const doc = planDocument(session.spec, p, fingerprints(session.spec, session.state), now);
    if (flags.out) await writeFile(flags.out, JSON.stringify(doc, null, 2) + '\n');
    if (flags.json) out(io, JSON.stringify(doc, null, 2));
    else {
      out(io, renderPlanText(p, { color: useColor(io, flags.color) }));
      if (flags.out) out(io, `Saved the plan to ${flags.out}. Apply exactly this plan with: zfsync apply ${flags.out}`);
    }
    // A host that could not be read is an error even though the rest of the plan is shown.
    if (Object.keys(session.state.unreachable ?? {}).length > 0) return 1;
    return flags.detailedExitcode && hasChanges(p) ? 2 : 0;
  } finally {
    await session.close();
  }
}
