// A pipeline on a remote host runs as one `sh -c` command line. POSIX sh has no pipefail, so
// each stage reports its own exit status on stderr as a marker line, which is filtered out of
// the stderr that people see.
//
// Stopping it: closing the channel only closes its pipes, and a stage that neither reads nor
// writes just then (a receive syncing, mbuffer draining) runs on. So the script reports its pid
// first; a SIGTERM sent to that pid (`kill` on another channel) makes it signal its whole process
// group (sshd gives every session one), and the channel closes once all of them have ended.
import { constants } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { shellJoin } from '../quote.js';
import type { Argv } from '../runner.js';

const MARK = '@@zfsync-exit';
const PID_MARK = '@@zfsync-pid';

/**
 * One line, POSIX sh (csh login shells pass it to sh intact): `{ a; marker 1; } | { b; marker 2; }`.
 * The pipeline runs in the background so that the shell's `wait` (unlike a foreground pipeline)
 * lets the TERM trap run at once; a background list's stdin would be /dev/null, hence fd 3.
 */
export function pipelineScript(stages: readonly Argv[]): string {
  const pipeline = stages.map((argv, i) => `{ ${shellJoin(argv)}; printf '\\n${MARK} %s %s\\n' ${i + 1} "$?" >&2; }${i === 0 ? ' <&3' : ''}`).join(' | ');
  return `trap 'trap - TERM; kill -TERM 0' TERM; printf '${PID_MARK} %s\\n' $$ >&2; exec 3<&0; ${pipeline} & wait`;
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
  /** The remote shell's pid, once its first line arrived. */
  pid: number | undefined;
  private readonly pidListeners: ((pid: number) => void)[] = [];

  onPid(listener: (pid: number) => void): void {
    if (this.pid !== undefined) listener(this.pid);
    else this.pidListeners.push(listener);
  }
  private pending = '';

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.pending + chunk.toString('latin1');
    const cut = text.lastIndexOf('\n');
    let head = cut >= 0 ? text.slice(0, cut + 1) : '';
    let rest = cut >= 0 ? text.slice(cut + 1) : text;
    // A partial line that may still become a marker waits for its newline; anything else flows on (dd's \r progress).
    const couldBeMarker = [MARK, PID_MARK].some((m) => (rest.length < m.length ? m.startsWith(rest) : rest.startsWith(m)));
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
    if (!text.includes('@@zfsync-')) return text;
    return text
      .replace(new RegExp(`^${PID_MARK} (\\d+)\\n`, 'm'), (_m, pid: string) => {
        this.pid = Number(pid);
        for (const l of this.pidListeners.splice(0)) l(this.pid);
        return '';
      })
      .replace(new RegExp(`\\n?${MARK} (\\d+) (\\d+)\\n`, 'g'), (_m, stage: string, status: string) => {
        this.statuses.set(Number(stage), Number(status));
        return '';
      });
  }
}
