// The one interface every host is reached through. Local hosts spawn processes; SSH hosts
// (later) run the same argv, shell-quoted, over one connection.
import type { Readable, Writable } from 'node:stream';

/** A command as an argv vector; never a shell string. */
export type Argv = readonly string[];

export interface ProcessResult {
  /** The argv as run (for messages). */
  argv: Argv;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  /** The last few KiB of stderr. */
  stderrTail: string;
  durationMs: number;
}

export interface RunOptions {
  /** Text written to stdin. */
  input?: string;
  /** Kill the process after this long. */
  timeoutMs?: number;
}

export interface SpawnOptions {
  /**
   * Feed the child's stdin from this stream. A runner that can hands the stream's file
   * descriptor to the child, so the data never passes through JavaScript.
   */
  stdin?: Readable;
}

/** A process whose streams the caller wires up (sends and receives). */
export interface RunningProcess {
  readonly argv: Argv;
  /** Null when stdin was connected with SpawnOptions.stdin. */
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  /** Live stderr (its tail also lands in the result). */
  readonly stderr: Readable;
  /** Resolves when the process has exited and its stderr is drained. Never rejects. */
  readonly done: Promise<ProcessResult>;
  kill(signal?: NodeJS.Signals): void;
}

export interface CommandRunner {
  /** The host's name in the spec (`local`, `nas`, ...). */
  readonly host: string;
  /** Run to completion, collecting stdout. Never rejects for a non-zero exit; inspect the result. */
  run(argv: Argv, options?: RunOptions): Promise<ProcessResult>;
  /** Start a process with piped stdin/stdout. */
  spawn(argv: Argv, options?: SpawnOptions): RunningProcess;
  /** True when `spawn` with `stdin` passes the descriptor itself (no copy through JavaScript). */
  readonly directStdin: boolean;
  /** The command as a person would type it on that host (quoted), for dry runs and messages. */
  describe(argv: Argv): string;
  close(): Promise<void>;
}

export function succeeded(r: ProcessResult): boolean {
  return r.exitCode === 0;
}
