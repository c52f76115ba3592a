// receive.properties on zfs-fuse, which has no `zfs receive -o`/`-x`/`-u`: the placeholder a full
// receive goes into is created with them, each later receive sets them again with `zfs set`, a
// mountpoint given there is never mounted (checked after each receive), and -x is never passed.
// No send flags exist there: the streams are plain `zfs send`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, getProp, makePools, requireZfs, writeRandom, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-12-02T10:00:00Z');

test('zfs-fuse: receive.properties on the placeholder, set again after each incremental; the mountpoint is never mounted', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm1`]);
  await writeRandom(`${src}/vm/vm1`, 'd', 40_000);
  const mountpoint = `/tmp/zfsync-flags-never-${process.pid}`;
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  vms: { datasets: ["${src}/vm/vm1"], snapshot_every: 1h }
targets:
  bk:
    dataset: "${dst}"
    strip_path: 1
    receive:
      properties: { compression: gzip, "com.example:tag": "zfsync test", mountpoint: "${mountpoint}" }
      exclude_properties: [atime]
replicate:
  - { from: vms, to: bk }
`,
  );
  const replica = `${dst}/vm/vm1`;
  const dry = await zfsync(['apply', '-c', spec, '--dry-run'], { now: T0 });
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  assert.match(dry.stdout, new RegExp(`zfs create -o readonly=on -o canmount=noauto -o compression=gzip -o 'com.example:tag=zfsync test' -o mountpoint=${mountpoint} -o zfsync:placeholder=${replica} ${replica}`), dry.stdout);
  assert.match(dry.stdout, new RegExp(`zfs get -H -o value mounted ${replica}`));
  assert.doesNotMatch(dry.stdout, / -x | -L | -w /);

  const first = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.equal(await getProp(replica, 'compression'), 'gzip');
  assert.equal(await getProp(replica, 'com.example:tag'), 'zfsync test');
  assert.equal(await getProp(replica, 'mountpoint'), mountpoint);
  assert.equal(await getProp(replica, 'mounted'), 'no');
  assert.equal(await getProp(replica, 'readonly'), 'on');

  // Changed by hand: the next receive sets the spec's value again.
  await zfs(['set', 'compression=off', replica]);
  const second = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /~ send incremental/);
  assert.equal(await getProp(replica, 'compression'), 'gzip');
  assert.equal(await getProp(replica, 'mountpoint'), mountpoint);
  assert.equal(await getProp(replica, 'mounted'), 'no');
  const local = await zfs(['get', '-H', '-s', 'local', '-o', 'property,value', 'all', replica]);
  assert.match(local, /^compression\tgzip$/m);
  assert.match(local, /^com\.example:tag\tzfsync test$/m);
  assert.match((await zfsync(['plan', '-c', spec], { now: hours(T0, 1.1) })).stdout, /No changes/);
});

test('zfs-fuse: the pair plans plain sends, a spec insisting on -w or -c is a conflict there', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm`]);
  await zfs(['snapshot', `${src}/vm@s1`]);
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  vms: { datasets: ["${src}/vm"] }
targets:
  bk: { dataset: "${dst}", strip_path: 1 }
replicate:
  - { from: vms, to: bk, send: { compressed: true } }
`,
  );
  const r = await zfsync(['plan', '-c', spec], { now: T0 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /replicate\[0\]\.send\.compressed is true but a host has no zfs send -c \(local -> local\)/, r.stdout);
  assert.match(r.stdout, /0 to send, .* 1 conflict/);
});
