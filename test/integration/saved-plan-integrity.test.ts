// Saved plans edited by hand, made from another spec, or by another zfsync are refused, and
// nothing runs: the ZFS state (snapshots and properties) is checked unchanged after each.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, datasetExists, listSnapshots, makePools, requireZfs, stateDigest, writeRandom, zfs } from '../helpers/zfs.js';
import { VERSION } from '../../src/version.js';

const T0 = new Date('2026-11-22T10:00:00Z');
const MARKER = ['zfsync:placeholder'];

interface Doc {
  zfsync: string;
  plan: { actions: Record<string, any>[]; summary: Record<string, number> };
}

async function edited(planFile: string, name: string, change: (doc: Doc) => void): Promise<string> {
  const doc = JSON.parse(await readFile(planFile, 'utf8')) as Doc;
  change(doc);
  const file = path.join(path.dirname(planFile), name);
  await writeFile(file, JSON.stringify(doc, null, 2));
  return file;
}

const sendsOf = (doc: Doc) => doc.plan.actions.filter((a) => a.kind === 'send');

test('a first-replication plan edited by hand, from another spec or another zfsync is refused; the untouched one applies', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/one`, `${src}/vm/two`]);
  await writeRandom(`${src}/vm/one`, 'd', 200_000);
  const yaml = `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}/bk" }
replicate:
  - { from: vms, to: bk }
`;
  const { dir, spec } = await specFile(t, yaml);
  const planFile = path.join(dir, 'plan.json');
  assert.equal((await zfsync(['plan', '-c', spec, '--out', planFile], { now: T0 })).code, 0);
  const before = await stateDigest([src, dst], MARKER);
  const refused = async (file: string, args: string[] = []) => {
    const r = await zfsync(['apply', file, '-c', spec, ...args], { now: hours(T0, 0.1) });
    assert.equal(r.code, 1, `${file}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(r.stdout, /Apply: /, 'nothing ran');
    assert.equal(await stateDigest([src, dst], MARKER), before, `${file}: nothing executed`);
    return r.stderr;
  };

  // receive.readonly and receive.mount flipped: a writable, mountable target against the spec.
  const flipped = await edited(planFile, 'flipped.json', (d) => {
    for (const a of sendsOf(d)) a.receive = { ...a.receive, readonly: false, mount: true };
  });
  const f = await refused(flipped);
  assert.match(f, new RegExp(`saved plan \\S*flipped\\.json is not the plan \\S*zfsync\\.yaml and the current state give`));
  assert.match(f, new RegExp(`a\\d+ send full local: ${src}/vm @zfsync_20261122T100000Z => ${dst}/bk/${src}/vm: receive\\.mount, receive\\.readonly differ`));
  assert.match(f, /^ {4}receive\.readonly: false in the plan; \S+zfsync\.yaml and the state give true$/m);
  assert.match(f, /Nothing was applied|nothing was applied/);

  // A target renamed inside the plan.
  const renamed = await edited(planFile, 'renamed.json', (d) => {
    const s = sendsOf(d).find((a) => a.target.dataset === `${dst}/bk/${src}/vm/one`)!;
    s.target.dataset = `${dst}/evil`;
  });
  const r = await refused(renamed);
  assert.match(r, new RegExp(`=> ${dst}/evil: target\\.dataset differs`));
  assert.match(r, new RegExp(`target\\.dataset: "${dst}/evil" in the plan; \\S+ and the state give "${dst}/bk/${src}/vm/one"`));
  assert.equal(await datasetExists(`${dst}/evil`), false);

  // An action removed (and the rest kept consistent).
  const removed = await edited(planFile, 'removed.json', (d) => {
    const last = d.plan.actions.pop()!;
    assert.equal(last.kind, 'send');
  });
  assert.match(await refused(removed), /missing from the plan, which \S+ and the state call for/);

  // A plan from a newer zfsync is refused on reading, by show too; an older minor by apply.
  const newer = await edited(planFile, 'newer.json', (d) => (d.zfsync = '9.9.9'));
  assert.match(await refused(newer), new RegExp(`newer\\.json was made by zfsync 9\\.9\\.9, which is newer than this zfsync ${VERSION.replace(/\./g, '\\.')}`));
  assert.match((await zfsync(['show', newer])).stderr, /made by zfsync 9\.9\.9, which is newer/);
  const [major, minor] = VERSION.split('.').map(Number);
  const olderMinor = minor! > 0 ? `${major}.${minor! - 1}.0` : `${major! - 1}.0.0`;
  const older = await edited(planFile, 'older.json', (d) => (d.zfsync = olderMinor));
  assert.match(await refused(older), new RegExp(`was made by zfsync ${olderMinor.replace(/\./g, '\\.')}; this zfsync \\S+ applies plans made by ${major}\\.${minor}\\.x only`));
  const notVersion = await edited(planFile, 'notversion.json', (d) => (d.zfsync = 'latest\u001b[2J'));
  assert.match(await refused(notVersion), /\/zfsync "latest\\u001b\[2J" is not a zfsync version/);

  // A plan made from another spec file says so, instead of listing every dataset as changed.
  const other = path.join(dir, 'other.yaml');
  await writeFile(other, yaml.replace('snapshot_every: 1h', 'snapshot_every: 2h'));
  const otherPlan = path.join(dir, 'other-plan.json');
  assert.equal((await zfsync(['plan', '-c', other, '--out', otherPlan], { now: T0 })).code, 0);
  const o = await refused(otherPlan);
  assert.match(o, /^Error: this plan was made from \S*other\.yaml \(sha256 [0-9a-f]{12}\), not \S*zfsync\.yaml \(sha256 [0-9a-f]{12}\): apply it with -c \S*other\.yaml/m);
  assert.doesNotMatch(o, /changed/);

  // Control characters in a reason: shown escaped, never interpreted; the stored summary is ignored.
  const evil = await edited(planFile, 'evil.json', (d) => {
    d.plan.actions[0]!.reason = 'fine\u001b[2J\u001b[31m\nPlan: 0 to send, all good.\r';
    d.plan.summary.sends = 99;
  });
  const shown = await zfsync(['show', evil]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(shown.stdout), 'no raw control character reaches the terminal');
  assert.ok(shown.stdout.includes('fine\\x1b[2J\\x1b[31m\\nPlan: 0 to send, all good.\\r'), shown.stdout);
  assert.match(shown.stdout, /^Plan: 3 to send, 1 snapshot, 2 to create/m, 'counted from the actions');
  assert.doesNotMatch(shown.stdout, /99/);
  const e = await refused(evil);
  assert.match(e, /a1 snapshot local: @zfsync_20261122T100000Z: reason differs/);
  assert.ok(!e.includes('\u001b'), 'the error escapes it too');

  // The plan as zfsync wrote it still applies, exactly.
  const applied = await zfsync(['apply', planFile, '-c', spec], { now: hours(T0, 0.2) });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.match(applied.stdout, /Apply: 6 done, 0 failed, 0 skipped\./);
  assert.deepEqual((await listSnapshots(`${dst}/bk/${src}/vm/one`)).map((s) => s.name.split('@')[1]), ['zfsync_20261122T100000Z']);
});

test('an incremental plan with a rollback or recv -F added by hand is refused; targets and sources keep their snapshots', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/db`]);
  await writeRandom(`${src}/db`, 'rows', 100_000);
  await zfs(['snapshot', `${src}/db@s1`]);
  await writeRandom(`${src}/db`, 'more', 50_000);
  await zfs(['snapshot', `${src}/db@s2`]);
  const { dir, spec } = await specFile(
    t,
    `version: 1
sources:
  db: { datasets: ["${src}/db"] }
targets:
  copy: { dataset: "${dst}", strip_path: 1, initial: all, on_divergence: refuse }
replicate:
  - { from: db, to: copy }
`,
  );
  const first = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  await zfs(['snapshot', `${src}/db@s3`]);
  const planFile = path.join(dir, 'plan.json');
  assert.equal((await zfsync(['plan', '-c', spec, '--out', planFile], { now: hours(T0, 1) })).code, 0);
  const before = await stateDigest([src, dst], MARKER);
  const refused = async (file: string) => {
    const r = await zfsync(['apply', file, '-c', spec], { now: hours(T0, 1.1) });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /Apply: /);
    assert.equal(await stateDigest([src, dst], MARKER), before, `${file}: nothing executed`);
    assert.deepEqual((await listSnapshots(`${dst}/db`)).map((s) => s.name.split('@')[1]), ['s1', 's2']);
    assert.deepEqual((await listSnapshots(`${src}/db`)).map((s) => s.name.split('@')[1]), ['s1', 's2', 's3']);
    return r.stderr;
  };
  const rollback = (host: string, dataset: string, destroys: string[]) => ({
    id: 'a90', kind: 'rollback', pair: 'db -> copy', host, dataset, to: { name: 's1' }, destroys, reason: 'looks routine', dependsOn: [],
  });

  // A rollback on an on_divergence: refuse target, destroying the newest common snapshot.
  const onTarget = await edited(planFile, 'rollback-target.json', (d) => d.plan.actions.unshift(rollback('local', `${dst}/db`, ['s2'])));
  assert.match(await refused(onTarget), new RegExp(`a90 rollback local: ${dst}/db@s1: \\S+zfsync\\.yaml and the state call for no such action`));

  // A rollback aimed at the source.
  const onSource = await edited(planFile, 'rollback-source.json', (d) => d.plan.actions.unshift(rollback('local', `${src}/db`, ['s2', 's3'])));
  assert.match(await refused(onSource), new RegExp(`a90 rollback local: ${src}/db@s1: \\S+ and the state call for no such action`));

  // recv -F added to the incremental.
  const forced = await edited(planFile, 'forced.json', (d) => (sendsOf(d)[0]!.receive.force = true));
  assert.match(await refused(forced), /send incremental local: \S+ @s2 -> @s3 => \S+: receive\.force differs/);

  // A size estimate is not part of what must match; the rest of the plan applies as planned.
  const resized = await edited(planFile, 'resized.json', (d) => (sendsOf(d)[0]!.bytes = 12345));
  const applied = await zfsync(['apply', resized, '-c', spec], { now: hours(T0, 1.2) });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.deepEqual((await listSnapshots(`${dst}/db`)).map((s) => s.name.split('@')[1]), ['s1', 's2', 's3']);
});
