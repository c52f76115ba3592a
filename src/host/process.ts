// One process wrapper (zx style): spawn an argv, never through a shell, and get back a rich
// result: exit code, signal, stdout, the tail of stderr and the duration.
import { spawn as nodeSpawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { collect, type Argv, type ProcessResult, type RunOptions, type RunningProcess } from './runner.js';

const STDERR_TAIL_BYTES = 8192;

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

export function spawnProcess(argv: Argv, env?: NodeJS.ProcessEnv, stdin?: Readable): RunningProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('spawnProcess: empty argv');
  const started = performance.now();
  const child = nodeSpawn(cmd, args, { stdio: [stdin ?? 'pipe', 'pipe', 'pipe'], env: env ?? process.env });
  const tail = new StderrTail();
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  stderr.on('data', (c: Buffer) => tail.push(c));
  // A consumer that stops reading (or a peer that exits) must not crash the process.
  child.stdin?.on('error', () => {});
  stdout.on('error', () => {});
  let spawnError: Error | undefined;
  const done = new Promise<ProcessResult>((resolve) => {
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
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
  return {
    argv,
    stdin: child.stdin,
    stdout,
    stderr,
    done,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      child.kill(signal);
    },
  };
}

export function runProcess(argv: Argv, options: RunOptions = {}, env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return collect(spawnProcess(argv, env), options);
}
