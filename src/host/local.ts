import { shellJoin } from './quote.js';
import { runProcess, spawnProcess } from './process.js';
import type { Argv, CommandRunner, ProcessResult, RunOptions, RunningProcess, SpawnOptions } from './runner.js';

/** This machine. With `sudo`, every command runs through `sudo -n`. */
export class LocalRunner implements CommandRunner {
  readonly host = 'local';
  constructor(private readonly sudo = false) {}

  private wrap(argv: Argv): Argv {
    return this.sudo ? ['sudo', '-n', '--', ...argv] : argv;
  }
  run(argv: Argv, options?: RunOptions): Promise<ProcessResult> {
    return runProcess(this.wrap(argv), options);
  }
  readonly directStdin: boolean = true;
  spawn(argv: Argv, options: SpawnOptions = {}): RunningProcess {
    return spawnProcess(this.wrap(argv), undefined, options.stdin);
  }
  describe(argv: Argv): string {
    return shellJoin(this.wrap(argv));
  }
  async close(): Promise<void> {}
}
