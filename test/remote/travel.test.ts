// The remote lane: which snapshots travel, on real OpenZFS. A foreign snapshot between two of
// zfsync's own is stepped over with `zfs send -i`; the rest of the range goes in one `-I`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { remoteLane, remoteSnapshots } from '../helpers/remote.js';

const T0 = new Date('2026-11-10T12:00:00Z');
const day = (d: number) => `zfsync_202611${String(d).padStart(2, '0')}T000000Z`;

test('OpenZFS: @vzdump between own snapshots is stepped over with -i and never reaches the target', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  const src = `${lane.base}/src`;
  await lane.sh(['zfs', 'create', src]);
  for (const name of [day(1), 'vzdump', day(2), day(3)]) {
    await lane.sh(['dd', 'if=/dev/urandom', `of=/${src}/${name}`, 'bs=64k', 'count=4', 'status=none']);
    await lane.sh(['zfs', 'snapshot', `${src}@${name}`]);
  }
  const { spec } = await specFile(t, `version: 1
hosts:
${lane.hostEntry('oz')}
sources:
  s: { host: oz, datasets: ["${src}"], snapshot_every: 30d }
targets:
  t: { host: oz, dataset: "${lane.base}/dst", strip_path: 2, initial: all }
replicate:
  - { from: s, to: t }
`);
  const applied = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const sends: string[] = [];
  for (const line of applied.stdout.trim().split('\n')) {
    const e = JSON.parse(line) as { type: string; pipeline?: { argv: string[] }[][] | string };
    if (e.type === 'command' && JSON.stringify(e).includes('"send"')) sends.push(JSON.stringify(e));
  }
  assert.equal(sends.length, 3, sends.join('\n'));
  assert.match(sends[1]!, new RegExp(`"-i","${src}@${day(1)}","${src}@${day(2)}"`));
  assert.match(sends[2]!, new RegExp(`"-I","${src}@${day(2)}","${src}@${day(3)}"`));
  const source = await remoteSnapshots(lane, src);
  const copy = await remoteSnapshots(lane, `${lane.base}/dst/src`);
  assert.deepEqual(copy.map((s) => s.name), [day(1), day(2), day(3)]);
  assert.deepEqual(copy.map((s) => s.guid), source.filter((s) => s.name !== 'vzdump').map((s) => s.guid));
  await lane.sh(['zfs', 'destroy', `${src}@vzdump`]);
  const again = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: T0 });
  assert.equal(again.code, 0, again.stdout);
});
