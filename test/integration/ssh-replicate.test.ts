// Push, pull and relay through a real OpenSSH server on 127.0.0.1 (this machine's zfs-fuse
// pools play the remote side): GUIDs equal on both ends, incrementals, convergence, and
// transport options.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { sshHost } from '../helpers/ssh-spec.js';
import { requireSshd, startSshd } from '../helpers/sshd.js';
import { createDatasets, getProp, listSnapshots, makePools, requireZfs, writeRandom } from '../helpers/zfs.js';

const T0 = new Date('2026-11-22T10:00:00Z');

const short = async (ds: string) => (await listSnapshots(ds)).map((x) => ({ name: x.name.slice(x.name.indexOf('@') + 1), guid: x.guid }));

async function ready(t: Parameters<typeof requireZfs>[0]): Promise<boolean> {
  return (await requireZfs(t)) && (await requireSshd(t));
}

test('push: local -> nas over SSH, full then incremental, GUIDs equal, then no changes', async (t) => {
  if (!(await ready(t))) return;
  const server = await startSshd(t);
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/vm1`, `${src}/vm/vm 2`]);
  await writeRandom(`${src}/vm/vm1`, 'disk', 3 << 20);
  await writeRandom(`${src}/vm/vm 2`, 'disk', 1 << 20);
  const { spec } = await specFile(
    t,
    `version: 1
hosts:
${sshHost('nas', server)}
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  off: { host: nas, dataset: "${dst}/pve1", strip_path: 1 }
replicate:
  - { from: vms, to: off }
`,
  );
  const plan = await zfsync(['plan', '-c', spec], { now: T0 });
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stderr, /Read nas: /);
  assert.match(plan.stdout, /\+ send full\s+local -> nas: \S+\/vm\/vm1 @zfsync_20261122T100000Z => \S+\/pve1\/vm\/vm1/);

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  for (const leaf of ['vm1', 'vm 2']) {
    const s = await short(`${src}/vm/${leaf}`);
    assert.equal(s.length, 1);
    assert.deepEqual(await short(`${dst}/pve1/vm/${leaf}`), s);
    assert.equal(await getProp(`${dst}/pve1/vm/${leaf}`, 'readonly'), 'on');
    assert.equal(await getProp(`${dst}/pve1/vm/${leaf}`, 'mounted'), 'no');
  }

  await writeRandom(`${src}/vm/vm1`, 'more', 1 << 20);
  const second = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /send incremental local -> nas: /);
  const after = await short(`${src}/vm/vm1`);
  assert.equal(after.length, 2);
  assert.deepEqual(await short(`${dst}/pve1/vm/vm1`), after);

  const converged = await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: hours(T0, 1.5) });
  assert.equal(converged.code, 0, converged.stdout + converged.stderr);
  assert.match(converged.stdout, /No changes\./);
});

test('pull: nas -> local, and relay: nas -> backup via local, each with its own transport', async (t) => {
  if (!(await ready(t))) return;
  const server = await startSshd(t);
  const { src, dst, far } = await makePools(t, ['src', 'dst', 'far']);
  await createDatasets([`${src}/data/a:b.c`, `${src}/data/-dash`]);
  await writeRandom(`${src}/data/a:b.c`, 'x', 2 << 20);
  await writeRandom(`${src}/data/-dash`, 'x', 1 << 20);
  const { spec } = await specFile(
    t,
    `version: 1
hosts:
${sshHost('nas', server)}${sshHost('backup', server)}
sources:
  data: { host: nas, datasets: ["${src}/data"], snapshot_every: 1h }
targets:
  here: { dataset: "${dst}", strip_path: 1 }
  there: { host: backup, dataset: "${far}/r", strip_path: 1 }
replicate:
  - { from: data, to: here, transport: { compress: lz4, buffer: none } }
  - { from: data, to: there, transport: { compress: gzip, buffer: 16M, bandwidth_limit: 50M } }
`,
  );
  const plan = await zfsync(['plan', '-c', spec], { now: T0 });
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /\+ send full\s+nas -> local: \S+\/data\/a:b\.c .*lz4\)/);
  assert.match(plan.stdout, /\+ send full\s+nas -> backup via local: \S+\/data\/-dash .*gzip, mbuffer 16 MiB, limit 50 MiB\/s\)/);

  const applied = await zfsync(['apply', '-c', spec, '--auto-approve', '--parallelism', '2'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  let compared = 0;
  for (const leaf of ['a:b.c', '-dash']) {
    const s = await short(`${src}/data/${leaf}`);
    assert.equal(s.length, 1);
    assert.deepEqual(await short(`${dst}/data/${leaf}`), s, `pull ${leaf}`);
    assert.deepEqual(await short(`${far}/r/data/${leaf}`), s, `relay ${leaf}`);
    compared++;
  }
  assert.equal(compared, 2);

  await writeRandom(`${src}/data/-dash`, 'y', 1 << 20);
  const second = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: hours(T0, 1) });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.deepEqual(await short(`${far}/r/data/-dash`), await short(`${src}/data/-dash`));
  assert.equal((await short(`${far}/r/data/-dash`)).length, 2);
  assert.equal((await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: hours(T0, 1.5) })).code, 0);
});

/** A PATH holding every command of this machine except `absent` (symlinks), removed after the test. */
async function pathWithout(t: Parameters<typeof requireZfs>[0], absent: readonly string[]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'zfsync-path-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  for (const from of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    for (const name of await fs.readdir(from).catch(() => [] as string[])) {
      if (absent.includes(name)) continue;
      await fs.symlink(path.join(from, name), path.join(dir, name)).catch(() => {}); // first on PATH wins
    }
  }
  return dir;
}

test('transport tools absent on one end: compression and buffer fall back, the plan says so, the data arrives', async (t) => {
  if (!(await ready(t))) return;
  const server = await startSshd(t);
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/data`]);
  await writeRandom(`${src}/data`, 'x', 2 << 20);
  const { spec } = await specFile(
    t,
    `version: 1
hosts:
${sshHost('nas', server)}
sources:
  data: { host: nas, datasets: ["${src}/data"], snapshot_every: 1h }
targets:
  here: { dataset: "${dst}", strip_path: 1 }
replicate:
  - { from: data, to: here, transport: { compress: zstd, buffer: 64M } }
`,
  );
  // This machine (the receiving end of the pull) loses its compressors and mbuffer; nas keeps them.
  const saved = process.env.PATH;
  process.env.PATH = await pathWithout(t, ['zstd', 'lz4', 'gzip', 'mbuffer']);
  t.after(() => {
    process.env.PATH = saved;
  });
  const plan = await zfsync(['plan', '-c', spec], { now: T0 });
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assert.match(plan.stdout, /uncompressed: zstd is missing on the target host/);
  assert.match(plan.stdout, /no receive buffer: mbuffer is missing on the target host/);
  assert.match(plan.stdout, /\+ send full\s+nas -> local: \S+\/data @\S+ => \S+\/data .*uncompressed\)/);
  const applied = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const s = await short(`${src}/data`);
  assert.equal(s.length, 1);
  assert.deepEqual(await short(`${dst}/data`), s);
});
