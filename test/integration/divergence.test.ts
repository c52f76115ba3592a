// Diverged targets are refused, rolled back only when the spec allows it and the plan shows
// it, and one failing pair never stops another.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { run } from '../../src/cli/main.js';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, getProp, listSnapshots, makePools, requireZfs, stateDigest, writeRandom, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');
const names = async (ds: string) => (await listSnapshots(ds)).map((s) => s.name.slice(s.name.indexOf('@') + 1));

function spec(src: string, dst: string, policy: 'refuse' | 'rollback') {
  return `version: 1
sources:
  a: { datasets: ["${src}/a"], snapshot_every: 1h }
  b: { datasets: ["${src}/b"], snapshot_every: 1h }
targets:
  ta: { dataset: "${dst}/a", strip_path: 2, on_divergence: ${policy} }
  tb: { dataset: "${dst}/b", strip_path: 2 }
replicate:
  - { from: a, to: ta }
  - { from: b, to: tb }
`;
}

test('a target with its own snapshot is a conflict until on_divergence: rollback', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/a`, `${src}/b`]);
  await writeRandom(`${src}/a`, 'x', 100_000);
  const refuse = await specFile(t, spec(src, dst, 'refuse'));
  assert.equal((await zfsync(['apply', '-c', refuse.spec, '--auto-approve'], { now: T0 })).code, 0);

  await zfs(['snapshot', `${dst}/a@intruder`]);
  await writeRandom(`${src}/a`, 'y', 100_000);
  await writeRandom(`${src}/b`, 'y', 100_000);
  const before = await stateDigest([dst]);
  const plan = await zfsync(['plan', '-c', refuse.spec], { now: hours(T0, 1) });
  assert.match(plan.stdout, /! conflict\s+local: \S+\/a\n\s+\S+\/a has diverged: 1 snapshot after the newest common snapshot @zfsync_20261122T100000Z \(@intruder\)/);
  assert.match(plan.stdout, /resolve: set targets\.ta\.on_divergence: rollback/);

  // The conflicting pair is not touched; the other pair goes on; the exit code says so.
  const applied = await zfsync(['apply', '-c', refuse.spec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(applied.code, 1, applied.stdout);
  assert.deepEqual(await names(`${dst}/a`), ['zfsync_20261122T100000Z', 'intruder']);
  assert.deepEqual(await names(`${dst}/b`), ['zfsync_20261122T100000Z', 'zfsync_20261122T110000Z']);
  assert.notEqual(await stateDigest([dst]), before);

  const rollback = await specFile(t, spec(src, dst, 'rollback'));
  const shown = await zfsync(['plan', '-c', rollback.spec], { now: hours(T0, 1.5) });
  assert.match(shown.stdout, /-\/\+ rollback\s+local: \S+\/a@zfsync_20261122T100000Z\s+\(destroys @intruder\)/);
  assert.match(shown.stdout, /1 to roll back, 1 to destroy/);
  const fixed = await zfsync(['apply', '-c', rollback.spec, '--auto-approve'], { now: hours(T0, 1.5) });
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.deepEqual(await names(`${dst}/a`), ['zfsync_20261122T100000Z', 'zfsync_20261122T110000Z']);
  assert.deepEqual(await zfsync(['plan', '-c', rollback.spec, '--detailed-exitcode'], { now: hours(T0, 1.5) }).then((r) => r.code), 0);
});

test('a modified target fails its receive with zfs own message; the other pair still lands', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/a`, `${src}/b`]);
  const refuse = await specFile(t, spec(src, dst, 'refuse'));
  assert.equal((await zfsync(['apply', '-c', refuse.spec, '--auto-approve'], { now: T0 })).code, 0);

  // Someone mounts the copy writable and changes it (legacy ZFS cannot report `written`).
  await zfs(['set', 'readonly=off', `${dst}/a`]);
  await zfs(['set', 'canmount=on', `${dst}/a`]);
  await zfs(['mount', `${dst}/a`]);
  await writeRandom(`${dst}/a`, 'local-change', 50_000);
  await zfs(['umount', `${dst}/a`]);
  await writeRandom(`${src}/a`, 'new', 50_000);

  const applied = await zfsync(['apply', '-c', refuse.spec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(applied.code, 1);
  assert.match(applied.stdout, /FAILED: send incremental \S+\/a@zfsync_20261122T100000Z -> @zfsync_20261122T110000Z/);
  assert.match(applied.stdout, /zfs receive on local failed \(exit 1\): .*has been modified/);
  // The properties zfsync manages are set back first (drift), then the receive fails.
  assert.match(applied.stdout, /~ set +local: \S+\/a readonly=on canmount=noauto/);
  assert.match(applied.stdout, /Apply: 4 done, 1 failed, 0 skipped\./);
  assert.match(applied.stdout, /hint: .*targets\.ta\.on_divergence: rollback/);
  assert.deepEqual(await names(`${dst}/b`), ['zfsync_20261122T100000Z', 'zfsync_20261122T110000Z']);
  assert.deepEqual(await names(`${dst}/a`), ['zfsync_20261122T100000Z']);

  // With rollback allowed the plan says `recv -F` and apply converges.
  const rollback = await specFile(t, spec(src, dst, 'rollback'));
  const plan = await zfsync(['plan', '-c', rollback.spec], { now: hours(T0, 1) });
  assert.match(plan.stdout, /recv -F discards unsnapshotted changes on the target \(on_divergence: rollback\)/);
  const fixed = await zfsync(['apply', '-c', rollback.spec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(fixed.code, 0, fixed.stdout);
  assert.deepEqual(await names(`${dst}/a`), ['zfsync_20261122T100000Z', 'zfsync_20261122T110000Z']);
  assert.equal(await getProp(`${dst}/a`, 'readonly'), 'on', 'receive.readonly: true, so the drift was set back, in a `~ set` the plan showed');
});

test('a rollback destroys exactly what the plan listed: a snapshot that appears while the prompt waits stops it', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/a`, `${src}/b`]);
  const rollback = await specFile(t, spec(src, dst, 'rollback'));
  assert.equal((await zfsync(['apply', '-c', rollback.spec, '--auto-approve'], { now: T0 })).code, 0);
  await zfs(['snapshot', `${dst}/a@intruder`]);

  // The dry run shows the listed snapshot destroyed by name, then a rollback without -r.
  const dry = await zfsync(['apply', '-c', rollback.spec, '--dry-run'], { now: hours(T0, 1) });
  const commands = dry.stdout.split('\n').filter((l) => /^\[a\d+\]\s+local\$ zfs (destroy|rollback)/.test(l)).map((l) => l.replace(/^\[a\d+\]\s+local\$ /, ''));
  assert.deepEqual(commands, [`zfs destroy ${dst}/a@intruder`, `zfs rollback ${dst}/a@zfsync_20261122T100000Z`]);

  // Planned and shown with @intruder only; @late appears while the prompt waits.
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const now = hours(T0, 1);
  const running = run(['apply', '-c', rollback.spec], { stdout, stderr: new PassThrough(), stdin, env: { NO_COLOR: '1' }, now: () => now });
  for (let i = 0; i < 200 && !/destroys @intruder/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(out, /-\/\+ rollback\s+local: \S+\/a@zfsync_20261122T100000Z\s+\(destroys @intruder\)/);
  await zfs(['snapshot', `${dst}/a@late`]);
  stdin.end('yes\n');
  const code = await running;
  assert.equal(code, 1, out);
  assert.match(out, /FAILED: rollback local: \S+\/a@zfsync_20261122T100000Z/);
  assert.match(out, /skipped: a\d+ failed/, 'the send after the rollback is skipped');
  // @intruder (listed) is gone; @late (not listed) is still there; the other pair went on.
  assert.deepEqual(await names(`${dst}/a`), ['zfsync_20261122T100000Z', 'late']);
  assert.deepEqual(await names(`${dst}/b`), ['zfsync_20261122T100000Z', 'zfsync_20261122T110000Z']);
});
