// `recv -F` goes only into an empty placeholder of zfsync's own: never into a former
// placeholder (or a parent) that holds replicas below it, nor into one that data was written to.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { specFile, hours, zfsync } from '../helpers/cli.js';
import { createDatasets, getProp, listDatasets, listSnapshots, makePools, requireZfs, retryBusy, writeRandom, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');

const specYaml = (src: string, dst: string, datasets: string[]) => `version: 1
sources:
  vms: { datasets: [${datasets.map((d) => `"${d}"`).join(', ')}], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}/bk" }
replicate:
  - { from: vms, to: bk }
`;

/** Every command an apply --json ran (or, with --dry-run, would run). */
function commandsOf(stdout: string): string[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; command?: string }).filter((e) => e.type === 'command').map((e) => e.command!);
}

async function replicasBelow(t: Parameters<typeof requireZfs>[0], markParent: boolean) {
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/one`, `${src}/vm/two`]);
  await writeRandom(`${src}/vm/one`, 'disk', 400_000);
  const parent = `${dst}/bk/${src}/vm`;
  if (markParent) {
    // What an earlier zfsync left: a parent marked as its own placeholder.
    await createDatasets([`${dst}/bk/${src}`]);
    await zfs(['create', '-o', 'canmount=off', '-o', `zfsync:placeholder=${parent}`, parent]);
  }
  const { spec } = await specFile(t, specYaml(src, dst, [`${src}/vm/one`, `${src}/vm/two`]));
  const first = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: T0 });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const clears = commandsOf(first.stdout).filter((c) => c.startsWith('zfs inherit zfsync:placeholder') && c.endsWith(` ${parent}`));
  assert.equal(clears.length, markParent ? 1 : 0, 'the marked parent is cleared once, by the send that lands its first child');
  assert.equal(await getProp(parent, 'zfsync:placeholder'), '-');
  const children = { one: await listSnapshots(`${parent}/one`), two: await listSnapshots(`${parent}/two`) };
  assert.equal(children.one.length, 1);
  // A later spec maps the parent's own source onto it.
  await writeFile(spec, specYaml(src, dst, [`${src}/vm`]));
  return { src, dst, spec, parent, children };
}

async function assertConflictNotForced(r: { spec: string; parent: string; src: string; dst: string; children: Record<string, { name: string; guid: string }[]> }, childMarkers = true) {
  const planned = await zfsync(['plan', '-c', r.spec, '--json'], { now: hours(T0, 2) });
  assert.equal(planned.code, 0, planned.stderr);
  const actions = JSON.parse(planned.stdout).plan.actions as { kind: string; dataset?: string; target?: { dataset: string }; message?: string; resolution?: string }[];
  assert.ok(!actions.some((a) => a.kind === 'send' && a.target!.dataset === r.parent), 'no send into the parent');
  const conflict = actions.find((a) => a.kind === 'conflict' && a.dataset === r.parent);
  assert.ok(conflict, JSON.stringify(actions));
  assert.match(conflict.message!, new RegExp(`${r.parent} has no snapshots but holds 2 datasets below it .*: receiving ${r.src}/vm in full .*would replace them all`));
  assert.match(conflict.resolution!, new RegExp(`list its children in sources\\.vms\\.datasets instead of ${r.src}/vm\\), point targets\\.bk\\.dataset elsewhere, or move ${r.parent} and the 2 datasets below it away yourself`));

  const text = await zfsync(['plan', '-c', r.spec], { now: hours(T0, 2) });
  assert.match(text.stdout, new RegExp(`! conflict\\s+local: ${r.parent}\\n`));

  const applied = await zfsync(['apply', '-c', r.spec, '--auto-approve', '--json'], { now: hours(T0, 2) });
  assert.equal(applied.code, 1, 'a conflict is left');
  const ran = commandsOf(applied.stdout);
  assert.ok(ran.some((c) => c.includes(`receive ${r.parent}/one`)), ran.join('\n'));
  assert.ok(!ran.some((c) => c.includes(`receive -F ${r.parent}`)), `no recv -F under the parent:\n${ran.join('\n')}`);
  assert.ok(!ran.some((c) => new RegExp(`receive .*${r.parent}$`).test(c)), 'nothing received into the parent');
  // The children are intact and moved on incrementally; the parent holds no snapshot.
  assert.deepEqual((await listDatasets(r.parent)).sort(), [r.parent, `${r.parent}/one`, `${r.parent}/two`]);
  for (const [leaf, before] of Object.entries(r.children)) {
    const now = await listSnapshots(`${r.parent}/${leaf}`);
    assert.deepEqual(now.slice(0, before.length), before, `${leaf} keeps its snapshots`);
    assert.equal(now.length, before.length + 1, `${leaf} got the new snapshot`);
    if (childMarkers) assert.equal(await getProp(`${r.parent}/${leaf}`, 'zfsync:placeholder'), '-', `${leaf} shows no marker, not even an inherited one`);
  }
  assert.deepEqual(await listSnapshots(r.parent), []);
}

test('a parent zfsync created, now holding replicas, is a conflict when its own source is mapped onto it', async (t) => {
  if (!(await requireZfs(t))) return;
  const r = await replicasBelow(t, false);
  assert.equal(await getProp(r.parent, 'zfsync:placeholder'), '-', 'parents carry no marker');
  await assertConflictNotForced(r);
});

test('a former placeholder parent (marked by an earlier zfsync) holding replicas is a conflict, never recv -F', async (t) => {
  if (!(await requireZfs(t))) return;
  const r = await replicasBelow(t, true);
  for (const leaf of ['one', 'two']) assert.equal(await getProp(`${r.parent}/${leaf}`, 'zfsync:placeholder'), '-', 'nothing inherited');
  // An older zfsync left the marker on such parents: it is no placeholder while it holds datasets.
  await zfs(['set', `zfsync:placeholder=${r.parent}`, r.parent]);
  await assertConflictNotForced(r, false);
});

test('a placeholder that data was written into is no longer one: a conflict instead of recv -F', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/db`]);
  await zfs(['snapshot', `${src}/db@s1`]);
  const ph = `${dst}/db`;
  await zfs(['create', '-o', `zfsync:placeholder=${ph}`, ph]);
  const { spec } = await specFile(t, `version: 1
sources:
  db: { datasets: ["${src}/db"] }
targets:
  copy: { dataset: "${dst}", strip_path: 1 }
replicate:
  - { from: db, to: copy }
`);
  const empty = JSON.parse((await zfsync(['plan', '-c', spec, '--json'], { now: T0 })).stdout).plan.actions;
  assert.equal(empty[0].receive.placeholder, 'existing', 'empty: still a placeholder');

  await writeRandom(ph, 'precious', 1 << 20);
  await retryBusy(() => zfs(['umount', ph])); // the unmount commits the data, so referenced shows it
  for (let i = 0; i < 60 && Number(await getProp(ph, 'referenced')) <= 128 * 1024; i++) await new Promise((res) => setTimeout(res, 1000));
  assert.ok(Number(await getProp(ph, 'referenced')) > 1_000_000);
  const planned = await zfsync(['plan', '-c', spec, '--json'], { now: T0 });
  const actions = JSON.parse(planned.stdout).plan.actions;
  assert.deepEqual(actions.map((a: { kind: string }) => a.kind), ['conflict']);
  assert.match(actions[0].message, new RegExp(`${ph} exists but has no snapshots`));
  const applied = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: T0 });
  assert.equal(applied.code, 1);
  assert.deepEqual(commandsOf(applied.stdout), []);
  assert.ok(Number(await getProp(ph, 'referenced')) > 1_000_000, 'the data is still there');
});
