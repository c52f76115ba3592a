// zfs send | zfs receive between two runners, with a byte count for progress. Errors of
// any process fail the step with that process's own message.
import type { CommandRunner, ProcessResult, RunningProcess } from '../host/runner.js';

export interface PipeResult {
  bytes: number;
  /** The processes in stream order (send, [counter,] receive). */
  results: ProcessResult[];
  /** Undefined when every process succeeded. */
  error?: string;
}

const failed = (r: ProcessResult) => r.exitCode !== 0;
/** A writer that died only because its reader went away (a pipe gives EPIPE, a socket pair ECONNRESET). */
const readerGone = (r: ProcessResult) => r.signal === 'SIGPIPE' || r.signal === 'SIGTERM' || /broken pipe|connection reset by peer/i.test(r.stderrTail);

function describeFailure(what: string, runner: CommandRunner, r: ProcessResult): string {
  const status = r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
  const msg = r.stderrTail.trim();
  return `${what} on ${runner.host} failed (${status})${msg ? `: ${msg}` : ''}`;
}

/**
 * Counts the stream between two local processes without copying it through JavaScript:
 * `dd bs=1M status=progress` relays it in 1 MiB blocks and reports the byte count on stderr
 * every second and, exactly, when it ends.
 */
export const COUNTER_ARGV = ['dd', 'bs=1M', 'status=progress'] as const;

const DD_BYTES = /(\d+) bytes/g;

function lastByteCount(text: string): number | undefined {
  let n: number | undefined;
  for (const m of text.matchAll(DD_BYTES)) n = Number(m[1]);
  return n;
}

interface Stage {
  what: string;
  runner: CommandRunner;
  process: RunningProcess;
}

/**
 * Local to local, each process's stdout is handed to the next as its stdin (descriptors, no
 * copy through JavaScript), with a counting `dd` in the middle. Otherwise the stream is relayed
 * and counted here (remote hosts will go this way).
 */
export async function runPipe(
  sendRunner: CommandRunner,
  sendArgv: readonly string[],
  recvRunner: CommandRunner,
  recvArgv: readonly string[],
  onBytes: (total: number) => void,
): Promise<PipeResult> {
  const sender = sendRunner.spawn(sendArgv);
  sender.stdin?.end();
  const stages: Stage[] = [{ what: 'zfs send', runner: sendRunner, process: sender }];
  let bytes = 0;
  const direct = sendRunner.directStdin && recvRunner.directStdin;
  if (direct) {
    const counter = recvRunner.spawn(COUNTER_ARGV, { stdin: sender.stdout });
    // The child holds its own copy of each descriptor; ours must go, or a dead reader would leave its writer blocked.
    sender.stdout.destroy();
    let pending = '';
    counter.stderr.on('data', (chunk: Buffer) => {
      pending = (pending + chunk.toString('latin1')).slice(-512);
      const n = lastByteCount(pending);
      if (n !== undefined && n > bytes) {
        bytes = n;
        onBytes(n);
      }
    });
    const receiver = recvRunner.spawn(recvArgv, { stdin: counter.stdout });
    counter.stdout.destroy();
    stages.push({ what: 'byte counter (dd)', runner: recvRunner, process: counter }, { what: 'zfs receive', runner: recvRunner, process: receiver });
  } else {
    const receiver = recvRunner.spawn(recvArgv);
    sender.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      onBytes(bytes);
    });
    sender.stdout.pipe(receiver.stdin!);
    stages.push({ what: 'zfs receive', runner: recvRunner, process: receiver });
  }

  // When the receiver fails, stop everything upstream of it so nothing blocks on a full pipe.
  const last = stages[stages.length - 1]!;
  void last.process.done.then((r) => {
    if (!failed(r)) return;
    for (const s of stages.slice(0, -1)) {
      s.process.stdout.destroy();
      s.process.kill('SIGTERM');
    }
  });
  const results = await Promise.all(stages.map((s) => s.process.done));
  if (direct) bytes = lastByteCount(results[1]!.stderrTail) ?? bytes;

  const result: PipeResult = { bytes, results };
  // Report the processes that failed on their own; a writer whose reader died is only a consequence.
  const errors: string[] = [];
  stages.forEach((s, i) => {
    const r = results[i]!;
    if (!failed(r)) return;
    const downstreamFailed = results.slice(i + 1).some(failed);
    if (downstreamFailed && readerGone(r)) return;
    errors.push(describeFailure(s.what, s.runner, r));
  });
  if (errors.length) result.error = errors.join('\n');
  return result;
}
