// Size estimates from `zfs send -n -P`: one `sh -s` script per source host runs the dry run
// of every planned send from that host (built by the same argv builder as the real send, plus
// `-n -P`), each between marker lines, so one round trip estimates them all.
//
// What -P prints (stdout, recorded in test/fixtures/openzfs-2.*/send-estimate.txt):
//   full\t<snapshot>\t<bytes>                  a full stream
//   incremental\t<from>\t<to>\t<bytes>         one line per snapshot of an -i/-I stream
//   size\t<bytes>                              the whole stream: what zfsync uses
import { shellJoin } from '../host/quote.js';
import { sendEstimateArgs, type SendSpec } from './commands.js';

export interface SendEstimate {
  /** The stream's estimated size; undefined when zfs could not estimate it. */
  bytes?: number;
  /** Why not (zfs's message, or what was missing from the output). */
  error?: string;
}

/**
 * The script for `sh -s -- <zfs command>`: per send `@@est N`, the dry run (stderr merged, so
 * its message lands in its own section; stdin from /dev/null, so nothing can eat the rest of
 * the script), then `@@status N <exit code>`. Dataset names never begin with `@`, and zfs's
 * messages begin with a word, so marker lines cannot be confused with zfs output.
 */
export function estimateScript(sends: readonly SendSpec[]): string {
  const lines: string[] = [];
  sends.forEach((s, i) => {
    lines.push(`echo "@@est ${i}"`, `"$@" ${shellJoin(sendEstimateArgs(s))} </dev/null 2>&1`, `echo "@@status ${i} $?"`);
  });
  lines.push('echo "@@end"');
  return lines.join('\n') + '\n';
}

const BYTES = /^\d+$/;

/** The size one dry run printed: its `size` line, else the sum of its per-snapshot lines. */
function sizeOf(lines: readonly string[]): number | undefined {
  let sum = 0;
  let parts = 0;
  for (const line of lines) {
    const f = line.split('\t');
    if (f[0] === 'size' && f.length === 2 && BYTES.test(f[1]!)) return Number(f[1]);
    if ((f[0] === 'full' && f.length === 3) || (f[0] === 'incremental' && f.length === 4)) {
      const n = f[f.length - 1]!;
      if (!BYTES.test(n)) return undefined;
      sum += Number(n);
      parts++;
    }
  }
  return parts > 0 ? sum : undefined;
}

/** One result per send of `estimateScript(sends)`, in order; anything missing or failed is unknown, never an error. */
export function parseEstimates(output: string, count: number): SendEstimate[] {
  const body = new Map<number, string[]>();
  const status = new Map<number, string>();
  let current: string[] | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    let m = /^@@est (\d+)$/.exec(line);
    if (m) {
      current = [];
      body.set(Number(m[1]), current);
      continue;
    }
    m = /^@@status (\d+) (\d+)$/.exec(line);
    if (m) {
      status.set(Number(m[1]), m[2]!);
      current = undefined;
      continue;
    }
    if (line === '@@end') current = undefined;
    else current?.push(line);
  }
  const results: SendEstimate[] = [];
  for (let i = 0; i < count; i++) {
    const lines = body.get(i);
    const code = status.get(i);
    const message = lines?.filter((l) => l.trim() !== '').join('; ');
    if (lines === undefined || code === undefined) {
      results.push({ error: 'no answer (the script stopped before this send)' });
    } else if (code !== '0') {
      results.push({ error: `exit ${code}${message ? `: ${message}` : ''}` });
    } else {
      const bytes = sizeOf(lines);
      results.push(bytes !== undefined ? { bytes } : { error: `no size in the output${message ? `: ${message}` : ''}` });
    }
  }
  return results;
}
