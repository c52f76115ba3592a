// Retention end to end on real ZFS: zfsync snapshots named for past days (made with zfs
// directly), retention on source and target, checked by name and GUID on both sides after
// every apply, including the base a policy alone would drop and a foreign snapshot.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, listSnapshots, makePools, requireZfs, snapshot, writeRandom } from '../helpers/zfs.js';

const d = (day: number, hour = 0) => `zfsync_202611${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}0000Z`;

async function snaps(dataset: string): Promise<{ name: string; guid: string }[]> {
  return (await listSnapshots(dataset)).map((s) => ({ name: s.name.slice(s.name.indexOf('@') + 1), guid: s.guid }));
}
const names = async (dataset: string) => (await snaps(dataset)).map((s) => s.name);

test('retention on source and target: keeps by policy, keeps the base, leaves foreign snapshots, converges', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  const vm = `${src}/vm`;
  await createDatasets([vm]);
  for (const [name, i] of [[d(1), 0], [d(1, 12), 1], ['manual', 2], [d(2), 3], [d(2, 12), 4], [d(3), 5]] as const) {
    await writeRandom(vm, `f${i}`, 64 << 10);
    await snapshot(`${vm}@${name}`);
  }
  const { spec, dir } = await specFile(
    t,
    `version: 1
sources:
  vms:
    datasets: [${vm}]
    retention: { last: 1 }
targets:
  bk:
    dataset: ${dst}/bk
    strip_path: 1
    initial: all
    retention: { daily: 2 }
replicate:
  - { from: vms, to: bk }
`,
  );
  const rep = `${dst}/bk/vm`;

  // 1: everything goes out (initial: all), so the source keeps all of it this time; the target
  // drops what daily:2 does not keep, right after it arrived. `manual` is not zfsync's.
  const day3 = new Date('2026-11-03T06:00:00Z');
  const p1 = await zfsync(['plan', '-c', spec], { now: day3 });
  assert.equal(p1.code, 0, p1.stderr);
  assert.match(p1.stdout, new RegExp(`- destroy +local: ${rep} @${d(1)}, @${d(1, 12)}, @${d(2)} {2}\\(3 snapshots: not kept by daily:2; 3 zfs calls\\)`));
  assert.doesNotMatch(p1.stdout, new RegExp(`destroy +local: ${vm} `), 'every source snapshot is needed by the sends');
  const a1 = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: day3 });
  assert.equal(a1.code, 0, a1.stdout + a1.stderr);
  assert.deepEqual(await names(rep), ['manual', d(2, 12), d(3)]);
  assert.deepEqual(await names(vm), [d(1), d(1, 12), 'manual', d(2), d(2, 12), d(3)]);

  // 2: a new day. Source last:1 alone would drop day 3, but it is the newest common snapshot, the base of this send.
  await writeRandom(vm, 'f6', 64 << 10);
  await snapshot(`${vm}@${d(4)}`);
  const day4 = new Date('2026-11-04T06:00:00Z');
  const preview = await zfsync(['plan', '-c', spec, '--retention'], { now: day4 });
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stdout, new RegExp(`sources\\.vms on local: ${vm} {2}\\(last:1\\)\\n  destroy  @${d(1)}\\n  destroy  @${d(1, 12)}\\n  destroy  @${d(2)}\\n  destroy  @${d(2, 12)}\\n  keep     @${d(3)} {2}\\(newest common snapshot\\)\\n  keep     @${d(4)} {2}\\(last:1\\)\\n  2 kept, 4 to destroy`));
  assert.match(preview.stdout, new RegExp(`targets\\.bk on local: ${rep} {2}\\(daily:2; as after this plan's sends\\)\\n  destroy  @${d(2, 12)}\\n  keep     @${d(3)} {2}\\(daily:2\\)\\n  keep     @${d(4)} {2}\\(daily:2\\)`));
  assert.doesNotMatch(preview.stdout, /@manual/);
  const a2 = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: day4 });
  assert.equal(a2.code, 0, a2.stdout + a2.stderr);
  assert.match(a2.stdout, /Apply: 3 done, 0 failed, 0 skipped\./);
  const s2 = await snaps(vm);
  assert.deepEqual(s2.map((s) => s.name), ['manual', d(3), d(4)]);
  const r2 = await snaps(rep);
  assert.deepEqual(r2.map((s) => s.name), ['manual', d(3), d(4)]);
  assert.deepEqual(r2.slice(1), s2.slice(1), 'the same snapshots by GUID on both sides');

  // 3: day 3 is no longer needed on the source; a saved plan destroys it (verified by re-planning).
  const out = path.join(dir, 'plan.json');
  const later = new Date('2026-11-04T07:00:00Z');
  const p3 = await zfsync(['plan', '-c', spec, '--out', out], { now: later });
  assert.equal(p3.code, 0, p3.stderr);
  assert.match(p3.stdout, new RegExp(`- destroy +local: ${vm} @${d(3)} {2}\\(1 snapshot: not kept by last:1; 1 zfs call\\)`));
  assert.match(p3.stdout, /Plan: 0 to send, 0 snapshots, 0 to create, 1 to destroy, 0 conflicts\./);
  const a3 = await zfsync(['apply', out, '-c', spec], { now: later });
  assert.equal(a3.code, 0, a3.stdout + a3.stderr);
  assert.deepEqual(await snaps(vm), [s2[0], s2[2]]);
  assert.deepEqual(await snaps(rep), r2, 'the target keeps daily:2 (days 3 and 4)');

  const done = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: later });
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.match(done.stdout, /No changes\./);
});
