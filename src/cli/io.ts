// What the CLI talks to. Tests pass their own streams; the binary passes the process's.
import type { Readable, Writable } from 'node:stream';

export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** The clock, so tests can fix it. */
  now: () => Date;
  /** Aborted (with an InterruptedError) when zfsync is told to stop: see main(). */
  signal?: AbortSignal;
}

/**
 * The process's own streams. Output is never worth an apply: a stdout or stderr whose reader
 * went away (`| head`, a closed terminal) turns writes into no-ops instead of an EPIPE crash.
 */
const dropOutputError = (): void => undefined;

export function processIo(signal?: AbortSignal): Io {
  for (const s of [process.stdout, process.stderr]) if (!s.listeners('error').includes(dropOutputError)) s.on('error', dropOutputError);
  const io: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, now: () => new Date() };
  if (signal) io.signal = signal;
  return io;
}

/** Colour only on a TTY, and never with NO_COLOR or --no-color. */
export function useColor(io: Io, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  return io.stdout.isTTY === true;
}

export const out = (io: Io, text: string): void => {
  io.stdout.write(text.endsWith('\n') ? text : text + '\n');
};
export const err = (io: Io, text: string): void => {
  io.stderr.write(text.endsWith('\n') ? text : text + '\n');
};
