// zfsync status end to end on real ZFS: replicate at T0, then at T0+2h the lag, --max-lag
// either side of it, --json against its schema, no lock taken, and no change on either pool.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { LocalRunner } from '../../src/host/local.js';
import { PlanLocks } from '../../src/lock/plan-lock-set.js';
import type { StatusDocument } from '../../src/render/status-json.js';
import type { Spec } from '../../src/types.js';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, makePools, requireZfs, snapshot, stateDigest, writeRandom } from '../helpers/zfs.js';

const T0 = new Date('2026-12-01T10:00:00Z');
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(new URL('../../schemas/status.schema.json', import.meta.url), 'utf8')));

test('status after a replication: lag, pending, --max-lag, --json; changes nothing', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm1`]);
  await writeRandom(`${src}/vm/vm1`, 'disk.img', 256 << 10);
  const { spec } = await specFile(
    t,
    `version: 1
sources:
  vms:
    datasets: ["${src}/vm"]
    snapshot_every: 1h
targets:
  backup:
    dataset: ${dst}/replica
replicate:
  - { from: vms, to: backup, snapshots: [manual] }
`,
  );
  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  await snapshot(`${src}/vm/vm1@manual`);
  // Another apply holds every lock this spec has: a status that took one would fail at once.
  const other = new PlanLocks({ spec: {} as Spec, runners: new Map([['local', new LocalRunner()]]) }, { timeoutMs: 0, emit: () => undefined });
  t.after(() => other.release());
  await other.acquire([{ host: 'local', dataset: `${dst}/replica`, role: 'target' }, { host: 'local', dataset: `${src}/vm`, role: 'source' }]);

  const before = await stateDigest([src, dst]);
  const later = hours(T0, 2);

  const tight = await zfsync(['status', '-c', spec, '--max-lag', '1h'], { now: later });
  assert.equal(tight.code, 1, tight.stdout + tight.stderr);
  assert.match(tight.stderr, new RegExp(`^Error: 2 behind --max-lag 1h: ${src}/vm \\(vms -> backup, lag 2h00m\\); ${src}/vm/vm1 \\(vms -> backup, lag 2h00m\\)$`, 'm'));
  assert.match(tight.stdout, new RegExp(`^ {2}${src}/vm/vm1 +@zfsync_20261201T100000Z +2h00m +1 +1/2 +1/1 +behind$`, 'm'));
  assert.match(tight.stdout, /\nStatus: 2 datasets in 1 pair, 2 behind --max-lag 1h, 0 conflicts\.\n$/);

  const loose = await zfsync(['status', '-c', spec, '--max-lag', '3h'], { now: later });
  assert.equal(loose.code, 0, loose.stdout + loose.stderr);
  assert.doesNotMatch(loose.stdout, /behind$/m);
  assert.match(loose.stdout, /\nStatus: 2 datasets in 1 pair, 0 behind --max-lag 3h, 0 conflicts\.\n$/);

  const json = await zfsync(['status', '-c', spec, '--json'], { now: later });
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as StatusDocument;
  assert.ok(validate(doc), JSON.stringify(validate.errors));
  assert.equal(doc.generatedAt, later.toISOString());
  const vm1 = doc.pairs[0]!.datasets.find((d) => d.source === `${src}/vm/vm1`)!;
  assert.equal(vm1.target, `${dst}/replica/${src}/vm/vm1`);
  assert.equal(vm1.common?.name, 'zfsync_20261201T100000Z');
  assert.match(vm1.common!.guid, /^\d+$/);
  assert.equal(vm1.lagSeconds, 7200);
  assert.equal(vm1.pending, 1, '@manual (named by the pair) is newer than the common snapshot');
  assert.deepEqual(vm1.snapshots, { source: { own: 1, all: 2 }, target: { own: 1, all: 1 } });

  const blocked = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: later });
  assert.equal(blocked.code, 1, 'the locks status ran under were really held');
  assert.match(blocked.stderr, /^Error: \S+ \S+ on local is locked by /m);
  assert.equal(await stateDigest([src, dst]), before, 'status changed nothing on the pools');
  await other.release();

  // A dataset added since is never replicated: behind any --max-lag.
  await createDatasets([`${src}/vm/vm2`]);
  const fresh = await zfsync(['status', '-c', spec, '--max-lag', '3h'], { now: later });
  assert.equal(fresh.code, 1, fresh.stdout);
  assert.match(fresh.stderr, new RegExp(`^Error: 1 behind --max-lag 3h: ${src}/vm/vm2 \\(vms -> backup, never replicated\\)$`, 'm'));
  assert.match(fresh.stdout, new RegExp(`^ {2}${src}/vm/vm2 +none +never +0 +0/0 +absent +behind$`, 'm'));
});

test('status with an unreachable host: its pair is named, the others are reported, exit 1', async (t) => {
  if (!(await requireZfs(t))) return;
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm`]);
  await snapshot(`${src}/vm@zfsync_20261201T100000Z`);
  const { spec } = await specFile(
    t,
    `version: 1
hosts:
  nas:
    ssh: { host: 127.0.0.1, port: 1, user: backup, host_key: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", connect_timeout: 5s }
sources:
  vms: { datasets: ["${src}/vm"] }
targets:
  here: { dataset: "${dst}/replica" }
  offsite: { host: nas, dataset: tank/replica }
replicate:
  - { from: vms, to: here }
  - { from: vms, to: offsite }
`,
  );
  const r = await zfsync(['status', '-c', spec], { now: hours(T0, 1) });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  // Connection refused, or no key to log in with, depending on this machine's ~/.ssh: either is one line.
  const reason = /^Error: (nas: .*127\.0\.0\.1:1.*)$/m.exec(r.stderr)?.[1];
  assert.ok(reason, r.stderr);
  assert.match(r.stdout, new RegExp(`^ {2}${src}/vm +none +never +1 +1/1 +absent$`, 'm'));
  assert.ok(r.stdout.includes(`\nvms -> offsite  (local -> nas: tank/replica)\n  ! host nas unreachable: ${reason}\n`), r.stdout);
  assert.match(r.stdout, /\nStatus: 1 dataset in 2 pairs, 1 never replicated, 0 conflicts, 1 host unreachable \(nas\)\.\n$/);

  const lag = await zfsync(['status', '-c', spec, '--max-lag', '1d'], { now: hours(T0, 1) });
  assert.equal(lag.code, 1);
  assert.match(lag.stderr, new RegExp(`^Error: 2 behind --max-lag 1d: ${src}/vm \\(vms -> here, never replicated\\); vms -> offsite: host nas unreachable$`, 'm'));
});
