// The remote lane (`npm run test:remote`): send sizes from `zfs send -n -P` on a real OpenZFS
// host over SSH, in the plan (JSON and text) and against the bytes the real sends carried.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { remoteLane, remoteProp } from '../helpers/remote.js';
import type { PlanDocument, SendAction } from '../../src/types.js';

const T0 = new Date('2026-11-22T10:00:00Z');

test('OpenZFS: plan sizes from zfs send -n -P (one script per host), the real streams match them', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  const src = `${lane.base}/src`;
  const leaf = `${src}/b c`;
  for (const d of [src, leaf]) await lane.sh(['zfs', 'create', '-o', 'compression=off', d]);
  const mp = await remoteProp(lane, leaf, 'mountpoint');
  await lane.sh(['dd', 'if=/dev/urandom', `of=${mp}/x`, 'bs=1M', 'count=2', 'status=none']);
  await lane.sh(['zfs', 'snapshot', '-r', `${src}@s 1`]);
  await lane.sh(['dd', 'if=/dev/urandom', `of=${mp}/y`, 'bs=1M', 'count=1', 'status=none']);
  await lane.sh(['zfs', 'snapshot', '-r', `${src}@-s2`]);
  const { spec } = await specFile(t, `version: 1
hosts:
${lane.hostEntry('oz')}
sources:
  s: { host: oz, datasets: ["${src}"], snapshot_every: 1h }
targets:
  t: { host: oz, dataset: "${lane.base}/dst", strip_path: 2, initial: all }
replicate:
  - { from: s, to: t, snapshots: ["s 1", "-s2"] }
`);

  const planned = await zfsync(['plan', '-c', spec, '--json'], { now: T0 });
  assert.equal(planned.code, 0, planned.stderr);
  const sends = (JSON.parse(planned.stdout) as PlanDocument).plan.actions.filter((a): a is SendAction => a.kind === 'send');
  const leafSends = sends.filter((s) => s.source.dataset === leaf);
  assert.deepEqual(leafSends.map((s) => [s.mode, s.from?.name, s.to.name]), [['full', undefined, 's 1'], ['incremental', 's 1', sends.at(-1)!.to.name]]);
  // The full stream's snapshot exists: zfs estimated it. The incremental ends at the snapshot
  // this plan takes, so it keeps the size from the snapshots' `written`.
  assert.equal(leafSends[0]!.bytesFrom, 'dry-run');
  assert.ok(leafSends[0]!.bytes! > 2 * 1024 ** 2 && leafSends[0]!.bytes! < 2.2 * 1024 ** 2, String(leafSends[0]!.bytes));
  assert.equal(leafSends[1]!.bytesFrom, 'properties');

  const human = await zfsync(['plan', '-c', spec], { now: T0 });
  assert.match(human.stdout, /^Total: 4 sends, ~[\d.]+ MiB \(2 by zfs send -n -P, 2 from snapshot sizes\)$/m);

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const done = new Map<string, number>();
  for (const line of applied.stdout.split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { type: string; id?: string; bytes?: number };
    if (e.type === 'action-done' && e.bytes !== undefined) done.set(e.id!, e.bytes);
  }
  const full = leafSends[0]!;
  const sent = done.get(full.id);
  assert.ok(sent !== undefined);
  t.diagnostic(`full send of ${leaf}@s 1: estimated ${full.bytes} bytes, sent ${sent}`);
  assert.ok(Math.abs(sent - full.bytes!) / sent < 0.05, `estimate ${full.bytes}, sent ${sent}`);
});
