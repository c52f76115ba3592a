// Runs the zfsync CLI in-process with captured streams and a fixed clock.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { rm } from 'node:fs/promises';
import { run } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function zfsync(args: string[], opts: { now?: Date; stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const now = opts.now ?? new Date();
  const code = await run(args, {
    stdout,
    stderr,
    stdin: Readable.from(opts.stdin !== undefined ? [opts.stdin] : []),
    env: opts.env ?? { NO_COLOR: '1' },
    now: () => now,
  });
  return { code, stdout: out, stderr: err };
}

/** A temp dir removed after the test, and a spec written into it. */
export async function specFile(t: TestContext, yaml: string): Promise<{ dir: string; spec: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zfsync-spec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const spec = path.join(dir, 'zfsync.yaml');
  await writeFile(spec, yaml);
  return { dir, spec };
}

export const hours = (base: Date, h: number): Date => new Date(base.getTime() + h * 3600_000);
