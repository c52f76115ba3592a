// zfs send | zfs receive between two runners, with a byte count for progress. Errors of
// either side fail the step with that process's own message.
import { readFile } from 'node:fs/promises';
import type { CommandRunner, ProcessResult, RunningProcess } from '../host/runner.js';

export interface PipeResult {
  /** Bytes that went through; sampled (so possibly a little short) on a direct hand-off. */
  bytes?: number;
  send: ProcessResult;
  receive: ProcessResult;
  /** Undefined when both sides succeeded. */
  error?: string;
}

const failed = (r: ProcessResult) => r.exitCode !== 0;
/** A sender that died only because its reader went away (a pipe gives EPIPE, a socket pair ECONNRESET). */
const readerGone = (r: ProcessResult) => r.signal === 'SIGPIPE' || r.signal === 'SIGTERM' || /broken pipe|connection reset by peer/i.test(r.stderrTail);

function describeFailure(what: string, runner: CommandRunner, r: ProcessResult): string {
  const status = r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
  const msg = r.stderrTail.trim();
  return `${what} on ${runner.host} failed (${status})${msg ? `: ${msg}` : ''}`;
}

/** Bytes a local process has written so far (Linux /proc), or undefined. */
async function bytesWritten(pid: number): Promise<number | undefined> {
  try {
    const m = /^wchar:\s*(\d+)$/m.exec(await readFile(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const SAMPLE_MS = 200;

/**
 * When the receiver's runner can take the sender's stdout as its stdin (both local), the
 * stream goes from process to process without passing through JavaScript, and progress is
 * sampled from the sender's I/O counters. Otherwise it is relayed and counted here.
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
  const direct = recvRunner.directStdin && sendRunner.directStdin && sender.pid !== undefined;
  let receiver: RunningProcess;
  let bytes: number | undefined;
  let sampler: NodeJS.Timeout | undefined;
  if (direct) {
    receiver = recvRunner.spawn(recvArgv, { stdin: sender.stdout });
    // The receiver holds its own copy; ours must go, or a dead receiver would leave the sender blocked.
    sender.stdout.destroy();
    const pid = sender.pid!;
    sampler = setInterval(() => {
      void bytesWritten(pid).then((n) => {
        if (n !== undefined && n > (bytes ?? 0)) {
          bytes = n;
          onBytes(n);
        }
      });
    }, SAMPLE_MS);
  } else {
    receiver = recvRunner.spawn(recvArgv);
    const stdin = receiver.stdin!;
    bytes = 0;
    sender.stdout.on('data', (chunk: Buffer) => {
      bytes! += chunk.length;
      onBytes(bytes!);
    });
    sender.stdout.pipe(stdin);
  }
  // A receiver that exits early must not leave the sender blocked on a full pipe.
  const receive = await receiver.done.then((r) => {
    if (failed(r)) {
      // Closing our end gives the sender EPIPE even where SIGTERM reaches only a wrapper.
      sender.stdout.unpipe();
      sender.stdout.destroy();
      sender.kill('SIGTERM');
    }
    return r;
  });
  const send = await sender.done;
  if (sampler) clearInterval(sampler);
  const result: PipeResult = { send, receive };
  if (bytes !== undefined) result.bytes = bytes;
  const errors: string[] = [];
  if (failed(receive)) errors.push(describeFailure('zfs receive', recvRunner, receive));
  if (failed(send) && !(failed(receive) && readerGone(send))) {
    errors.unshift(describeFailure('zfs send', sendRunner, send));
  }
  if (errors.length) result.error = errors.join('\n');
  return result;
}
