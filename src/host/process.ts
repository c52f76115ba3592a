// One process wrapper (zx style): spawn an argv, never through a shell, and get back a rich
// result: exit code, signal, stdout, the tail of stderr and the duration.
//
// Every child gets a session (and process group) of its own, so a Ctrl-C in the terminal or a
// SIGHUP from a closed one reaches zfsync alone, and zfsync decides what to stop: `kill`
// signals the whole group. A SIGKILLed zfsync cannot do that; its children then run on until
// their pipes close (see README: interruption).
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { collect, type Argv, type ProcessResult, type RunOptions, type RunningProcess } from './runner.js';

const STDERR_TAIL_BYTES = 8192;
/** A process still there this long after SIGTERM gets SIGKILL. */
export const KILL_AFTER_MS = 10_000;

export class StderrTail {
  private chunks: Buffer[] = [];
  private size = 0;
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= STDERR_TAIL_BYTES && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - STDERR_TAIL_BYTES)).toString('utf8');
  }
}

/** Every child of this process that has not exited yet. */
const live = new Set<ChildProcess>();

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** The last resort of a forced exit: every running child's process group gets `signal`. */
export function killEveryChild(signal: NodeJS.Signals): number {
  for (const child of live) signalGroup(child, signal);
  return live.size;
}

export interface SpawnProcessOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: Readable;
  /** Aborting sends SIGTERM (SIGKILL after KILL_AFTER_MS); once aborted, nothing is started. */
  signal?: AbortSignal;
}

/** A process that was never started because the run was interrupted before it. */
function notStarted(argv: Argv, stdinConnected: boolean): RunningProcess {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.end();
  stderr.end();
  const stdin = stdinConnected ? null : new PassThrough().resume();
  const done = Promise.resolve<ProcessResult>({ argv, exitCode: null, signal: null, stdout: '', stderrTail: 'not started: interrupted', durationMs: 0 });
  return { argv, stdin, stdout, stderr, done, kill: () => undefined };
}

export function spawnProcess(argv: Argv, options: SpawnProcessOptions = {}): RunningProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('spawnProcess: empty argv');
  if (options.signal?.aborted) {
    options.stdin?.destroy();
    return notStarted(argv, options.stdin !== undefined);
  }
  const started = performance.now();
  const child = nodeSpawn(cmd, args, { stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'], env: options.env ?? process.env, detached: true });
  live.add(child);
  const tail = new StderrTail();
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  stderr.on('data', (c: Buffer) => tail.push(c));
  // A consumer that stops reading (or a peer that exits) must not crash the process.
  child.stdin?.on('error', () => {});
  stdout.on('error', () => {});
  let escalation: NodeJS.Timeout | undefined;
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    signalGroup(child, signal);
    if (signal !== 'SIGKILL' && !escalation) {
      escalation = setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_AFTER_MS);
      escalation.unref();
    }
  };
  const onAbort = () => kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let spawnError: Error | undefined;
  const done = new Promise<ProcessResult>((resolve) => {
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('exit', () => live.delete(child));
    child.on('close', (code, signal) => {
      live.delete(child);
      if (escalation) clearTimeout(escalation);
      options.signal?.removeEventListener('abort', onAbort);
      const stderr = tail.text();
      resolve({
        argv,
        exitCode: spawnError ? 127 : code,
        signal: signal ?? null,
        stdout: '',
        stderrTail: spawnError ? `${cmd}: ${spawnError.message}\n${stderr}` : stderr,
        durationMs: performance.now() - started,
      });
    });
  });
  return { argv, stdin: child.stdin, stdout, stderr, done, kill };
}

export function runProcess(argv: Argv, options: RunOptions = {}, env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
  const spawnOptions: SpawnProcessOptions = {};
  if (env) spawnOptions.env = env;
  if (options.signal) spawnOptions.signal = options.signal;
  return collect(spawnProcess(argv, spawnOptions), options);
}
