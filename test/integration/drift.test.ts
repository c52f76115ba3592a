// Drift on real zfs-fuse: readonly and canmount changed by hand on a replica are set back, a mount is a conflict; a source that is
// renamed leaves an orphan the plan names and apply never destroys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, datasetExists, getProp, makePools, requireZfs, retryBusy, writeRandom, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-11-24T10:00:00Z');

test('readonly=off and canmount=on on a replica are set back, its mount is a conflict; a renamed source leaves a named orphan', async (t) => {
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

  // Mounted by hand (canmount=on first): the property is set back, the mount only reported.
  await zfs(['set', 'canmount=on', replica]);
  await retryBusy(() => zfs(['mount', replica]));
  const mounted = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 0.1) });
  assert.match(mounted.stdout, new RegExp(`~ set +local: ${replica} canmount=noauto  \\(was on: targets\\.bk\\.receive\\.mount is false\\)`), mounted.stdout);
  assert.match(mounted.stdout, new RegExp(`${replica} is mounted although targets\\.bk\\.receive\\.mount is false`));
  assert.equal(await getProp(replica, 'canmount'), 'noauto');
  assert.equal(await getProp(replica, 'mounted'), 'yes');
  await retryBusy(() => zfs(['umount', replica]));
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

test('a mounted replica with receive.readonly and receive.mount: true is in line: its mount\'s readonly is no drift', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm1`]);
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}", strip_path: 1, receive: { mount: true } }
replicate:
  - { from: vms, to: bk }
`,
  );
  const first = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.equal(await getProp(`${dst}/vm/vm1`, 'mounted'), 'yes');
  // zfs-fuse mounts read-write: the mount's readonly=off is `temporary`, not drift of the property.
  assert.equal(await getProp(`${dst}/vm/vm1`, 'readonly'), 'off');
  const again = await zfsync(['plan', '-c', spec], { now: hours(T0, 0.1) });
  assert.match(again.stdout, /No changes/, again.stdout);
});
