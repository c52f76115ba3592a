// applyPlan under an aborted signal, with real processes and a stand-in for zfs that hangs: the
// running action is stopped (its process waited for), the rest never starts, and the events say so.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { it } from 'node:test';
import { applyPlan, type ApplyHost } from '../../src/apply/executor.js';
import { InterruptedError } from '../../src/errors.js';
import { LocalRunner } from '../../src/host/local.js';
import type { ZfsyncEvent } from '../../src/io/events.js';
import { lineReporter } from '../../src/render/apply-lines.js';
import type { Action, Capabilities, Plan } from '../../src/types.js';
import { specFile } from '../helpers/cli.js';

const snapshotAction = (id: string, dataset: string, dependsOn: string[] = []): Action =>
  ({ id, kind: 'snapshot', host: 'local', source: 'vms', snapshot: 'zfsync_1', datasets: [dataset], commands: [{ datasets: [dataset], recursive: false }], atomic: true, dependsOn, reason: 'test' }) as unknown as Action;

it('an aborted apply stops the running action, waits for its process, and starts nothing more', async (t) => {
  const { dir } = await specFile(t, '');
  const pidFile = path.join(dir, 'pid');
  // Writes its pid, then hangs like a zfs that waits on a busy pool.
  const stub = path.join(dir, 'zfs');
  await writeFile(stub, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 60\n`, { mode: 0o755 });
  const hosts = new Map<string, ApplyHost>([['local', { runner: new LocalRunner({ zfs: stub, sudo: false }), zfs: stub, capabilities: {} as Capabilities }]]);
  const plan = { actions: [snapshotAction('a1', 'tank/a'), snapshotAction('a2', 'tank/b'), snapshotAction('a3', 'tank/c', ['a1'])] } as unknown as Plan;
  const controller = new AbortController();
  const events: ZfsyncEvent[] = [];
  const lines: string[] = [];
  const human = lineReporter((l) => lines.push(l), { dryRun: false });
  const running = applyPlan(plan, hosts, {
    dryRun: false,
    parallelism: 1,
    signal: controller.signal,
    emit: (e) => {
      events.push(e);
      human(e);
    },
  });
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  controller.abort(new InterruptedError('SIGTERM'));
  const result = await running;

  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the hanging process was stopped and reaped');
  assert.deepEqual(result.interrupted, { signal: 'SIGTERM', stopped: ['a1'], notStarted: ['a2', 'a3'] });
  assert.deepEqual(result.failed, [], 'a stopped action is not a failure');
  assert.deepEqual(events.map((e) => e.type), ['action-start', 'command', 'action-interrupted', 'apply-interrupted']);
  assert.equal(lines.at(-1), 'Interrupted (SIGTERM): a1 snapshot local: @zfsync_1 on tank/a stopped; a2, a3 not started. The next apply resumes from the state it finds.');
  assert.equal(new InterruptedError('SIGTERM').exitCode, 143);
  assert.equal(new InterruptedError('SIGINT').exitCode, 130);
  assert.equal(new InterruptedError('SIGHUP').exitCode, 129);
});
