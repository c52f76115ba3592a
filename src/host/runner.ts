// The one interface every host is reached through. Local hosts spawn processes; SSH hosts
// run the same argv, shell-quoted, as channels of one connection.
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
  /** Aborting stops the process (SIGTERM); once aborted, nothing is started. */
  signal?: AbortSignal;
}

export interface SpawnOptions {
  /**
   * Feed the child's stdin from this stream. A runner that can (`directStdin`) hands the
   * stream's file descriptor to the child, so the data never passes through JavaScript, and
   * `spawnPipeline` then closes the caller's copy.
   */
  stdin?: Readable;
  /** Aborting stops the process, or the whole pipeline, and the runner waits for it to end; once aborted, nothing is started. */
  signal?: AbortSignal;
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

/** Processes chained stdout -> stdin on one host (`a | b | c`), started and watched as one. */
export interface RunningPipeline {
  /** The first stage's stdin; null when it was connected with SpawnOptions.stdin. */
  readonly stdin: Writable | null;
  /** The last stage's stdout. */
  readonly stdout: Readable;
  /** Every stage's stderr, merged, live. */
  readonly stderr: Readable;
  /** One result per stage, in order, once all have ended. Never rejects. */
  readonly done: Promise<ProcessResult[]>;
  kill(signal?: NodeJS.Signals): void;
}

export interface CommandRunner {
  /** The host's name in the spec (`local`, `nas`, ...). */
  readonly host: string;
  /**
   * How zfs is invoked there, as an argv prefix: `['zfs']`, or `['sudo', '-n', '--', '/usr/sbin/zfs']`
   * with `sudo: true`. An argv whose first word is the host's zfs path gets this prefix from
   * `run`/`spawn`; scripts receive it as their arguments (see `scriptArgv`).
   */
  readonly zfsCommand: Argv;
  /** Run to completion, collecting stdout. Never rejects for a non-zero exit; inspect the result. */
  run(argv: Argv, options?: RunOptions): Promise<ProcessResult>;
  /** Start a process with piped stdin/stdout. */
  spawn(argv: Argv, options?: SpawnOptions): RunningProcess;
  /** Start `stages[0] | stages[1] | ...` on this host; each stage's exit status is reported on its own. */
  spawnPipeline(stages: readonly Argv[], options?: SpawnOptions): RunningPipeline;
  /** True when `spawn` with `stdin` passes the descriptor itself (no copy through JavaScript). */
  readonly directStdin: boolean;
  /** The command as a person would type it on that host (quoted), for dry runs and messages. */
  describe(argv: Argv): string;
  close(): Promise<void>;
}

export function succeeded(r: ProcessResult): boolean {
  return r.exitCode === 0;
}

/** How a host runs zfs: the path there, and whether through `sudo -n` (zfs only, never anything else). */
export interface ZfsInvocation {
  zfs: string;
  sudo: boolean;
}

export function zfsCommandOf(z: ZfsInvocation): string[] {
  return z.sudo ? ['sudo', '-n', '--', z.zfs] : [z.zfs];
}

/** Puts `sudo -n --` in front of a zfs argv; any other command runs as it is. */
export function wrapZfs(argv: Argv, z: ZfsInvocation): Argv {
  return z.sudo && argv[0] === z.zfs ? ['sudo', '-n', '--', ...argv] : argv;
}

/**
 * A multi-command script goes to `sh -s` on stdin (never as one `sh -c` argument: that is
 * capped at 128 KiB and a csh login shell misreads it); the zfs command arrives as "$@".
 */
export function scriptArgv(runner: Pick<CommandRunner, 'zfsCommand'>): string[] {
  return ['sh', '-s', '--', ...runner.zfsCommand];
}

/** Runs a script through `sh -s` and collects its output (small outputs only: the probe, estimates). */
export function runScript(runner: CommandRunner, script: string, options: Omit<RunOptions, 'input'> = {}): Promise<ProcessResult> {
  return runner.run(scriptArgv(runner), { ...options, input: script });
}

/** Tools whose output zfsync parses run in the C locale (a localised `dd` changes its byte count line). */
export const PARSEABLE_ENV = { LC_ALL: 'C' } as const;

/** Feeds `input` to a started process and collects its stdout; SIGKILL after `timeoutMs`. The body of every runner's `run`. */
export async function collect(p: RunningProcess, options: RunOptions = {}): Promise<ProcessResult> {
  const out: Buffer[] = [];
  p.stdout.on('data', (c: Buffer) => out.push(c));
  p.stdin?.end(options.input ?? '');
  const timer = options.timeoutMs ? setTimeout(() => p.kill('SIGKILL'), options.timeoutMs) : undefined;
  const result = await p.done;
  if (timer) clearTimeout(timer);
  return { ...result, stdout: Buffer.concat(out).toString('utf8') };
}
