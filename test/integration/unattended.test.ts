// Output for cron, systemd and CI on real ZFS: the Markdown plan for a pull request, quiet
// timestamped apply lines, and JSON events with a time and the argv of every command.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, listSnapshots, makePools, requireZfs, writeRandom } from '../helpers/zfs.js';

const T0 = new Date('2026-12-01T10:00:00Z');

test('plan --format markdown, apply --quiet with timestamps, JSON events with time and argv', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm_1`, `${src}/vm/vm*2`.replace('*', '-')]);
  await writeRandom(`${src}/vm/vm_1`, 'disk.img', 1 << 20);
  const { dir, spec } = await specFile(t, `version: 1
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  backup: { dataset: "${dst}/bk" }
replicate:
  - { from: vms, to: backup }
`);

  // Markdown for the pull request: a summary table, the pair's table, names in code spans.
  const md = await zfsync(['plan', '-c', spec, '--format', 'markdown', '--out', `${dir}/plan.json`], { now: T0 });
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^### zfsync plan for /);
  assert.match(md.stdout, /\| 3 \| 1 \| 2 \| 0 \| 0 \| 0 \|/);
  assert.match(md.stdout, /#### vms -&gt; backup/);
  assert.ok(md.stdout.includes(`| \`+\` | send full | \`local: ${src}/vm/vm_1 @zfsync_20261201T100000Z => ${dst}/bk/${src}/vm/vm_1\` |`), md.stdout);
  assert.doesNotMatch(md.stdout, /Saved the plan/, 'markdown is the comment only');
  const shown = await zfsync(['show', `${dir}/plan.json`, '--format', 'markdown'], { now: T0 });
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout.split('\n').slice(1).join('\n'), md.stdout.split('\n').slice(1).join('\n'), 'show renders the saved plan the same way');

  // --quiet: the plan's summary line and the apply's, nothing per action; the apply line is timestamped.
  const quiet = await zfsync(['apply', '-c', spec, '--auto-approve', '--quiet'], { now: T0 });
  assert.equal(quiet.code, 0, quiet.stdout + quiet.stderr);
  assert.deepEqual(quiet.stdout.trim().split('\n'), [
    'Plan: 3 to send, 1 snapshot, 2 to create, 0 to destroy, 0 conflicts.',
    '2026-12-01T10:00:00Z Apply: 6 done, 0 failed, 0 skipped.',
  ]);
  assert.equal(quiet.stderr, '', 'no host read lines when quiet');
  const [srcSnap] = await listSnapshots(`${src}/vm/vm_1`);
  const [dstSnap] = await listSnapshots(`${dst}/bk/${src}/vm/vm_1`);
  assert.ok(srcSnap && dstSnap);
  assert.equal(dstSnap.guid, srcSnap.guid);

  // JSON events: each has a time; command events give the argv (pipelines stage by stage).
  await writeRandom(`${src}/vm/vm_1`, 'more.img', 1 << 20);
  const later = hours(T0, 1);
  const json = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: later });
  assert.equal(json.code, 0, json.stdout + json.stderr);
  const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(events.length > 5);
  for (const e of events) assert.equal(e.time, later.toISOString(), JSON.stringify(e));
  const commands = events.filter((e) => e.type === 'command');
  const snapshot = commands.find((e) => Array.isArray(e.argv) && (e.argv as string[])[1] === 'snapshot');
  assert.deepEqual(snapshot?.argv, ['zfs', 'snapshot', '-r', `${src}/vm@zfsync_20261201T110000Z`]);
  const pipe = commands.find((e) => Array.isArray(e.pipeline) && JSON.stringify(e.pipeline).includes('vm_1@'));
  const stages = pipe?.pipeline as { host: string; argv: string[] }[] | undefined;
  assert.ok(stages && stages.length >= 2, JSON.stringify(pipe));
  assert.deepEqual(stages[0], { host: 'local', argv: ['zfs', 'send', '-I', `${src}/vm/vm_1@zfsync_20261201T100000Z`, `${src}/vm/vm_1@zfsync_20261201T110000Z`] });
  assert.deepEqual(stages[stages.length - 1], { host: 'local', argv: ['zfs', 'receive', `${dst}/bk/${src}/vm/vm_1`] });
});
