// The state read over SSH: two round trips per host whatever the number of datasets, only the
// roots the spec selects, and roots that do not exist failing only the pairs that need them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { sshHost } from '../helpers/ssh-spec.js';
import { requireSshd, startSshd } from '../helpers/sshd.js';
import { createDatasets, listSnapshots, makePools, removeLockFiles, requireZfs, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');

test('missing roots are conflicts of their own pairs; the read is two sessions per host', async (t) => {
  if (!(await requireZfs(t)) || !(await requireSshd(t))) return;
  const server = await startSshd(t);
  const { src, dst } = await makePools(t, ['src', 'dst']);
  const leaves = Array.from({ length: 12 }, (_, i) => `${src}/vm/d${i}`);
  await createDatasets([...leaves, `${src}/elsewhere`]);
  await zfs(['snapshot', '-r', `${src}/vm@before`]);
  const noPool = `nopool${process.pid}`;
  t.after(() => removeLockFiles([noPool])); // apply locks the target root whether or not its pool exists
  const { spec } = await specFile(
    t,
    `version: 1
hosts:
${sshHost('nas', server)}
sources:
  vms: { host: nas, datasets: ["${src}/vm"], snapshot_every: 1h }
  ghost: { host: nas, datasets: ["${src}/not-there"], snapshot_every: 1h }
targets:
  copy: { dataset: "${dst}/copy", strip_path: 1 }
  lost: { dataset: "${noPool}/copy" }
replicate:
  - { from: vms, to: copy }
  - { from: ghost, to: copy }
  - { from: vms, to: lost }
`,
  );
  const before = (await server.log()).match(/Starting session/g)?.length ?? 0;
  const plan = await zfsync(['plan', '-c', spec], { now: T0 });
  const sessions = ((await server.log()).match(/Starting session/g)?.length ?? 0) - before;
  assert.equal(sessions, 2, `probe + state read, whatever the number of datasets; sshd log:\n${await server.log()}`);
  assert.match(plan.stdout, new RegExp(`! conflict\\s+nas: ${src}/not-there`));
  assert.match(plan.stdout, new RegExp(`! conflict\\s+local: ${noPool}\\n\\s+pool ${noPool} does not exist on local`));
  assert.match(plan.stdout, new RegExp(`\\+ send full\\s+nas -> local: ${src}/vm/d0 @`));
  assert.doesNotMatch(plan.stdout, /elsewhere/);

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 1, 'conflicts make the exit code 1');
  assert.doesNotMatch(applied.stdout + applied.stderr, /internal error|cannot read ZFS state/);
  // The first send carries the newest snapshot (initial: newest), the one this apply took.
  const source = await listSnapshots(`${src}/vm/d11`);
  assert.equal(source.length, 2);
  assert.deepEqual((await listSnapshots(`${dst}/copy/vm/d11`)).map((s) => s.guid), [source[1]!.guid]);
});
