// Clones on real ZFS: a clone's first send starts from its origin (`zfs send -i base@gold
// clone@snap`), so a group of clones costs the base once plus each clone's differences, and
// the replica is a clone tree as on the source.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, getProp, listSnapshots, makePools, requireZfs, snapshot, writeRandom, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');

test('a base and two clones arrive as a clone tree: the base once, each clone by its differences', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/zbase`]);
  await writeRandom(`${src}/vm/zbase`, 'disk', 3_000_000);
  await snapshot(`${src}/vm/zbase@gold`);
  for (const m of ['vm1', 'vm2']) {
    await zfs(['clone', `${src}/vm/zbase@gold`, `${src}/vm/${m}`]);
    await writeRandom(`${src}/vm/${m}`, 'own', 100_000);
  }
  const { spec } = await specFile(t, `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}", strip_path: 1 }
replicate:
  - { from: vms, to: bk }
`);
  const planned = await zfsync(['plan', '-c', spec], { now: T0 });
  assert.equal(planned.code, 0, planned.stdout + planned.stderr);
  assert.match(planned.stdout, /\+ send clone\s+local: \S+\/vm\/zbase@gold -> \S+\/vm\/vm1@zfsync_20261122T100000Z => \S+\/vm\/vm1\s+\(-i from its origin, lands as a clone/);
  assert.match(planned.stdout, /\+ send full\s+local: \S+\/vm\/zbase @gold => /);

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  for (const m of ['vm1', 'vm2']) {
    assert.equal(await getProp(`${dst}/vm/${m}`, 'origin'), `${dst}/vm/zbase@gold`, `${m} is a clone on the target`);
    const [s] = await listSnapshots(`${src}/vm/${m}`);
    const [d] = await listSnapshots(`${dst}/vm/${m}`);
    assert.ok(s && d);
    assert.equal(d.guid, s.guid);
    assert.equal(await getProp(`${dst}/vm/${m}`, 'readonly'), 'on');
    assert.equal(await getProp(`${dst}/vm/${m}`, 'mounted'), 'no', 'receive.mount false: the new clone is not left mounted');
  }
  const used = (name: string) => getProp(name, 'used').then(Number);
  const baseUsed = await used(`${dst}/vm/zbase`);
  const cloneUsed = (await used(`${dst}/vm/vm1`)) + (await used(`${dst}/vm/vm2`));
  t.diagnostic(`target: base used ${baseUsed} B, both clones used ${cloneUsed} B together`);
  assert.ok(cloneUsed < baseUsed / 3, `the clones hold only their differences (${cloneUsed} B vs base ${baseUsed} B)`);
  const again = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: T0 });
  assert.equal(again.code, 0, again.stdout);
});
