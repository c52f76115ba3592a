// A source dataset that is renamed or destroyed never causes a destroy on the target.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, datasetExists, destroy, listSnapshots, makePools, requireZfs, retryBusy, stateDigest, writeRandom, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');

test('renamed and vanished sources leave their copies alone', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm1`, `${src}/vm/vm2`]);
  await writeRandom(`${src}/vm/vm1`, 'd', 100_000);
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}", strip_path: 1, on_divergence: rollback }
replicate:
  - { from: vms, to: bk }
`,
  );
  assert.equal((await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 })).code, 0);
  const copies = await stateDigest([dst]);

  // zfs-fuse cannot unmount by itself for a rename started from here; unmount first.
  await retryBusy(() => zfs(['umount', `${src}/vm/vm1`]));
  await retryBusy(() => zfs(['rename', `${src}/vm/vm1`, `${src}/vm/vm9`]));
  await destroy(`${src}/vm/vm2`, { recursive: true });
  const r = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 0.2) });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /rollback|destroy @/);
  assert.match(r.stdout, /\+ send full\s+local: \S+\/vm\/vm9 @zfsync_20261122T100000Z => \S+\/vm\/vm9/);
  assert.ok(await datasetExists(`${dst}/vm/vm1`));
  assert.ok(await datasetExists(`${dst}/vm/vm2`));
  assert.equal((await listSnapshots(`${dst}/vm/vm2`)).length, 1);
  // Everything that was there is still there, byte for byte by GUID.
  const now = await stateDigest([dst]);
  for (const line of copies.split('\n')) assert.ok(now.includes(line), `kept: ${line}`);
});
