import { PassThrough } from 'node:stream';
import { shellJoin } from './quote.js';
import { runProcess, spawnProcess } from './process.js';
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

/** This machine. With `sudo`, zfs (and only zfs) runs through `sudo -n`. */
export class LocalRunner implements CommandRunner {
  readonly host: string = 'local';
  readonly zfsCommand: Argv;
  readonly directStdin: boolean = true;
  private readonly env = { ...process.env, ...PARSEABLE_ENV };

  constructor(private readonly invocation: ZfsInvocation = { zfs: 'zfs', sudo: false }) {
    this.zfsCommand = zfsCommandOf(invocation);
  }

  run(argv: Argv, options?: RunOptions): Promise<ProcessResult> {
    return runProcess(wrapZfs(argv, this.invocation), options, this.env);
  }
  spawn(argv: Argv, options: SpawnOptions = {}): RunningProcess {
    return spawnProcess(wrapZfs(argv, this.invocation), this.env, options.stdin);
  }
  spawnPipeline(stages: readonly Argv[], options: SpawnOptions = {}): RunningPipeline {
    if (stages.length === 0) throw new Error('spawnPipeline: no stages');
    const stderr = new PassThrough();
    const procs: RunningProcess[] = [];
    let input = options.stdin;
    for (const argv of stages) {
      const p = this.spawn(argv, input ? { stdin: input } : {});
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
