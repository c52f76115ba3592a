// Holds and bookmarks where ZFS has neither (zfs-fuse, the dev/CI ZFS): plans and applies as
// before, with no hold action and a note that the base is protected by retention rules only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, listSnapshots, makePools, requireZfs, snapshot, writeRandom } from '../helpers/zfs.js';

test('zfs-fuse: no holds or bookmarks, the plan says the base is protected by retention rules only, and apply converges', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  const vm = `${src}/vm`;
  await createDatasets([vm]);
  await writeRandom(vm, 'f1', 64 << 10);
  await snapshot(`${vm}@zfsync_20261101T000000Z`);
  const { spec } = await specFile(t, `version: 1
sources:
  vms: { datasets: [${vm}], retention: { last: 1 } }
targets:
  bk: { dataset: ${dst}/bk, strip_path: 1 }
replicate:
  - { from: vms, to: bk }
`);
  const note = 'vms -> bk: the base is protected by retention rules only (local (source) has no zfs holds or bookmarks; local (target) has no zfs holds)';
  const now = new Date('2026-11-01T06:00:00Z');
  const planned = await zfsync(['plan', '-c', spec, '--json'], { now });
  assert.equal(planned.code, 0, planned.stderr);
  const doc = JSON.parse(planned.stdout) as { plan: { actions: { kind: string }[]; notes: string[] } };
  assert.deepEqual(doc.plan.actions.map((a) => a.kind), ['create', 'send']);
  assert.ok(doc.plan.notes.includes(note), doc.plan.notes.join('\n'));
  const text = await zfsync(['plan', '-c', spec], { now });
  assert.ok(text.stdout.includes(note), text.stdout);

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.doesNotMatch(applied.stdout, /"(hold|release|bookmark)"/, 'no zfs hold, release or bookmark runs');

  // The next incremental and retention work as before: the old base goes once a newer one is common.
  await writeRandom(vm, 'f2', 64 << 10);
  await snapshot(`${vm}@zfsync_20261102T000000Z`);
  const later = new Date('2026-11-02T06:00:00Z');
  const second = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: later });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  const source = (await listSnapshots(vm)).map((s) => s.guid);
  const copy = (await listSnapshots(`${dst}/bk/vm`)).map((s) => s.guid);
  assert.equal(copy.at(-1), source.at(-1), 'the newest snapshot arrived, by GUID');
  // The old base was still common when that run planned: it goes on the next one.
  const third = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: later });
  assert.equal(third.code, 0, third.stdout + third.stderr);
  assert.deepEqual((await listSnapshots(vm)).map((s) => s.name), [`${vm}@zfsync_20261102T000000Z`]);
  const again = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: later });
  assert.equal(again.code, 0, again.stdout);
  assert.ok(again.stdout.includes(note), again.stdout);
});
