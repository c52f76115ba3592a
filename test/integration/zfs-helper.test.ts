// Proves test/helpers/zfs.ts against real ZFS (zfs-fuse).
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  createDatasets, datasetExists, destroy, getProp, listDatasets, listSnapshots, LOCK_FILE, makePools,
  poolExists, requireZfs, retryBusy, run, snapshot, stateDigest, writeFile, writeRandom, zfs,
} from '../helpers/zfs.js';

test('zfs helper: pools, odd dataset names, data, snapshots, digest', async (t) => {
  if (!(await requireZfs(t))) return;
  const pools = await makePools(t, ['src', 'dst']);
  const src = pools.src!;
  const dst = pools.dst!;
  assert.notEqual(src, dst);
  for (const p of [src, dst]) {
    assert.match(p, /^zt[a-z0-9]+$/);
    assert.ok(p.length <= 20, p);
    assert.ok(await poolExists(p));
  }

  const vm = `${src}/vm/vm 1`; // a space
  const home = `${src}/home/alice:files.v-2_x`; // ':', '.', '-', '_'
  await createDatasets([vm, home, `${dst}/replica`]);
  assert.deepEqual(await listDatasets(src), [src, `${src}/home`, home, `${src}/vm`, vm]);
  assert.deepEqual(await listDatasets(dst), [dst, `${dst}/replica`]);

  await writeFile(vm, 'etc/hello.txt', 'hello zfs\n');
  await writeRandom(home, 'blob.bin', 2 << 20);
  const mp = await getProp(vm, 'mountpoint');
  assert.equal(mp, `/${vm}`);
  assert.equal(await fs.readFile(path.join(mp, 'etc/hello.txt'), 'utf8'), 'hello zfs\n');
  assert.equal((await fs.stat(path.join(await getProp(home, 'mountpoint'), 'blob.bin'))).size, 2 << 20);

  const d0 = await stateDigest([src, dst]);
  assert.equal(await stateDigest([src, dst]), d0, 'digest is stable when nothing changes');
  assert.match(d0, new RegExp(`^${vm}\\ttype=filesystem\\tguid=\\d+\\tmounted=yes`, 'm'));

  await snapshot(`${home}@s1`);
  await writeRandom(home, 'blob2.bin', 1 << 20);
  await snapshot(`${home}@s2`);
  const snaps = await listSnapshots(home);
  assert.deepEqual(snaps.map((s) => s.name), [`${home}@s1`, `${home}@s2`]);
  for (const s of snaps) assert.match(s.guid, /^\d{6,}$/);
  assert.notEqual(snaps[0]!.guid, snaps[1]!.guid);
  assert.equal(await getProp(`${home}@s1`, 'guid'), snaps[0]!.guid);
  assert.ok(Number(await getProp(`${home}@s1`, 'referenced')) >= 2 << 20, 'written data is in the snapshot');
  assert.deepEqual(await listSnapshots(vm), []);

  const d1 = await stateDigest([src, dst]);
  assert.notEqual(d1, d0, 'digest changes when snapshots are added');
  assert.match(d1, new RegExp(`^${home}@s2\\ttype=snapshot\\tguid=${snaps[1]!.guid}$`, 'm'));
  assert.equal(await stateDigest([src, dst]), d1);

  await snapshot(`${src}@all`, { recursive: true });
  assert.deepEqual((await listSnapshots(home)).map((s) => s.name), [`${home}@s1`, `${home}@s2`, `${home}@all`]);
  assert.ok(await datasetExists(`${vm}@all`));
  await destroy(`${src}@all`, { recursive: true });
  assert.equal(await stateDigest([src, dst]), d1, 'back to the same state');

  await zfs(['set', 'canmount=noauto', `${dst}/replica`]);
  const d2 = await stateDigest([src, dst]);
  assert.notEqual(d2, d1, 'digest tracks properties');
  assert.match(d2, /canmount=noauto \(local\)/);
  // zfs-fuse reports readonly of a *mounted* dataset as "off (temporary)" whatever it is set to;
  // on an unmounted one it is read right.
  await retryBusy(() => zfs(['umount', `${dst}/replica`]));
  await zfs(['set', 'readonly=on', `${dst}/replica`]);
  const d3 = await stateDigest([src, dst]);
  assert.match(d3, /replica\ttype=filesystem\tguid=\d+\tmounted=no\treadonly=on \(local\)\tcanmount=noauto/);
  assert.equal(await stateDigest([src, dst]), d3);

  assert.ok(await datasetExists(home));
  assert.ok(await datasetExists(`${home}@s1`));
  assert.equal(await datasetExists(`${home}@nope`), false);
  assert.equal(await datasetExists(`${src}/nope`), false);
  await assert.rejects(zfs(['list', `${src}/nope`]), /does not exist/);
});

test('makePools holds the machine-wide lock and destroys its pools after the test', async (t) => {
  if (!(await requireZfs(t))) return;
  let names: string[] = [];
  await t.test('uses a busy pool', async (t2) => {
    names = Object.values(await makePools(t2, ['a', 'b'], 128));
    await createDatasets([`${names[0]}/x/y z`]);
    await writeFile(`${names[0]}/x/y z`, 'f', 'data');
    await snapshot(`${names[0]}/x/y z@now`);
    await assert.rejects(run('flock', ['-n', LOCK_FILE, 'true']), /flock/, 'the lock is held');
  });
  await run('flock', ['-w', '300', LOCK_FILE, 'true']); // released (other test files may take it first)
  assert.equal(names.length, 2);
  for (const n of names) assert.equal(await poolExists(n), false, `${n} still exists`);
});
