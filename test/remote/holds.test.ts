// The remote lane: holds and bookmarks protect the base on real OpenZFS. After each apply the
// newest common snapshot carries zfsync's tag on both sides and a bookmark on the source; the
// hold moves with the next incremental; a base pruned on the source by hand (hold released
// first, as an admin would) is replaced by its bookmark (`send -i ds#bm`); retention keeps the
// held snapshot and says whose hold it is. Every hold is released before the lane's teardown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { remoteLane, remoteSnapshots, type RemoteLane } from '../helpers/remote.js';

const T0 = new Date('2026-11-10T12:00:00Z');
const day = (d: number) => `zfsync_202611${String(d).padStart(2, '0')}T000000Z`;

/** `snapshot -> tags` of every hold on the snapshots below `root`. */
async function holdsBelow(lane: RemoteLane, root: string): Promise<Map<string, string[]>> {
  const snaps = (await lane.sh(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-r', root])).split('\n').filter(Boolean);
  const out = new Map<string, string[]>();
  if (snaps.length === 0) return out;
  for (const line of (await lane.sh(['zfs', 'holds', '-H', ...snaps])).split('\n').filter(Boolean)) {
    const [snap = '', tag = ''] = line.split('\t');
    out.set(snap, [...(out.get(snap) ?? []), tag]);
  }
  return out;
}

async function releaseAll(lane: RemoteLane, root: string): Promise<void> {
  for (const [snap, tags] of await holdsBelow(lane, root)) for (const tag of tags) await lane.sh(['zfs', 'release', tag, snap]);
}

async function apply(spec: string, round: string): Promise<string[][]> {
  const r = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: T0 });
  assert.equal(r.code, 0, `${round}: ${r.stdout}${r.stderr}`);
  const argvs: string[][] = [];
  for (const line of r.stdout.trim().split('\n')) {
    const e = JSON.parse(line) as { type: string; argv?: string[]; pipeline?: { argv: string[] }[] };
    if (e.type === 'command' && e.argv) argvs.push(e.argv);
    if (e.type === 'command' && e.pipeline) for (const s of e.pipeline) argvs.push(s.argv);
  }
  return argvs;
}

test('OpenZFS: the base is held on both sides and bookmarked; the hold moves; a pruned base is sent from its bookmark', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  const src = `${lane.base}/src`;
  const rep = `${lane.base}/dst/src`;
  try {
    await lane.sh(['zfs', 'create', src]);
    await lane.sh(['zfs', 'snapshot', `${src}@${day(1)}`]);
    const { spec } = await specFile(t, `version: 1
hosts:
${lane.hostEntry('oz')}
sources:
  s: { host: oz, datasets: ["${src}"], retention: { last: 1 } }
targets:
  t: { host: oz, dataset: "${lane.base}/dst", strip_path: 2 }
replicate:
  - { from: s, to: t }
`);
    // 1: the first send, then the hold on @day1 on both sides and the bookmark #day1.
    const p1 = await zfsync(['plan', '-c', spec], { now: T0 });
    assert.match(p1.stdout, new RegExp(`~ hold +${src} => ${rep} +\\(hold @${day(1)} on both sides; bookmark #${day(1)} on the source, tag (zfsync-[0-9a-f]{16})\\)`), p1.stdout);
    const tag = /tag (zfsync-[0-9a-f]{16})/.exec(p1.stdout)![1]!;
    await apply(spec, 'first apply');
    let holds = await holdsBelow(lane, lane.base);
    assert.deepEqual(holds.get(`${src}@${day(1)}`), [tag]);
    assert.deepEqual(holds.get(`${rep}@${day(1)}`), [tag]);
    assert.equal(holds.size, 2, JSON.stringify([...holds]));
    const marks = (await lane.sh(['zfs', 'list', '-H', '-p', '-t', 'bookmark', '-o', 'name,guid', '-r', src])).trim();
    const [s1] = await remoteSnapshots(lane, src);
    assert.equal(marks, `${src}#${day(1)}\t${s1!.guid}`);
    assert.equal((await lane.sh(['zfs', 'get', '-H', '-o', 'value', `zfsync:hold:${tag}`, `${src}@${day(1)}`])).trim(), `oz:${src} -> oz:${rep}`);
    const settled = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: T0 });
    assert.equal(settled.code, 0, settled.stdout);

    // 2: the next incremental moves the hold; retention keeps the still-held old base and says whose hold it is.
    await lane.sh(['zfs', 'snapshot', `${src}@${day(2)}`]);
    const preview = await zfsync(['plan', '-c', spec, '--retention'], { now: T0 });
    assert.match(preview.stdout, new RegExp(`release @${day(1)}, hold @${day(2)} on both sides`), preview.stdout);
    assert.match(preview.stdout, new RegExp(`keep +@${day(1)} +\\(held by zfsync for s -> t\\)`), preview.stdout);
    await apply(spec, 'second apply');
    holds = await holdsBelow(lane, lane.base);
    assert.deepEqual([...holds.keys()].sort(), [`${rep}@${day(2)}`, `${src}@${day(2)}`].sort());
    assert.equal((await lane.sh(['zfs', 'get', '-H', '-o', 'value', 'zfsync:holds', `${src}@${day(1)}`])).trim(), '-', 'the old record is gone');
    // The old base, released, goes with the next run (last: 1).
    await apply(spec, 'third apply');
    assert.deepEqual((await remoteSnapshots(lane, src)).map((s) => s.name), [day(2)]);

    // 3: an admin releases the hold and destroys the base on the source; its bookmark remains.
    await lane.sh(['zfs', 'release', tag, `${src}@${day(2)}`]);
    await lane.sh(['zfs', 'destroy', `${src}@${day(2)}`]);
    await lane.sh(['zfs', 'snapshot', `${src}@${day(3)}`]);
    const p3 = await zfsync(['plan', '-c', spec], { now: T0 });
    assert.match(p3.stdout, new RegExp(`~ send incremental +oz: ${src} @${day(2)} -> @${day(3)} => ${rep} +\\(-i, 1 snapshot`), p3.stdout);
    const ran = await apply(spec, 'apply from the bookmark');
    assert.ok(ran.some((a) => a.join(' ') === `zfs send -L -e -c -i ${src}#${day(2)} ${src}@${day(3)}`), JSON.stringify(ran));
    const left = await remoteSnapshots(lane, src);
    const copy = await remoteSnapshots(lane, rep);
    assert.equal(copy.at(-1)!.name, day(3));
    assert.equal(copy.at(-1)!.guid, left.at(-1)!.guid, 'converged, by GUID');
    holds = await holdsBelow(lane, lane.base);
    assert.deepEqual([...holds.keys()].sort(), [`${rep}@${day(3)}`, `${src}@${day(3)}`].sort(), JSON.stringify([...holds]));
    const done = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: T0 });
    assert.equal(done.code, 0, done.stdout);
  } finally {
    await releaseAll(lane, lane.base);
  }
});
