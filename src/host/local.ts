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
  describe(argv: Argv): string {
    return shellJoin(wrapZfs(argv, this.invocation));
  }
  async close(): Promise<void> {}
}
