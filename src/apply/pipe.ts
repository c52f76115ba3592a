// zfs send | [transport] | zfs receive between two runners, with a byte count for progress.
// Errors of any process fail the step with that process's own message.
import { Transform, type TransformCallback } from 'node:stream';
import type { Argv, CommandRunner, ProcessResult, RunningPipeline } from '../host/runner.js';

export interface PipeResult {
  bytes: number;
  /** The processes in stream order (sender's stages, [counter,] receiver's stages). */
  results: ProcessResult[];
  /** Undefined when every process succeeded. */
  error?: string;
}

/** One process of a pipeline, and what to call it in messages (`zfs send`, `zstd`, ...). */
export interface Stage {
  argv: Argv;
  what: string;
}

/** The stages that run on one host. */
export interface PipeSide {
  runner: CommandRunner;
  stages: Stage[];
}

export interface PipeOptions {
  onBytes: (total: number) => void;
  /** Bytes per second through zfsync; forces the relay path. */
  bandwidthLimit?: number;
  /** The sender's stages include a `dd status=progress` counter (before compression): count from it. */
  countOnSender?: boolean;
  /** Aborting stops both sides; runPipe still waits for every process to end. */
  signal?: AbortSignal;
}

const failed = (r: ProcessResult) => r.exitCode !== 0;
/** A writer that died only because its reader went away (a pipe gives EPIPE, a socket pair ECONNRESET). */
const readerGone = (r: ProcessResult) => r.signal === 'SIGPIPE' || r.signal === 'SIGTERM' || /broken pipe|connection reset by peer/i.test(r.stderrTail);

function describeFailure(what: string, host: string, r: ProcessResult): string {
  const status = r.signal ? `killed by ${r.signal}` : r.exitCode === null ? 'no exit status' : `exit ${r.exitCode}`;
  const msg = r.stderrTail.trim();
  return `${what} on ${host} failed (${status})${msg ? `: ${msg}` : ''}`;
}

/**
 * Counts a stream without copying it through JavaScript: `dd bs=1M status=progress` relays it
 * in 1 MiB blocks and reports the byte count on stderr every second and, exactly, when it ends.
 */
export const COUNTER_ARGV = ['dd', 'bs=1M', 'status=progress'] as const;
export const COUNTER: Stage = { argv: COUNTER_ARGV, what: 'byte counter (dd)' };

const DD_BYTES = /(\d+) bytes/g;

function lastByteCount(text: string): number | undefined {
  let n: number | undefined;
  for (const m of text.matchAll(DD_BYTES)) n = Number(m[1]);
  return n;
}

/** Follows dd's progress lines on a stderr stream. */
function watchCounter(stderr: NodeJS.ReadableStream, onCount: (n: number) => void): void {
  let pending = '';
  stderr.on('data', (chunk: Buffer) => {
    pending = (pending + chunk.toString('latin1')).slice(-512);
    const n = lastByteCount(pending);
    if (n !== undefined) onCount(n);
  });
}

/** Holds a stream to `bytesPerSecond` on average. */
export class Throttle extends Transform {
  private sent = 0;
  private readonly started = performance.now();
  constructor(private readonly bytesPerSecond: number) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.sent += chunk.length;
    const due = (this.sent / this.bytesPerSecond) * 1000 - (performance.now() - this.started);
    if (due <= 0) return done(null, chunk);
    setTimeout(() => done(null, chunk), due);
  }
}

/**
 * Local to local, each process's stdout is handed to the next as its stdin (descriptors, no copy
 * through JavaScript), with a counting `dd` in the middle. Otherwise each side runs its stages on
 * its own host and the stream is relayed (and counted, and throttled) here.
 */
export async function runPipe(send: PipeSide, recv: PipeSide, opts: PipeOptions): Promise<PipeResult> {
  let bytes = 0;
  const report = (n: number) => {
    if (n > bytes) {
      bytes = n;
      opts.onBytes(n);
    }
  };
  const signal = opts.signal ? { signal: opts.signal } : {};
  const sender = send.runner.spawnPipeline(send.stages.map((s) => s.argv), signal);
  sender.stdin?.end();
  const direct = send.runner.directStdin && recv.runner.directStdin && opts.bandwidthLimit === undefined;
  let receiver: RunningPipeline;
  let recvStages: Stage[];
  let counterIndex: number | undefined;
  if (direct) {
    recvStages = [COUNTER, ...recv.stages];
    counterIndex = send.stages.length;
    receiver = recv.runner.spawnPipeline(recvStages.map((s) => s.argv), { stdin: sender.stdout, ...signal });
    watchCounter(receiver.stderr, report);
  } else {
    recvStages = recv.stages;
    receiver = recv.runner.spawnPipeline(recvStages.map((s) => s.argv), signal);
    let relayed = 0;
    const source = opts.bandwidthLimit !== undefined ? sender.stdout.pipe(new Throttle(opts.bandwidthLimit)) : sender.stdout;
    if (opts.countOnSender) {
      counterIndex = send.stages.findIndex((s) => s === COUNTER);
      watchCounter(sender.stderr, report);
    } else {
      source.on('data', (chunk: Buffer) => report((relayed += chunk.length)));
    }
    source.pipe(receiver.stdin!);
  }
  // Nobody else reads the merged stderr streams (the tails are kept per process).
  sender.stderr.resume();
  receiver.stderr.resume();

  // When the receiving side ends first (failed, or a lost connection), stop the sender so nothing blocks on a full pipe.
  void receiver.done.then((rs) => {
    if (!rs.some(failed)) return;
    sender.kill('SIGTERM');
    // A relay whose reader is gone stops pulling (backpressure), and a remote sender's channel
    // cannot close while its output sits unread: drain what is left into nothing.
    if (!direct) {
      sender.stdout.unpipe();
      sender.stdout.resume();
    }
  });
  const [sent, received] = await Promise.all([sender.done, receiver.done]);
  const stages = [...send.stages.map((s) => ({ ...s, host: send.runner.host })), ...recvStages.map((s) => ({ ...s, host: recv.runner.host }))];
  const results = [...sent, ...received];
  if (counterIndex !== undefined && counterIndex >= 0) bytes = lastByteCount(results[counterIndex]!.stderrTail) ?? bytes;

  const result: PipeResult = { bytes, results };
  // Report the processes that failed on their own; a writer whose reader died is only a consequence.
  const errors: string[] = [];
  stages.forEach((s, i) => {
    const r = results[i]!;
    if (!failed(r)) return;
    const downstreamFailed = results.slice(i + 1).some(failed);
    if (downstreamFailed && readerGone(r)) return;
    const line = describeFailure(s.what, s.host, r);
    // A remote pipeline shares one stderr: say it once.
    if (!errors.includes(line)) errors.push(line);
  });
  if (errors.length) result.error = errors.join('\n');
  return result;
}
