// Drift on real zfs-fuse: readonly turned off by hand on a replica is set back; a source that is
// renamed leaves an orphan the plan names and apply never destroys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, datasetExists, getProp, makePools, requireZfs, retryBusy, writeRandom, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-11-24T10:00:00Z');

test('readonly=off on a replica is set back; a renamed source leaves a named orphan', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm1`, `${src}/vm/vm2`]);
  await writeRandom(`${src}/vm/vm1`, 'd', 50_000);
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
  const replica = `${dst}/vm/vm1`;
  assert.equal(await getProp(replica, 'readonly'), 'on');
  const settled = await zfsync(['plan', '-c', spec], { now: hours(T0, 0.1) });
  assert.match(settled.stdout, /No changes/, settled.stdout);

  await zfs(['set', 'readonly=off', replica]);
  const drifted = await zfsync(['plan', '-c', spec], { now: hours(T0, 0.1) });
  assert.match(drifted.stdout, new RegExp(`~ set +local: ${replica} readonly=on  \\(was off: targets\\.bk\\.receive\\.readonly is true\\)`), drifted.stdout);
  assert.match(drifted.stdout, /1 to set/);
  const fixed = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 0.1) });
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.equal(await getProp(replica, 'readonly'), 'on');
  assert.match((await zfsync(['plan', '-c', spec], { now: hours(T0, 0.1) })).stdout, /No changes/);

  // zfs-fuse needs the source unmounted before a rename.
  await retryBusy(() => zfs(['umount', `${src}/vm/vm2`]));
  await retryBusy(() => zfs(['rename', `${src}/vm/vm2`, `${src}/vm/vm3`]));
  const orphan = `${dst}/vm/vm2`;
  const named = await zfsync(['plan', '-c', spec], { now: hours(T0, 0.2) });
  assert.match(named.stdout, new RegExp(`${orphan}: no source dataset maps to it any more \\(orphan; zfsync never destroys it\\)`), named.stdout);
  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 0.2) });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.doesNotMatch(applied.stdout, /^ *- destroy|rollback/m);
  assert.match(applied.stdout, /Plan: 1 to send, 0 snapshots, 0 to create, 0 to destroy, 0 conflicts\./);
  assert.ok(await datasetExists(orphan));
  assert.ok(await datasetExists(`${dst}/vm/vm3`));
});
