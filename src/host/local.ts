import { access, constants } from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { shellJoin } from './quote.js';
import { runProcess, spawnProcess, type SpawnProcessOptions } from './process.js';
import {
  PARSEABLE_ENV,
  wrapZfs,
  zfsCommandOf,
  type Argv,
  type CommandRunner,
  type ProcessResult,
  type RunOptions,
  type RunningPipeline,
  type RunningProcess,
  type SpawnOptions,
  type ZfsInvocation,
} from './runner.js';

/** Where zfs lives when a non-login PATH (cron: /usr/bin:/bin) lacks it. */
export const SBIN_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'] as const;

/** PATH with the sbin directories it lacks appended (so a zfs the PATH has still wins). */
export function withSbin(pathVar: string | undefined): string {
  const dirs = (pathVar ?? '').split(':').filter((d) => d !== '');
  return [...dirs, ...SBIN_DIRS.filter((d) => !dirs.includes(d))].join(':');
}

/** Why `zfs` (the host's `zfs` setting) cannot be run here, or undefined when it can. */
export async function localZfsProblem(zfs: string, pathVar: string | undefined, setting: string): Promise<string | undefined> {
  const executable = (file: string) => access(file, constants.X_OK).then(() => true, () => false);
  if (zfs.includes('/')) {
    return (await executable(zfs)) ? undefined : `zfs command not found: ${zfs} does not exist or is not executable; set ${setting} to the path of zfs`;
  }
  for (const dir of withSbin(pathVar).split(':')) if (await executable(path.join(dir, zfs))) return undefined;
  return `zfs command not found: no ${zfs} on PATH (${pathVar ?? ''}) nor in ${SBIN_DIRS.join(', ')}; set ${setting} to the path of zfs`;
}

/** This machine. With `sudo`, zfs (and only zfs) runs through `sudo -n`. */
export class LocalRunner implements CommandRunner {
  readonly host: string = 'local';
  readonly zfsCommand: Argv;
  readonly directStdin: boolean = true;
  private readonly env = { ...process.env, ...PARSEABLE_ENV, PATH: withSbin(process.env.PATH) };

  constructor(private readonly invocation: ZfsInvocation = { zfs: 'zfs', sudo: false }) {
    this.zfsCommand = zfsCommandOf(invocation);
  }

  run(argv: Argv, options: RunOptions = {}): Promise<ProcessResult> {
    return runProcess(wrapZfs(argv, this.invocation), options, this.env);
  }
  spawn(argv: Argv, options: SpawnOptions = {}): RunningProcess {
    const o: SpawnProcessOptions = { env: this.env };
    if (options.stdin) o.stdin = options.stdin;
    if (options.signal) o.signal = options.signal;
    return spawnProcess(wrapZfs(argv, this.invocation), o);
  }
  spawnPipeline(stages: readonly Argv[], options: SpawnOptions = {}): RunningPipeline {
    if (stages.length === 0) throw new Error('spawnPipeline: no stages');
    const stderr = new PassThrough();
    const procs: RunningProcess[] = [];
    let input = options.stdin;
    for (const argv of stages) {
      const o: SpawnOptions = {};
      if (input) o.stdin = input;
      if (options.signal) o.signal = options.signal;
      const p = this.spawn(argv, o);
      // The child holds its own copy of the descriptor; ours must go, or a dead reader would leave its writer blocked.
      input?.destroy();
      p.stderr.pipe(stderr, { end: false });
      procs.push(p);
      input = p.stdout;
    }
    const done = Promise.all(procs.map((p) => p.done));
    void done.then(() => stderr.end());
    return {
      stdin: procs[0]!.stdin,
      stdout: procs[procs.length - 1]!.stdout,
      stderr,
      done,
      kill: (signal) => {
        // A stage's own children (sh -c) may outlive it: closing our end of its output ends them with EPIPE.
        for (const p of procs) {
          p.stdout.destroy();
          p.kill(signal);
        }
      },
    };
  }
  describe(argv: Argv): string {
    return shellJoin(wrapZfs(argv, this.invocation));
  }
  async close(): Promise<void> {}
}
