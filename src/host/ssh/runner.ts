// A remote host over one ssh2 connection: every command is an exec channel of that
// connection, its argv quoted by the one quoting function and run in the C locale.
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { shellJoin } from '../quote.js';
import {
  collect,
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
} from '../runner.js';
import { SBIN_DIRS } from '../local.js';
import { KILL_AFTER_MS, StderrTail } from '../process.js';
import { pipelineScript, StatusFilter, statusOf } from './pipeline.js';

/**
 * Feeds a channel with the socket corked around each write: ssh2 writes every packet (32 KiB
 * at most) on its own, one syscall each, and leaves the pipe at about 60 % of OpenSSH's
 * throughput; corked, one chunk's packets leave in one writev.
 */
function pumpCorked(from: Readable, ch: ClientChannel, socket: Socket): void {
  from.on('data', (chunk: Buffer) => {
    socket.cork();
    const ok = ch.write(chunk);
    socket.uncork();
    if (!ok) {
      from.pause();
      ch.once('drain', () => from.resume());
    }
  });
  from.once('end', () => ch.end());
}

export class SshRunner implements CommandRunner {
  readonly directStdin = false;
  readonly zfsCommand: Argv;
  private readonly open = new Set<() => void>();
  private lost: string | undefined;
  private readonly client: Client;
  private readonly socket: Socket;

  constructor(
    readonly host: string,
    { client, socket }: { client: Client; socket: Socket },
    private readonly invocation: ZfsInvocation,
    /** `user@host:port`, for messages. */
    readonly address: string,
  ) {
    this.client = client;
    this.socket = socket;
    this.zfsCommand = zfsCommandOf(invocation);
    const onGone = (why: string) => {
      this.lost ??= why;
      for (const abort of [...this.open]) abort();
    };
    client.on('close', () => onGone(`connection to ${host} (${address}) lost`));
    client.on('error', (e: Error) => onGone(`connection to ${host} (${address}) lost: ${e.message}`));
  }

  /**
   * The command line sent to the remote login shell: `env` works under sh and csh alike. A
   * non-interactive PATH often lacks the sbin directories where zfs lives: they are appended
   * (`${PATH}`, braced for csh, so the remote's own PATH still wins).
   */
  commandLine(argv: Argv): string {
    return `env LC_ALL=C "PATH=\${PATH}:${SBIN_DIRS.join(':')}" ${shellJoin(wrapZfs(argv, this.invocation))}`;
  }

  describe(argv: Argv): string {
    return shellJoin(wrapZfs(argv, this.invocation));
  }

  spawn(argv: Argv, options: SpawnOptions = {}): RunningProcess {
    const p = this.start(argv, options);
    const { signal } = options;
    if (signal && !signal.aborted) {
      const onAbort = () => p.kill('SIGTERM');
      signal.addEventListener('abort', onAbort, { once: true });
      void p.done.then(() => signal.removeEventListener('abort', onAbort));
    }
    return p;
  }

  /** An exec channel; `options.signal` only keeps it from starting once aborted. */
  private start(argv: Argv, options: SpawnOptions): RunningProcess {
    const started = performance.now();
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const tail = new StderrTail();
    stderr.on('data', (c: Buffer) => tail.push(c));
    let channel: ClientChannel | undefined;
    let killed: NodeJS.Signals | undefined;
    let exitCode: number | null = null;
    let signal: string | null = null;
    let settle!: (r: ProcessResult) => void;
    const done = new Promise<ProcessResult>((resolve) => (settle = resolve));
    let finished = false;
    const finish = (extra?: string) => {
      if (finished) return;
      finished = true;
      this.open.delete(abort);
      if (!stdout.writableEnded) stdout.end();
      if (!stderr.writableEnded) stderr.end();
      // Let stderr drain into the tail before reporting.
      setImmediate(() => {
        const text = tail.text();
        settle({
          argv,
          exitCode,
          signal,
          stdout: '',
          stderrTail: extra ? (text ? `${text.trimEnd()}\n${extra}` : extra) : text,
          durationMs: performance.now() - started,
        });
      });
    };
    const abort = () => {
      channel?.destroy();
      finish(this.lost ?? `connection to ${this.host} lost`);
    };
    if (this.lost || options.signal?.aborted) {
      options.stdin?.destroy();
      const why = this.lost ?? 'not started: interrupted';
      queueMicrotask(() => finish(why));
    } else {
      this.open.add(abort);
      this.client.exec(this.commandLine(argv), (err, ch) => {
        if (err) return finish(`cannot run a command on ${this.host}: ${err.message}`);
        channel = ch;
        if (killed) {
          ch.close();
        }
        ch.on('exit', (code: number | null, sig?: string) => {
          exitCode = code;
          if (sig) signal = sig;
        });
        ch.on('close', () => finish(exitCode === null && signal === null && !killed ? `${this.host}: the command ended without an exit status (connection dropped?)` : undefined));
        ch.on('error', () => undefined);
        ch.stderr.on('error', () => undefined);
        ch.pipe(stdout);
        ch.stderr.pipe(stderr);
        pumpCorked(stdin, ch, this.socket);
      });
    }
    if (options.stdin) options.stdin.pipe(stdin);
    stdout.on('error', () => undefined);
    stdin.on('error', () => undefined);
    return {
      argv,
      stdin: options.stdin ? null : stdin,
      stdout,
      stderr,
      done,
      kill: (sig: NodeJS.Signals = 'SIGTERM') => {
        killed = sig;
        if (!channel) return;
        try {
          channel.signal(sig.replace(/^SIG/, ''));
        } catch {
          // Not every server takes signals; closing the channel ends the remote process too.
        }
        channel.close();
      },
    };
  }

  spawnPipeline(stages: readonly Argv[], options: SpawnOptions = {}): RunningPipeline {
    if (stages.length === 0) throw new Error('spawnPipeline: no stages');
    // Even one stage runs through the script: it is what can be stopped as a whole (see pipeline.ts).
    const wrapped = stages.map((argv) => wrapZfs(argv, this.invocation));
    const p = this.start(['sh', '-c', pipelineScript(wrapped)], options);
    const filter = new StatusFilter();
    let killing: NodeJS.Timeout | undefined;
    const kill = (sig: NodeJS.Signals = 'SIGTERM') => {
      if (sig === 'SIGKILL') return p.kill('SIGKILL');
      if (killing) return;
      filter.onPid((pid) => void this.run(['kill', `-${sig.replace(/^SIG/, '')}`, String(pid)]));
      // A remote side that does not answer (or never said its pid) loses its channel instead.
      killing = setTimeout(() => p.kill('SIGKILL'), KILL_AFTER_MS);
      killing.unref();
    };
    const { signal } = options;
    const onAbort = () => kill('SIGTERM');
    if (signal && !signal.aborted) signal.addEventListener('abort', onAbort, { once: true });
    void p.done.then(() => {
      if (killing) clearTimeout(killing);
      signal?.removeEventListener('abort', onAbort);
    });
    p.stderr.pipe(filter);
    const tail = new StderrTail();
    filter.on('data', (c: Buffer) => tail.push(c));
    const done = p.done.then(async (r) => {
      if (!filter.writableFinished) await new Promise((resolve) => filter.once('finish', resolve));
      const text = tail.text();
      const lost = r.exitCode === null && r.signal === null ? r.stderrTail.split('\n').pop() ?? '' : '';
      return stages.map((argv, i): ProcessResult => {
        const status = filter.statuses.get(i + 1);
        const { exitCode, signal } = status === undefined ? { exitCode: null, signal: null } : statusOf(status);
        return { argv, exitCode, signal, stdout: '', stderrTail: status === undefined && lost ? `${text.trimEnd()}\n${lost}`.trim() : text, durationMs: r.durationMs };
      });
    });
    return { stdin: p.stdin, stdout: p.stdout, stderr: filter, done, kill };
  }

  run(argv: Argv, options: RunOptions = {}): Promise<ProcessResult> {
    return collect(this.spawn(argv, options.signal ? { signal: options.signal } : {}), options);
  }

  async close(): Promise<void> {
    if (this.lost) return;
    await new Promise<void>((resolve) => {
      this.client.once('close', () => resolve());
      this.client.end();
      setTimeout(resolve, 2000).unref();
    });
  }
}
