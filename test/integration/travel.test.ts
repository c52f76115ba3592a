// Which snapshots travel, on real ZFS: a transient foreign snapshot (Proxmox's @vzdump) is
// stepped over with `zfs send -i` and never reaches the target, so deleting it on the source
// later changes nothing; one that the pair names travels, and when the source deletes it after
// it was sent the plan says so instead of calling the target diverged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, destroy, listSnapshots, makePools, requireZfs, snapshot, writeRandom } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');
const STAMP = /^(?:\d{4}-\d\d-\d\dT\S+Z )?/m.source.slice(1); // apply lines may carry a timestamp
const short = (s: { name: string }) => s.name.slice(s.name.indexOf('@') + 1);

test('@vzdump is stepped over with -i, never sent, and its removal on the source changes nothing', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm`]);
  await writeRandom(`${src}/vm`, 'a', 200_000);
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}", strip_path: 1 }
replicate:
  - { from: vms, to: bk }
`,
  );
  const first = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(first.code, 0, first.stdout + first.stderr);

  // A backup tool's transient snapshot, then more data.
  await writeRandom(`${src}/vm`, 'b', 100_000);
  await snapshot(`${src}/vm@vzdump`);
  await writeRandom(`${src}/vm`, 'c', 100_000);

  const planned = await zfsync(['plan', '-c', spec], { now: hours(T0, 1) });
  assert.equal(planned.code, 0, planned.stdout + planned.stderr);
  assert.match(planned.stdout, /~ send incremental\s+local: \S+\/vm @zfsync_20261122T100000Z -> @zfsync_20261122T110000Z => \S+\/vm\s+\(-i, 1 snapshot/);
  assert.match(planned.stdout, /stepping over @vzdump \(not replicated by this pair\)/);
  assert.doesNotMatch(planned.stdout, /-> @vzdump/);

  const second = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  const onSource = await listSnapshots(`${src}/vm`);
  const onTarget = await listSnapshots(`${dst}/vm`);
  assert.deepEqual(onSource.map(short), ['zfsync_20261122T100000Z', 'vzdump', 'zfsync_20261122T110000Z']);
  assert.deepEqual(onTarget.map(short), ['zfsync_20261122T100000Z', 'zfsync_20261122T110000Z'], 'vzdump never reached the target');
  assert.deepEqual(onTarget.map((s) => s.guid), [onSource[0]!.guid, onSource[2]!.guid], 'same snapshots by GUID');

  // The backup tool removes its snapshot: nothing to do for zfsync.
  await destroy(`${src}/vm@vzdump`);
  const after = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: hours(T0, 1.5) });
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.match(after.stdout, /No changes/);
});

test('a named snapshot travels; gone on the source after it was sent, the plan says so and rollback settles it', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm`]);
  await writeRandom(`${src}/vm`, 'a', 100_000);
  const body = (divergence: string) => `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}", strip_path: 1, on_divergence: ${divergence} }
replicate:
  - { from: vms, to: bk, snapshots: ["before-*"] }
`;
  const { spec } = await specFile(t, body('refuse'));
  assert.equal((await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 })).code, 0);

  // An admin's snapshot, sent as the newest one (nothing due yet at +10 min), then deleted on the source.
  await writeRandom(`${src}/vm`, 'b', 100_000);
  await snapshot(`${src}/vm@before-upgrade`);
  const sent = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 0.2) });
  assert.equal(sent.code, 0, sent.stdout + sent.stderr);
  assert.match(sent.stdout, new RegExp(`${STAMP}.*send incremental .*@zfsync_20261122T100000Z -> @before-upgrade`));
  assert.deepEqual((await listSnapshots(`${dst}/vm`)).map(short), ['zfsync_20261122T100000Z', 'before-upgrade']);
  await destroy(`${src}/vm@before-upgrade`);

  const refused = await zfsync(['plan', '-c', spec], { now: hours(T0, 1) });
  assert.equal(refused.code, 0, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /! conflict/);
  assert.doesNotMatch(refused.stdout, /diverged/);
  assert.match(refused.stdout, /cannot take the next incremental: @before-upgrade after the newest common snapshot @zfsync_20261122T100000Z came from \S+\/vm and is gone there/);

  const { spec: rollbackSpec } = await specFile(t, body('rollback'));
  const settled = await zfsync(['apply', '-c', rollbackSpec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(settled.code, 0, settled.stdout + settled.stderr);
  const onSource = await listSnapshots(`${src}/vm`);
  const onTarget = await listSnapshots(`${dst}/vm`);
  assert.deepEqual(onTarget.map(short), ['zfsync_20261122T100000Z', 'zfsync_20261122T110000Z']);
  assert.deepEqual(onTarget.map((s) => s.guid), onSource.map((s) => s.guid));
});
