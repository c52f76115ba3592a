// Sources selecting by a zfsync:<name> user property, on real ZFS: plan and apply replicate
// exactly what the property selects, and follow `zfs set` / `zfs inherit`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, listDatasets, makePools, requireZfs, zfs } from '../helpers/zfs.js';
import type { PlanDocument } from '../../src/types.js';

const T0 = new Date('2026-11-22T10:00:00Z');

async function planned(spec: string, now: Date): Promise<PlanDocument> {
  const r = await zfsync(['plan', '-c', spec, '--json'], { now });
  assert.ok(r.code === 0 || r.code === 2, r.stdout + r.stderr);
  return JSON.parse(r.stdout) as PlanDocument;
}

const sentFrom = (doc: PlanDocument) => doc.plan.actions.flatMap((a) => (a.kind === 'send' ? [a.source.dataset] : [])).sort();

test('property selection: true, false, child and parent; then zfs set and zfs inherit', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  // A property name of this run only: the listing covers every pool of the machine.
  const prop = `zfsync:sel${src}`;
  await createDatasets([`${src}/vm/a`, `${src}/vm/b/deep`, `${src}/vm/c`, `${src}/ct/x`, `${src}/ct/y`, `${src}/one/sub`, `${src}/vm/scratch`]);
  await zfs(['set', `${prop}=true`, `${src}/vm`]);
  await zfs(['set', `${prop}=false`, `${src}/vm/b`]);
  await zfs(['set', `${prop}=child`, `${src}/ct`]);
  await zfs(['set', `${prop}=parent`, `${src}/one`]);
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  vms: { property: "${prop}", exclude: ["${src}/vm/scratch", "${src}/vm/scrach"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}", strip_path: 1 }
replicate:
  - { from: vms, to: bk }
`,
  );

  const first = await planned(spec, T0);
  const snap = first.plan.actions.find((a) => a.kind === 'snapshot');
  assert.ok(snap && snap.kind === 'snapshot');
  const selected = [`${src}/ct/x`, `${src}/ct/y`, `${src}/one`, `${src}/vm`, `${src}/vm/a`, `${src}/vm/c`];
  assert.deepEqual([...snap.datasets].sort(), selected);
  assert.deepEqual(sentFrom(first), selected);
  assert.deepEqual(first.plan.notes.filter((n) => n.includes('exclude')), [`sources.vms.exclude[1] '${src}/vm/scrach' matches no dataset on local`]);

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.deepEqual((await listDatasets(dst)).sort(), [dst, `${dst}/ct`, `${dst}/ct/x`, `${dst}/ct/y`, `${dst}/one`, `${dst}/vm`, `${dst}/vm/a`, `${dst}/vm/c`]);

  // b comes back with its child, c leaves (its copy stays: zfsync never destroys it).
  await zfs(['inherit', prop, `${src}/vm/b`]);
  await zfs(['set', `${prop}=false`, `${src}/vm/c`]);
  const later = hours(T0, 2);
  const second = await planned(spec, later);
  const snap2 = second.plan.actions.find((a) => a.kind === 'snapshot');
  assert.ok(snap2 && snap2.kind === 'snapshot');
  assert.deepEqual([...snap2.datasets].sort(), [`${src}/ct/x`, `${src}/ct/y`, `${src}/one`, `${src}/vm`, `${src}/vm/a`, `${src}/vm/b`, `${src}/vm/b/deep`]);
  const fulls = second.plan.actions.flatMap((a) => (a.kind === 'send' && a.mode === 'full' ? [a.source.dataset] : [])).sort();
  assert.deepEqual(fulls, [`${src}/vm/b`, `${src}/vm/b/deep`]);
  assert.ok(!sentFrom(second).includes(`${src}/vm/c`));

  const again = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: later });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.deepEqual((await listDatasets(dst)).sort(), [dst, `${dst}/ct`, `${dst}/ct/x`, `${dst}/ct/y`, `${dst}/one`, `${dst}/vm`, `${dst}/vm/a`, `${dst}/vm/b`, `${dst}/vm/b/deep`, `${dst}/vm/c`]);
  const cSnaps = await zfs(['list', '-H', '-o', 'name', '-t', 'snapshot', '-r', `${src}/vm/c`]);
  assert.equal(cSnaps.trim().split('\n').length, 1, 'c, no longer selected, got no second snapshot');
});
