// The CLI: parses flags, runs one command, and maps every error to a message and an exit code.
import { Command, CommanderError, Option } from 'commander';
import { InterruptedError, StalePlanError, ZfsyncError } from '../errors.js';
import { killEveryChild } from '../host/process.js';
import { VERSION } from '../version.js';
import { applyCommand } from './commands/apply.js';
import { forceUnlockCommand } from './commands/force-unlock.js';
import { permissionsCommand } from './commands/permissions.js';
import { planCommand } from './commands/plan.js';
import { showCommand } from './commands/show.js';
import { statusCommand } from './commands/status.js';
import { validateCommand } from './commands/validate.js';
import { err, processIo, type Io } from './io.js';
import { systemErrorLine } from './system-errors.js';

function program(io: Io, setCode: (code: number) => void): Command {
  const p = new Command('zfsync')
    .description('Declarative plan/apply for ZFS snapshots and replication')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const config = () => new Option('-c, --config <file>', 'spec file').default('zfsync.yaml');

  p.command('validate')
    .description('check the spec file and exit')
    .addOption(config())
    .action(async (o: { config: string }) => setCode(await validateCommand(io, o)));

  p.command('plan')
    .description('read every host and show what apply would change; changes nothing')
    .addOption(config())
    .option('--out <file>', 'save the plan for `zfsync apply <file>`')
    .option('--json', 'print the plan as a versioned JSON document (same as --format json)')
    .option('--format <format>', 'text, json or markdown (a summary table and one table per pair, for a pull request comment)')
    .option('--quiet', 'print only errors and the summary line')
    .option('--retention', 'also list every zfsync snapshot under a retention policy, per dataset and side: keep (and why) or destroy')
    .option('--detailed-exitcode', 'exit 0 when there is nothing to do, 2 when there are changes or conflicts')
    .option('--no-color', 'no colours (also NO_COLOR, or when stdout is not a terminal)')
    .action(async (o) => setCode(await planCommand(io, o)));

  p.command('apply')
    .description('make the changes: from a fresh plan (asks first), or exactly those of a saved plan')
    .argument('[plan-file]', 'a plan saved with `zfsync plan --out`')
    .addOption(config())
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--dry-run', 'print every command in order and run none that change anything')
    .option('--parallelism <n>', 'how many host pairs may stream at once (one stream per target pool)', '2')
    .option('--lock-timeout <duration>', 'wait this long (30s, 5m) for a lock another apply holds; 0 fails at once', '0')
    .option('--json', 'events as JSON lines')
    .option('--quiet', 'print only errors and the summary lines')
    .option('--no-color', 'no colours')
    .action(async (file: string | undefined, o) => setCode(await applyCommand(io, file, o)));

  p.command('force-unlock')
    .description('remove a lock an apply left behind (its id is in the "locked by" message); ends its holder process if it still runs')
    .argument('<lock-id>')
    .addOption(config())
    .action(async (id: string, o: { config: string }) => setCode(await forceUnlockCommand(io, id, o)));

  p.command('show')
    .description('render a saved plan')
    .argument('<plan-file>')
    .option('--json', 'print the document as JSON (same as --format json)')
    .option('--format <format>', 'text, json or markdown')
    .option('--no-color', 'no colours')
    .action(async (file: string, o) => setCode(await showCommand(io, file, o)));

  p.command('status')
    .description('per pair and dataset: newest common snapshot, lag, pending snapshots, conflicts; changes nothing')
    .addOption(config())
    .option('--max-lag <duration>', 'exit 1 when a dataset is behind by more than this (25h), never replicated, or its host unreachable')
    .option('--json', 'print the status as a versioned JSON document')
    .option('--no-color', 'no colours (also NO_COLOR, or when stdout is not a terminal)')
    .action(async (o) => setCode(await statusCommand(io, o)));

  p.command('permissions')
    .description('print the `zfs allow` lines (or the sudo rule) a non-root user needs on each host; reads only the spec')
    .addOption(config())
    .option('--json', 'print them as a versioned JSON document')
    .action(async (o: { config: string; json?: boolean }) => setCode(await permissionsCommand(io, o)));

  return p;
}

/** Control characters (ANSI escapes from a file, a NUL) never reach the terminal as such. */
const printable = (s: string) => s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  const interrupted = () => (io.signal?.aborted && io.signal.reason instanceof InterruptedError ? io.signal.reason : undefined);
  const code = await runCommand(argv, io);
  // Whatever the command made of it, an interrupted run exits 128 + the signal number.
  return interrupted()?.exitCode ?? code;
}

async function runCommand(argv: string[], io: Io): Promise<number> {
  let code = 0;
  const p = program(io, (c) => (code = c));
  if (argv.length === 0) {
    io.stderr.write(p.helpInformation());
    return 1;
  }
  try {
    await p.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; commander already printed its message.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 1;
    }
    const stop = io.signal?.aborted ? io.signal.reason : undefined;
    if (stop instanceof InterruptedError && e instanceof ZfsyncError) {
      // Stopped before applying anything (while reading, planning or asking): the error is only a consequence.
      err(io, stop.message);
      return stop.exitCode;
    }
    if (e instanceof StalePlanError) {
      err(io, `Error: ${printable(e.message)}`);
      err(io, e.diff);
      return e.exitCode;
    }
    if (e instanceof ZfsyncError) {
      err(io, `Error: ${printable(e.message)}`);
      return e.exitCode;
    }
    const system = systemErrorLine(e);
    if (system) {
      err(io, `Error: ${printable(system)}`);
      return 1;
    }
    err(io, `zfsync: internal error (a bug; please report it):\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The binary: SIGINT, SIGTERM and SIGHUP abort one AbortController, whose signal reaches every
 * running process through applyPlan and the runners; they are stopped and waited for, the
 * commands' `finally` blocks run, and the exit code is 130, 143 or 129. A second signal exits
 * at once, SIGKILLing the local processes (remote ones end with the connection).
 */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const io = processIo(controller.signal);
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      killEveryChild('SIGKILL');
      err(io, `Stopped at once (${signal}): local processes killed; the next apply resumes from the state it finds.`);
      process.exit((controller.signal.reason as InterruptedError).exitCode);
    }
    err(io, `Stopping (${signal}): ending what runs and waiting for it; a second signal stops at once.`);
    controller.abort(new InterruptedError(signal));
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    return await run(argv, io);
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}
