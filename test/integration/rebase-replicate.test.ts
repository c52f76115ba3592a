// A rebased group and replication, on real ZFS (zfs-fuse). Three members had replicas before the
// rebase; after it, each member shares no snapshot with its replica any more (a new lineage). The
// plan moves the old replicas aside with the group's suffix, sends the base once, and each member
// as a clone of the base's replica (`zfs send -i base@gold member@snap`); the originals kept
// under the suffix on the source are not picked up by the recursive source.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, datasetExists, getProp, listSnapshots, makePools, requireRsync, requireZfs, writeFile } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');
const COMMON = randomBytes(2 << 20);
const STAMP = '(?:\\d{4}-\\d\\d-\\d\\dT\\S+Z )?';

test('a rebased group with existing replicas: old replicas moved aside, the base sent once, members as clones', async (t) => {
  if (!(await requireZfs(t)) || !(await requireRsync(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  const members = ['a', 'b', 'c'];
  for (const [i, m] of members.entries()) {
    await createDatasets([`${src}/vm/${m}`]);
    await writeFile(`${src}/vm/${m}`, 'disk.img', COMMON);
    await writeFile(`${src}/vm/${m}`, 'own.bin', randomBytes(32 << 10 | i));
  }
  const replicate = `sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}", strip_path: 1 }
replicate:
  - { from: vms, to: bk }
`;
  const { spec: plain } = await specFile(t, `version: 1\n${replicate}`);
  const first = await zfsync(['apply', '-c', plain, '--auto-approve'], { now: T0 });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const oldGuids = new Map<string, string>();
  for (const m of members) oldGuids.set(m, (await listSnapshots(`${dst}/vm/${m}`))[0]!.guid);

  const { spec } = await specFile(t, `version: 1\n${replicate}rebase:\n  golden: { base: "${src}/vm/base@gold", datasets: ["${src}/vm/a", "${src}/vm/b", "${src}/vm/c"] }\n`);
  // The rebuild: its members are not replicated in the same plan.
  const rebuilt = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 0.2) });
  assert.equal(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr);
  assert.match(rebuilt.stdout, /rebuilt by a rebase group in this plan; it is replicated from the next plan on/);
  for (const m of members) assert.equal(await getProp(`${src}/vm/${m}`, 'origin'), `${src}/vm/base@gold`);

  const planned = await zfsync(['plan', '-c', spec], { now: hours(T0, 1) });
  assert.equal(planned.code, 0, planned.stdout + planned.stderr);
  for (const m of members) {
    assert.match(planned.stdout, new RegExp(`~ rename +local: ${dst}/vm/${m} -> ${dst}/vm/${m}_pre_rebase`));
    assert.match(planned.stdout, new RegExp(`\\+ send clone +local: ${src}/vm/base@gold -> ${src}/vm/${m}@zfsync_20261122T110000Z => ${dst}/vm/${m} `));
  }
  assert.match(planned.stdout, new RegExp(`\\+ send full +local: ${src}/vm/base @gold => ${dst}/vm/base `));
  assert.doesNotMatch(planned.stdout, /_pre_rebase @/, 'the originals are not sent');
  assert.match(planned.stdout, /skips 3 datasets a rebase kept under its suffix/);
  assert.doesNotMatch(planned.stdout, /! conflict/);

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.match(applied.stdout, new RegExp(`${STAMP}.*send full .*${src}/vm/base`));
  for (const m of members) {
    assert.equal(await getProp(`${dst}/vm/${m}`, 'origin'), `${dst}/vm/base@gold`, `${m}'s replica is a clone of the base's replica`);
    const s = await listSnapshots(`${src}/vm/${m}`);
    const d = await listSnapshots(`${dst}/vm/${m}`);
    assert.deepEqual(d.map((x) => x.guid), s.map((x) => x.guid));
    assert.ok(await datasetExists(`${dst}/vm/${m}_pre_rebase`), 'the old replica is kept');
    assert.equal((await listSnapshots(`${dst}/vm/${m}_pre_rebase`))[0]!.guid, oldGuids.get(m));
  }
  const used = async (n: string) => Number(await getProp(n, 'used'));
  const base = await used(`${dst}/vm/base`);
  let clones = 0;
  for (const m of members) clones += await used(`${dst}/vm/${m}`);
  t.diagnostic(`target after the rebased send: base ${base} B, the three member replicas ${clones} B together`);
  assert.ok(clones < base, `the members' replicas hold only their differences (${clones} B) next to the base's (${base} B)`);
  const again = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: hours(T0, 1.2) });
  assert.equal(again.code, 0, again.stdout + again.stderr);
});
