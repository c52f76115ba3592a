// zfs send | zfs receive between two runners, with a byte count for progress. Errors of
// either side fail the step with that process's own message.
import type { CommandRunner, ProcessResult } from '../host/runner.js';

export interface PipeResult {
  bytes: number;
  send: ProcessResult;
  receive: ProcessResult;
  /** Undefined when both sides succeeded. */
  error?: string;
}

const failed = (r: ProcessResult) => r.exitCode !== 0;
/** A sender that died only because its reader went away. */
const brokenPipe = (r: ProcessResult) => r.signal === 'SIGPIPE' || /broken pipe/i.test(r.stderrTail);

function describeFailure(what: string, runner: CommandRunner, r: ProcessResult): string {
  const status = r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
  const msg = r.stderrTail.trim();
  return `${what} on ${runner.host} failed (${status})${msg ? `: ${msg}` : ''}`;
}

export async function runPipe(
  sendRunner: CommandRunner,
  sendArgv: readonly string[],
  recvRunner: CommandRunner,
  recvArgv: readonly string[],
  onBytes: (total: number) => void,
): Promise<PipeResult> {
  const receiver = recvRunner.spawn(recvArgv);
  const sender = sendRunner.spawn(sendArgv);
  sender.stdin.end();
  let bytes = 0;
  sender.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    onBytes(bytes);
  });
  sender.stdout.pipe(receiver.stdin);
  // A receiver that exits early must not leave the sender blocked on a full pipe.
  const receive = await receiver.done.then((r) => {
    sender.stdout.unpipe(receiver.stdin);
    sender.stdout.resume();
    if (failed(r)) sender.kill('SIGTERM');
    return r;
  });
  const send = await sender.done;
  const result: PipeResult = { bytes, send, receive };
  const errors: string[] = [];
  if (failed(receive)) errors.push(describeFailure('zfs receive', recvRunner, receive));
  if (failed(send) && !(failed(receive) && (brokenPipe(send) || send.signal === 'SIGTERM'))) {
    errors.unshift(describeFailure('zfs send', sendRunner, send));
  }
  if (errors.length) result.error = errors.join('\n');
  return result;
}
