// End to end on real ZFS: first full send, incremental, no changes, nested datasets with
// missing parents, excludes, odd dataset names, and mount/readonly safety of received data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, getProp, listDatasets, listSnapshots, makePools, requireZfs, writeRandom, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');

/** Snapshots as short name + guid, oldest first. */
async function shortSnapshots(dataset: string): Promise<{ name: string; guid: string }[]> {
  return (await listSnapshots(dataset)).map((s) => ({ name: s.name.slice(s.name.indexOf('@') + 1), guid: s.guid }));
}

test('replicates a nested tree with odd names, then incrementally, then converges', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm1`, `${src}/vm/vm 2`, `${src}/vm/db:main.v1`, `${src}/vm/scratch/deep`]);
  await writeRandom(`${src}/vm/vm1`, 'disk.img', 2 << 20);
  await writeRandom(`${src}/vm/vm 2`, 'disk.img', 1 << 20);
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  vms:
    datasets: ["${src}/vm"]
    exclude: ["${src}/vm/scratch"]
    snapshot_every: 1h
targets:
  backup:
    dataset: ${dst}/replica/pve1
replicate:
  - { from: vms, to: backup }
`,
  );

  const first = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: T0 });
  assert.equal(first.code, 2, first.stderr);
  assert.match(first.stdout, /\+ create\s+local: \S+\/replica\b/);
  assert.match(first.stdout, /\nTotal: 4 sends, ~[\d.]+ KiB \(4 from snapshot sizes\)\nPlan: 4 to send, 1 snapshot, 3 to create, 0 to destroy, 0 conflicts\./);

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.match(applied.stdout, /Apply: 8 done, 0 failed, 0 skipped\./);

  const base = `${dst}/replica/pve1/${src}/vm`;
  assert.deepEqual(
    (await listDatasets(`${dst}/replica`)).sort(),
    [`${dst}/replica`, `${dst}/replica/pve1`, `${dst}/replica/pve1/${src}`, base, `${base}/db:main.v1`, `${base}/vm 2`, `${base}/vm1`].sort(),
  );
  // Same snapshot (by GUID) on both sides.
  const name = 'zfsync_20261122T100000Z';
  for (const leaf of ['vm1', 'vm 2', 'db:main.v1']) {
    const [s] = await shortSnapshots(`${src}/vm/${leaf}`);
    const [d] = await shortSnapshots(`${base}/${leaf}`);
    assert.equal(s!.name, name);
    assert.deepEqual(d, s);
    // Received data is never mounted by zfsync and is readonly.
    assert.equal(await getProp(`${base}/${leaf}`, 'mounted'), 'no');
    assert.equal(await getProp(`${base}/${leaf}`, 'readonly'), 'on');
    assert.equal(await getProp(`${base}/${leaf}`, 'canmount'), 'noauto');
    assert.equal(await getProp(`${base}/${leaf}`, 'zfsync:placeholder'), '-', 'no marker, not even an inherited one');
  }
  for (const parent of [`${dst}/replica`, `${dst}/replica/pve1`, `${dst}/replica/pve1/${src}`, base]) {
    assert.equal(await getProp(parent, 'zfsync:placeholder'), '-', `${parent}: parents and received datasets carry no marker`);
  }
  // Created parents: canmount=off, inherit the mountpoint.
  assert.equal(await getProp(`${dst}/replica`, 'canmount'), 'off');
  assert.equal(await getProp(`${dst}/replica/pve1`, 'mountpoint'), `/${dst}/replica/pve1`);
  assert.equal(await getProp(`${dst}/replica/pve1/${src}/vm/scratch`, 'name').catch(() => 'absent'), 'absent');

  const same = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: hours(T0, 0.5) });
  assert.equal(same.code, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /No changes\./);

  // New data and a new dataset; an hour later a snapshot is due and goes out incrementally.
  await writeRandom(`${src}/vm/vm1`, 'more.img', 1 << 20);
  await createDatasets([`${src}/vm/vm3`]);
  const later = hours(T0, 1);
  const second = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: later });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /~ send incremental\s+local: \S+\/vm\/vm1 @zfsync_20261122T100000Z -> @zfsync_20261122T110000Z/);
  assert.match(second.stdout, /\+ send full\s+local: \S+\/vm\/vm3 @zfsync_20261122T110000Z/);
  const vm1 = await shortSnapshots(`${base}/vm1`);
  assert.deepEqual(vm1.map((s) => s.name), [name, 'zfsync_20261122T110000Z']);
  assert.deepEqual(vm1, await shortSnapshots(`${src}/vm/vm1`));
  assert.equal(await getProp(`${base}/vm1`, 'mounted'), 'no', 'an incremental receive does not mount it either');

  const converged = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: hours(T0, 1.5) });
  assert.equal(converged.code, 0, converged.stdout);
  await zfs(['list', '-H', '-o', 'name', `${base}/vm3`]);
});

test('initial: all sends every existing snapshot; receive.mount and readonly false are honoured', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/data`]);
  for (const s of ['one', 'two', 'three']) {
    await writeRandom(`${src}/data`, `${s}.bin`, 64 << 10);
    await zfs(['snapshot', `${src}/data@${s}`]);
  }
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  data: { datasets: ["${src}/data"] }
targets:
  copy:
    dataset: ${dst}
    strip_path: 1
    initial: all
    receive: { readonly: false, mount: true }
replicate:
  - { from: data, to: copy }
`,
  );
  const r = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual((await shortSnapshots(`${dst}/data`)).map((s) => s.name), ['one', 'two', 'three']);
  assert.equal(await getProp(`${dst}/data`, 'readonly'), 'off');
  assert.equal(await getProp(`${dst}/data`, 'mounted'), 'yes');
});

test('an interrupted first send leaves a placeholder that the next apply reuses; --json output is machine-readable', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/db`]);
  await writeRandom(`${src}/db`, 'rows', 300_000);
  await zfs(['snapshot', `${src}/db@s1`]);
  // What zfsync leaves behind when a first receive dies after creating its placeholder.
  await zfs(['create', '-o', 'readonly=on', '-o', 'canmount=noauto', '-o', `zfsync:placeholder=${dst}/db`, `${dst}/db`]);
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  db: { datasets: ["${src}/db"] }
targets:
  copy: { dataset: "${dst}", strip_path: 1 }
replicate:
  - { from: db, to: copy }
`,
  );
  const planned = await zfsync(['plan', '-c', spec, '--json'], { now: T0 });
  assert.equal(planned.code, 0, planned.stderr);
  const doc = JSON.parse(planned.stdout);
  assert.equal(doc.plan.actions.length, 1);
  assert.equal(doc.plan.actions[0].kind, 'send');
  assert.equal(doc.plan.actions[0].receive.placeholder, 'existing');

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const events = applied.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  assert.deepEqual(events.map((e) => e.type).filter((x) => x !== 'action-progress' && x !== 'command'), ['lock-acquired', 'host-read', 'action-start', 'action-done', 'apply-done']);
  assert.deepEqual(await shortSnapshots(`${dst}/db`), await shortSnapshots(`${src}/db`));
  assert.equal(await getProp(`${dst}/db`, 'mounted'), 'no');
  assert.equal(await getProp(`${dst}/db`, 'zfsync:placeholder'), '-', 'the marker is cleared once data arrived');
  assert.equal((await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: T0 })).code, 0);
});
