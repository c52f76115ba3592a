import { UsageError } from '../../errors.js';
import { statusDocument } from '../../render/status-json.js';
import { renderStatusText } from '../../render/status-text.js';
import { durationProblem, parseDuration } from '../../spec/duration.js';
import { lagFailures, statusReport } from '../../status/report.js';
import { err, out, useColor, type Io } from '../io.js';
import { openSession } from '../session.js';
import { hostLine } from './common.js';

export interface StatusFlags {
  config: string;
  maxLag?: string;
  json?: boolean;
  color?: boolean;
}

/**
 * Reads every host like `plan` (one batched read each, no lock) and reports replication
 * health; changes nothing. Exit 1 when a host is unreachable or, with --max-lag, anything is behind.
 */
export async function statusCommand(io: Io, flags: StatusFlags): Promise<number> {
  let maxLagSeconds: number | null = null;
  if (flags.maxLag !== undefined) {
    const problem = durationProblem(flags.maxLag);
    if (problem) throw new UsageError(`--max-lag: ${problem}`);
    maxLagSeconds = parseDuration(flags.maxLag)!;
  }
  const session = await openSession(flags.config, (e) => {
    const line = flags.json && e.type !== 'host-failed' ? undefined : hostLine(e);
    if (line) err(io, line);
  }, io.signal);
  try {
    const report = statusReport(session.spec, session.state, io.now(), maxLagSeconds);
    if (flags.json) out(io, JSON.stringify(statusDocument(session.spec, report), null, 2));
    else {
      const opts = flags.maxLag !== undefined ? { color: useColor(io, flags.color), maxLag: flags.maxLag } : { color: useColor(io, flags.color) };
      out(io, renderStatusText(report, opts));
    }
    if (maxLagSeconds !== null) {
      const failing = lagFailures(report);
      if (failing.length) {
        err(io, `Error: ${failing.length} behind --max-lag ${flags.maxLag}: ${failing.join('; ')}`);
        return 1;
      }
    }
    return report.summary.unreachableHosts.length > 0 ? 1 : 0;
  } finally {
    await session.close();
  }
}
