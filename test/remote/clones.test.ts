// The remote lane: clones on real OpenZFS. The base goes once; each clone goes as
// `zfs send -i base@gold clone@snap` into `zfs receive -s -u -o readonly=on -o canmount=noauto`,
// and lands as a clone of the base's replica.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { remoteLane, remoteProp, remoteSnapshots } from '../helpers/remote.js';

const T0 = new Date('2026-11-22T10:00:00Z');

test('OpenZFS: a base and two clones arrive as a clone tree, each clone by its differences', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  const src = `${lane.base}/src`;
  await lane.sh(['zfs', 'create', '-p', `${src}/base`]);
  await lane.sh(['dd', 'if=/dev/urandom', `of=/${src}/base/disk`, 'bs=64k', 'count=32', 'status=none']);
  await lane.sh(['zfs', 'snapshot', `${src}/base@gold`]);
  for (const m of ['vm1', 'vm2']) {
    await lane.sh(['zfs', 'clone', `${src}/base@gold`, `${src}/${m}`]);
    await lane.sh(['dd', 'if=/dev/urandom', `of=/${src}/${m}/own`, 'bs=64k', 'count=2', 'status=none']);
  }
  const { spec } = await specFile(t, `version: 1
hosts:
${lane.hostEntry('oz')}
sources:
  s: { host: oz, datasets: ["${src}"], snapshot_every: 1h }
targets:
  t: { host: oz, dataset: "${lane.base}/dst", strip_path: 2 }
replicate:
  - { from: s, to: t }
`);
  const applied = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const cloneSends = applied.stdout.split('\n').filter((l) => l.includes('"type":"command"') && l.includes(`"-i","${src}/base@gold"`));
  assert.equal(cloneSends.length, 2, applied.stdout);
  for (const line of cloneSends) assert.match(line, /"receive","-s","-u","-o","readonly=on","-o","canmount=noauto"/);
  const dst = `${lane.base}/dst/src`;
  for (const m of ['vm1', 'vm2']) {
    assert.equal(await remoteProp(lane, `${dst}/${m}`, 'origin'), `${dst}/base@gold`);
    assert.equal(await remoteProp(lane, `${dst}/${m}`, 'mounted'), 'no');
    const [s] = await remoteSnapshots(lane, `${src}/${m}`);
    const [d] = await remoteSnapshots(lane, `${dst}/${m}`);
    assert.equal(d?.guid, s?.guid);
  }
  const base = Number(await remoteProp(lane, `${dst}/base`, 'used'));
  const clones = Number(await remoteProp(lane, `${dst}/vm1`, 'used')) + Number(await remoteProp(lane, `${dst}/vm2`, 'used'));
  t.diagnostic(`target: base used ${base} B, both clones ${clones} B`);
  assert.ok(clones < base / 3, `clones hold only their differences (${clones} vs ${base})`);
  const again = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: T0 });
  assert.equal(again.code, 0, again.stdout);
});
