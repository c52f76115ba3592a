// The remote lane: retention on real OpenZFS. Held snapshots (`userrefs`) are kept, the
// destroys of one dataset go out as one `zfs destroy ds@a,b,c` call, and the newest common
// snapshot survives a policy that would drop it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { remoteLane, remoteSnapshots } from '../helpers/remote.js';

const T0 = new Date('2026-11-10T12:00:00Z');
const day = (d: number) => `zfsync_202611${String(d).padStart(2, '0')}T000000Z`;

test('OpenZFS: retention keeps held and common snapshots and destroys the rest in one batched call per dataset', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  const src = `${lane.base}/src`;
  await lane.sh(['zfs', 'create', src]);
  await lane.sh(['zfs', 'snapshot', `${src}@manual`]);
  for (let d = 1; d <= 6; d++) await lane.sh(['zfs', 'snapshot', `${src}@${day(d)}`]);
  await lane.sh(['zfs', 'hold', 'keepme', `${src}@${day(2)}`]);
  t.after(() => lane.sh(['zfs', 'release', 'keepme', `${src}@${day(2)}`]).catch(() => ''));
  const { spec } = await specFile(t, `version: 1
hosts:
${lane.hostEntry('oz')}
sources:
  s: { host: oz, datasets: ["${src}"], retention: { last: 1 } }
targets:
  t: { host: oz, dataset: "${lane.base}/dst", strip_path: 2, initial: all, retention: { last: 2 } }
replicate:
  - { from: s, to: t }
`);
  const preview = await zfsync(['plan', '-c', spec, '--retention'], { now: T0 });
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stdout, new RegExp(`keep\\s+@${day(2)}\\s+\\(held\\)`), preview.stdout);

  // The first apply sends everything (-I carries @day1..@day6), so the source keeps what the send
  // reads; the target is judged as it will be after the send and pruned at once. The second
  // apply prunes the source.
  const destroys: string[][] = [];
  for (const round of [1, 2]) {
    const applied = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: T0 });
    assert.equal(applied.code, 0, `round ${round}: ${applied.stdout}${applied.stderr}`);
    for (const line of applied.stdout.trim().split('\n')) {
      const e = JSON.parse(line) as { type: string; argv?: string[] };
      if (e.type === 'command' && e.argv?.[1] === 'destroy') destroys.push(e.argv);
    }
  }
  assert.equal(destroys.length, 2, `one destroy call per dataset and side: ${JSON.stringify(destroys)}`);
  for (const argv of destroys) {
    assert.equal(argv.length, 3, argv.join(' '));
    assert.match(argv[2]!, /^[^@]+@[^,]+(,[^,]+)+$/, `several snapshots in one zfs destroy: ${argv[2]}`);
  }

  // Source: last: 1 keeps @day6 (also the newest common snapshot); @day2 is held; @manual is not zfsync's.
  const left = await remoteSnapshots(lane, src);
  assert.deepEqual(left.map((s) => s.name), ['manual', day(2), day(6)]);
  // Target: last: 2 keeps @day5 and @day6; @manual arrived as the first (full) snapshot and is not zfsync's.
  const copy = await remoteSnapshots(lane, `${lane.base}/dst/src`);
  assert.deepEqual(copy.map((s) => s.name), ['manual', day(5), day(6)]);
  assert.equal(copy.at(-1)!.guid, left.at(-1)!.guid, 'the newest common snapshot, by GUID');
  const again = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: T0 });
  assert.equal(again.code, 0, again.stdout);
  await lane.sh(['zfs', 'release', 'keepme', `${src}@${day(2)}`]); // before the lane destroys its scratch tree
});
