// Saved plans: applied exactly, refused when stale (with a diff), and --dry-run changes nothing.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, listSnapshots, makePools, requireZfs, stateDigest, writeRandom, zfs } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');

async function setup(t: Parameters<typeof requireZfs>[0]) {
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/one`, `${src}/vm/two`]);
  await writeRandom(`${src}/vm/one`, 'd', 200_000);
  const s = await specFile(
    t,
    `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  bk: { dataset: "${dst}/bk" }
replicate:
  - { from: vms, to: bk }
`,
  );
  return { src, dst, ...s };
}

test('a saved plan is applied exactly, and refused with a diff once the state moved', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst, dir, spec } = await setup(t);
  const planFile = path.join(dir, 'plan.json');
  const planned = await zfsync(['plan', '-c', spec, '--out', planFile], { now: T0 });
  assert.equal(planned.code, 0, planned.stderr);
  const doc = JSON.parse(await readFile(planFile, 'utf8'));
  assert.equal(doc.format, 'zfsync-plan');
  assert.equal(doc.version, 1);
  assert.match(doc.spec.hash, /^[0-9a-f]{64}$/);
  assert.equal(doc.fingerprints.local[`${src}/vm/one`].length, 16);
  assert.equal(doc.fingerprints.local[`${dst}/bk`], 'absent');

  const shown = await zfsync(['show', planFile]);
  assert.equal(shown.code, 0);
  assert.match(shown.stdout, /Plan: 3 to send/);

  // Someone snapshots a source dataset after the plan was made.
  await zfs(['snapshot', `${src}/vm/two@manual`]);
  const before = await stateDigest([src, dst]);
  const stale = await zfsync(['apply', planFile, '-c', spec], { now: hours(T0, 0.1) });
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /saved plan is stale: 1 dataset\(s\) changed since the plan was made: local:\S+\/vm\/two/);
  assert.match(stale.stderr, /^--- saved plan/m);
  assert.match(stale.stderr, /^\+\s+\+ snapshot/m, 'the diff shows the fresh plan');
  assert.equal(await stateDigest([src, dst]), before, 'nothing executed');

  // A fresh saved plan applies without a prompt, and exactly its snapshot name.
  const again = await zfsync(['plan', '-c', spec, '--out', planFile], { now: T0 });
  assert.equal(again.code, 0);
  const applied = await zfsync(['apply', planFile, '-c', spec], { now: hours(T0, 0.2) });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  assert.deepEqual((await listSnapshots(`${dst}/bk/${src}/vm/one`)).map((s) => s.name.split('@')[1]), ['zfsync_20261122T100000Z']);

  // Applying the same plan twice is refused: the state it was made from is gone.
  const twice = await zfsync(['apply', planFile, '-c', spec], { now: hours(T0, 0.3) });
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /saved plan is stale/);
});

test('a plan is refused when the spec changed, and bad plan files get precise errors', async (t) => {
  if (!(await requireZfs(t))) return;
  const { dir, spec } = await setup(t);
  const planFile = path.join(dir, 'plan.json');
  assert.equal((await zfsync(['plan', '-c', spec, '--out', planFile], { now: T0 })).code, 0);
  await writeFile(spec, (await readFile(spec, 'utf8')).replace('snapshot_every: 1h', 'snapshot_every: 2h'));
  const r = await zfsync(['apply', planFile, '-c', spec], { now: T0 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /saved plan is stale: the spec \S+ changed since the plan was made/);

  const broken = path.join(dir, 'broken.json');
  await writeFile(broken, '{\n  "format": "zfsync-plan",\n  oops\n}');
  const b = await zfsync(['apply', broken, '-c', spec]);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /broken\.json:3:3: not valid JSON/);
  assert.doesNotMatch(b.stderr, /\n\s+at /, 'no stack trace');

  const doc = JSON.parse(await readFile(planFile, 'utf8'));
  doc.plan.actions[0].dependsOn = ['a99'];
  await writeFile(broken, JSON.stringify(doc));
  const d = await zfsync(['apply', broken, '-c', spec]);
  assert.match(d.stderr, /not a valid zfsync plan: \/plan\/actions\/0 depends on unknown action "a99"/);

  doc.version = 7;
  await writeFile(broken, JSON.stringify(doc));
  assert.match((await zfsync(['show', broken])).stderr, /plan format version 7 is not supported/);
});

test('apply --dry-run prints every command in order and changes nothing', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst, spec } = await setup(t);
  const before = await stateDigest([src, dst]);
  const r = await zfsync(['apply', '-c', spec, '--dry-run'], { now: T0 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await stateDigest([src, dst]), before);
  const commands = r.stdout.split('\n').filter((l) => /^\[a\d+\]\s+local\$ /.test(l)).map((l) => l.replace(/^\[a\d+\]\s+local\$ /, ''));
  const snap = 'zfsync_20261122T100000Z';
  assert.deepEqual(commands, [
    `zfs snapshot -r ${src}/vm@${snap}`,
    `zfs create -o canmount=off -o readonly=on ${dst}/bk`,
    `zfs create -o canmount=off -o readonly=on ${dst}/bk/${src}`,
    `zfs create -o readonly=on -o canmount=noauto -o zfsync:placeholder=${dst}/bk/${src}/vm ${dst}/bk/${src}/vm`,
    `zfs send ${src}/vm@${snap} | zfs receive -F ${dst}/bk/${src}/vm`,
    `zfs inherit zfsync:placeholder ${dst}/bk/${src}/vm`,
    `zfs get -H -o value mounted ${dst}/bk/${src}/vm`,
    `zfs create -o readonly=on -o canmount=noauto -o zfsync:placeholder=${dst}/bk/${src}/vm/one ${dst}/bk/${src}/vm/one`,
    `zfs send ${src}/vm/one@${snap} | zfs receive -F ${dst}/bk/${src}/vm/one`,
    `zfs inherit zfsync:placeholder ${dst}/bk/${src}/vm/one`,
    `zfs get -H -o value mounted ${dst}/bk/${src}/vm/one`,
    `zfs create -o readonly=on -o canmount=noauto -o zfsync:placeholder=${dst}/bk/${src}/vm/two ${dst}/bk/${src}/vm/two`,
    `zfs send ${src}/vm/two@${snap} | zfs receive -F ${dst}/bk/${src}/vm/two`,
    `zfs inherit zfsync:placeholder ${dst}/bk/${src}/vm/two`,
    `zfs get -H -o value mounted ${dst}/bk/${src}/vm/two`,
  ]);
  assert.match(r.stdout, /Dry run: 6 actions shown, nothing changed\./);
});

test('apply asks first: anything but "yes" changes nothing; "yes" applies', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst, spec } = await setup(t);
  const before = await stateDigest([src, dst]);
  const declined = await zfsync(['apply', '-c', spec], { now: T0, stdin: 'y\n' });
  assert.equal(declined.code, 1);
  assert.match(declined.stdout, /Do you want to perform these actions\?/);
  assert.match(declined.stderr, /Apply cancelled: nothing was changed\./);
  assert.equal(await stateDigest([src, dst]), before);
  const noInput = await zfsync(['apply', '-c', spec], { now: T0 });
  assert.equal(noInput.code, 1, 'end of input declines');
  const accepted = await zfsync(['apply', '-c', spec], { now: T0, stdin: 'yes\n' });
  assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
  assert.match(accepted.stdout, /Apply: 6 done, 0 failed, 0 skipped\./);
});

