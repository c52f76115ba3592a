// What the CLI talks to. Tests pass their own streams; the binary passes the process's.
import type { Readable, Writable } from 'node:stream';

export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** The clock, so tests can fix it. */
  now: () => Date;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, now: () => new Date() };
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
