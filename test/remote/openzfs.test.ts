// The remote lane (`npm run test:remote`): zfsync against a real OpenZFS 2.x host over SSH.
// Proves the modern paths end to end: `zfs list -p` state reads, atomic multi-name snapshots,
// `zfs receive -u -o` (no placeholder), `written` divergence, and relay between two host names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { remoteLane, remoteProp, remoteSnapshots, type RemoteLane } from '../helpers/remote.js';
import { createDatasets, listSnapshots, makePools, requireZfs, writeRandom } from '../helpers/zfs.js';
import type { PlanDocument, SendAction, SnapshotAction } from '../../src/types.js';

const T0 = new Date('2026-11-22T10:00:00Z');

async function fill(lane: RemoteLane, dataset: string, file: string, mib: number): Promise<void> {
  const mp = await remoteProp(lane, dataset, 'mountpoint');
  await lane.sh(['dd', 'if=/dev/urandom', `of=${mp}/${file}`, 'bs=1M', `count=${mib}`, 'status=none']);
}

function relaySpec(lane: RemoteLane, policy = 'refuse'): string {
  return `version: 1
hosts:
${lane.hostEntry('oz')}${lane.hostEntry('oz2')}
sources:
  s: { host: oz, datasets: ["${lane.base}/src"], exclude: ["${lane.base}/src/skip"], snapshot_every: 1h }
targets:
  t: { host: oz2, dataset: "${lane.base}/dst", strip_path: 2, on_divergence: ${policy} }
replicate:
  - { from: s, to: t }
`;
}

test('OpenZFS: list -p read, atomic multi-name snapshot, recv -u -o, relay oz -> oz2 via local', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  for (const d of ['src', 'src/a', 'src/b c', 'src/skip']) await lane.sh(['zfs', 'create', `${lane.base}/${d}`]);
  await fill(lane, `${lane.base}/src/a`, 'x', 2);
  await fill(lane, `${lane.base}/src/b c`, 'x', 1);
  const { spec } = await specFile(t, relaySpec(lane));

  const planned = await zfsync(['plan', '-c', spec, '--json'], { now: T0 });
  assert.equal(planned.code, 0, planned.stderr);
  const doc = JSON.parse(planned.stdout) as PlanDocument;
  const snap = doc.plan.actions.find((a): a is SnapshotAction => a.kind === 'snapshot')!;
  assert.equal(snap.atomic, true, 'one zfs snapshot call with every name');
  assert.equal(snap.commands.length, 1);
  assert.deepEqual(snap.commands[0]!.datasets.length, 3, 'src, src/a and src/b c; src/skip excluded');
  const sends = doc.plan.actions.filter((a): a is SendAction => a.kind === 'send');
  assert.equal(sends.length, 3);
  for (const s of sends) assert.equal(s.receive.placeholder, undefined, 'OpenZFS receives with -u -o, no placeholder');

  const human = await zfsync(['plan', '-c', spec], { now: T0 });
  assert.match(human.stderr, /Read oz: .*OpenZFS 2\./);
  assert.match(human.stdout, /\+ send full\s+oz -> oz2 via local: /);

  const dry = await zfsync(['apply', '-c', spec, '--dry-run'], { now: T0 });
  assert.match(dry.stdout, /oz -> oz2 via local\$ zfs send .*\| zfs receive -s -u -o readonly=on -o canmount=noauto /);
  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  let checked = 0;
  for (const leaf of ['a', 'b c']) {
    const copy: string = `${lane.base}/dst/src/${leaf}`;
    const original = await remoteSnapshots(lane, `${lane.base}/src/${leaf}`);
    assert.equal(original.length, 1);
    assert.deepEqual(await remoteSnapshots(lane, copy), original);
    assert.equal(await remoteProp(lane, copy, 'mounted'), 'no');
    assert.equal(await remoteProp(lane, copy, 'readonly'), 'on');
    assert.equal(await remoteProp(lane, copy, 'canmount'), 'noauto');
    checked++;
  }
  assert.equal(checked, 2);
  const again = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: hours(T0, 0.5) });
  assert.equal(again.code, 0, again.stdout);
});

test('OpenZFS: data written on the target after its newest snapshot is divergence (written), refused, then rolled back', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  for (const d of ['src', 'src/a']) await lane.sh(['zfs', 'create', `${lane.base}/${d}`]);
  await fill(lane, `${lane.base}/src/a`, 'x', 1);
  const { spec } = await specFile(t, relaySpec(lane));
  assert.equal((await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 })).code, 0);

  const target = `${lane.base}/dst/src/a`;
  await lane.sh(['zfs', 'set', 'readonly=off', target]);
  await lane.sh(['zfs', 'mount', target]);
  await fill(lane, target, 'intruder', 1);
  await lane.sh(['zfs', 'umount', target]);
  await lane.sh(['zfs', 'set', 'readonly=on', target]);
  await fill(lane, `${lane.base}/src/a`, 'y', 1);

  const refused = await zfsync(['plan', '-c', spec], { now: hours(T0, 1) });
  assert.match(refused.stdout, /! conflict\s+oz2: \S+\/a\n\s+\S+\/a has diverged: [\d.]+ [KM]iB written since @zfsync_20261122T100000Z/);

  const { spec: rollback } = await specFile(t, relaySpec(lane, 'rollback'));
  const plan = await zfsync(['plan', '-c', rollback], { now: hours(T0, 1) });
  assert.match(plan.stdout, /-\/\+ rollback\s+oz2: \S+\/a@zfsync_20261122T100000Z\s+\(discards [\d.]+ [KM]iB written\)/);
  const applied = await zfsync(['apply', '-c', rollback, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.deepEqual(await remoteSnapshots(lane, target), await remoteSnapshots(lane, `${lane.base}/src/a`));
  assert.equal((await remoteSnapshots(lane, target)).length, 2);
});

test('push from this machine (zfs-fuse) to OpenZFS with zstd, then incremental', async (t) => {
  const lane = await remoteLane(t);
  if (!lane || !(await requireZfs(t))) return;
  const { src } = await makePools(t, ['src']);
  await createDatasets([`${src}/vm/one`]);
  await writeRandom(`${src}/vm/one`, 'disk', 2 << 20);
  const { spec } = await specFile(
    t,
    `version: 1
hosts:
${lane.hostEntry('oz')}
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  off: { host: oz, dataset: "${lane.base}/in", strip_path: 1 }
replicate:
  - { from: vms, to: off, transport: { compress: zstd } }
`,
  );
  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  await writeRandom(`${src}/vm/one`, 'more', 1 << 20);
  const second = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  const local = (await listSnapshots(`${src}/vm/one`)).map((s) => ({ name: s.name.slice(s.name.indexOf('@') + 1), guid: s.guid }));
  assert.equal(local.length, 2);
  assert.deepEqual(await remoteSnapshots(lane, `${lane.base}/in/vm/one`), local);
});

test('OpenZFS: the state read lists only the named roots; missing roots and pools are conflicts of their pairs', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  for (const d of ['flat', 'flat/child']) await lane.sh(['zfs', 'create', `${lane.base}/${d}`]);
  await lane.sh(['zfs', 'snapshot', '-r', `${lane.base}/flat@one`]);
  const noPool = `nopool${process.pid}`;
  const { spec } = await specFile(
    t,
    `version: 1
hosts:
${lane.hostEntry('oz')}
sources:
  flat: { host: oz, datasets: ["${lane.base}/flat"], recursive: false }
  ghost: { host: oz, datasets: ["${lane.base}/not-there"] }
targets:
  t: { host: oz, dataset: "${lane.base}/copy", strip_path: 2 }
  lost: { host: oz, dataset: "${noPool}/copy" }
replicate:
  - { from: flat, to: t }
  - { from: ghost, to: t }
  - { from: flat, to: lost }
`,
  );
  const plan = await zfsync(['plan', '-c', spec], { now: T0 });
  assert.match(plan.stdout, new RegExp(`! conflict\\s+oz: ${lane.base}/not-there`));
  assert.match(plan.stdout, new RegExp(`pool ${noPool} does not exist on oz`));
  assert.match(plan.stdout, new RegExp(`\\+ send full\\s+oz: ${lane.base}/flat @one => ${lane.base}/copy/flat`));
  assert.doesNotMatch(plan.stdout, /flat\/child/, 'recursive: false replicates only the root');
  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 1, 'conflicts make the exit code 1');
  assert.deepEqual(await remoteSnapshots(lane, `${lane.base}/copy/flat`), await remoteSnapshots(lane, `${lane.base}/flat`));
});
