// A pipeline on a remote host runs as one `sh -c` command line. POSIX sh has no pipefail, so
// each stage reports its own exit status on stderr as a marker line, which is filtered out of
// the stderr that people see.
import { constants } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { shellJoin } from '../quote.js';
import type { Argv } from '../runner.js';

const MARK = '@@zfsync-exit';

/** One line, POSIX sh (csh login shells pass it to sh intact): `{ a; marker 1; } | { b; marker 2; }`. */
export function pipelineScript(stages: readonly Argv[]): string {
  return stages.map((argv, i) => `{ ${shellJoin(argv)}; printf '\\n${MARK} %s %s\\n' ${i + 1} "$?" >&2; }`).join(' | ');
}

const SIGNAL_BY_NUMBER = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** sh reports a stage killed by signal N as 128+N. */
export function statusOf(shStatus: number): { exitCode: number | null; signal: string | null } {
  if (shStatus > 128 && SIGNAL_BY_NUMBER.has(shStatus - 128)) return { exitCode: null, signal: SIGNAL_BY_NUMBER.get(shStatus - 128)! };
  return { exitCode: shStatus, signal: null };
}

/** Passes stderr through live, minus the marker lines, whose statuses it collects. */
export class StatusFilter extends Transform {
  readonly statuses = new Map<number, number>();
  private pending = '';

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.pending + chunk.toString('latin1');
    const cut = text.lastIndexOf('\n');
    let head = cut >= 0 ? text.slice(0, cut + 1) : '';
    let rest = cut >= 0 ? text.slice(cut + 1) : text;
    // A partial line that may still become a marker waits for its newline; anything else flows on (dd's \r progress).
    const couldBeMarker = rest.length < MARK.length ? MARK.startsWith(rest) : rest.startsWith(MARK);
    if (!couldBeMarker) {
      head += rest;
      rest = '';
    }
    this.pending = rest;
    const out = this.strip(head);
    if (out) this.push(Buffer.from(out, 'latin1'));
    done();
  }

  override _flush(done: TransformCallback): void {
    const out = this.strip(this.pending.endsWith('\n') ? this.pending : this.pending + '\n');
    if (out.trim()) this.push(Buffer.from(out, 'latin1'));
    done();
  }

  private strip(text: string): string {
    if (!text.includes(MARK)) return text;
    return text.replace(new RegExp(`\\n?${MARK} (\\d+) (\\d+)\\n`, 'g'), (_m, stage: string, status: string) => {
      this.statuses.set(Number(stage), Number(status));
      return '';
    });
  }
}
