// `zfsync permissions` against real ZFS: the `zfs allow` lines it prints are run as they are
// printed, on pools whose datasets match the spec, and `zfs allow <dataset>` must then list them.
//
// zfs-fuse (the dev/CI ZFS) has no working `zfs allow`: its zfs command hands allow, unallow and
// holds to /usr/lib/zfs/pyzfs.py, which zfs-fuse does not ship, and prints "internal error:
// /usr/lib/zfs/pyzfs.py not found" (on stdout, exit 255), even for `zfs allow <dataset>`. There
// the test proves that exact failure and checks what does work: every dataset a line names
// exists (the target's grant on the parent of a dataset that does not exist yet), every property
// permission is a property that zfs knows there, and the pool has delegation=on.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, datasetExists, makePools, requireZfs, zfs, zpool } from '../helpers/zfs.js';

const ENV = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command as an argv (no shell), resolving with its exit code and both outputs. */
function runAll(cmd: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: ENV, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Splits a line the way sh would, for the quoting zfsync prints (plain words and '...' with '\''). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /\s*((?:[^\s']+|'[^']*')+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    const raw = m[1] ?? '';
    words.push(raw.replace(/'([^']*)'/g, '$1'));
    if (re.lastIndex >= line.trimEnd().length) break;
  }
  return words;
}

/** Permission names that are not properties (zfs-allow(8): subcommands and `userprop`). */
const NOT_PROPERTIES = new Set(['create', 'destroy', 'hold', 'mount', 'receive', 'release', 'rollback', 'send', 'snapshot', 'bookmark', 'userprop']);

interface AllowLine {
  line: string;
  user: string;
  permissions: string[];
  dataset: string;
}

function allowLines(stdout: string): AllowLine[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('zfs allow '))
    .map((line) => {
      const w = shellWords(line);
      assert.equal(w.length, 6, `zfs allow -u <user> <perms> <dataset>: ${line}`);
      assert.deepEqual(w.slice(0, 3), ['zfs', 'allow', '-u'], line);
      return { line, user: w[3]!, permissions: w[4]!.split(','), dataset: w[5]! };
    });
}

/**
 * The permissions `zfs allow <dataset>` lists for `user` as local+descendent on `dataset` itself.
 * The output has one block per dataset with grants that apply (ancestors too):
 *   ---- Permissions on pool/backup ------------------------------
 *   Local+Descendent permissions:
 *   \tuser backup canmount,create,destroy,mount
 */
function listedPermissions(out: string, dataset: string, user: string): string[] | undefined {
  let block: string | undefined;
  let section = '';
  for (const line of out.split('\n')) {
    const title = /^-+ Permissions on (.+?) ?-*$/.exec(line);
    if (title) {
      block = title[1];
      section = '';
    } else if (!/^\s/.test(line)) {
      section = line.trim();
    } else if (block === dataset && section === 'Local+Descendent permissions:') {
      const m = /^\s+user (\S+) (\S+)$/.exec(line);
      if (m && m[1] === user) return m[2]!.split(',');
    }
  }
  return undefined;
}

test('permissions: the printed zfs allow lines, run on real ZFS', async (t) => {
  if (!(await requireZfs(t))) return;
  // zfs allow -u resolves the user name, so the spec's ssh users must exist here.
  for (const user of ['daemon', 'backup']) {
    if ((await runAll('id', ['-u', user])).code !== 0) {
      t.skip(`no user ${user} on this machine`);
      return;
    }
  }
  const pools = await makePools(t, ['psrc', 'pdst'], 128);
  const src = pools.psrc;
  const dst = pools.pdst;
  const vms = `${src}/my vms`; // a space: the printed line must quote it
  await createDatasets([`${vms}/vm1`, `${src}/logs`, `${dst}/backup`]);
  const target = `${dst}/backup/pve1`; // does not exist: zfsync would create it
  assert.equal(await datasetExists(target), false);

  // Remote hosts, so the users are the (existing) ssh users; no host is contacted.
  const { spec } = await specFile(t, `version: 1
hosts:
  pve: { ssh: { host: pve.example.com, user: daemon } }
  nas: { ssh: { host: nas.example.com, user: backup } }
sources:
  vms: { host: pve, datasets: ["${vms}"], snapshot_every: 1h, retention: { daily: 7 } }
  logs: { host: pve, datasets: [${src}/logs] }
targets:
  offsite:
    host: nas
    dataset: ${target}
    on_divergence: rollback
    receive: { properties: { compression: lz4, "com.example:owner": ops }, exclude_properties: [atime] }
  root:
    host: nas
    dataset: ${dst}
replicate:
  - { from: vms, to: offsite }
  - { from: logs, to: root }
`);
  const r = await zfsync(['permissions', '-c', spec]);
  assert.equal(r.code, 0, r.stderr);
  const lines = allowLines(r.stdout);
  assert.deepEqual(lines.map((l) => [l.user, l.dataset]), [
    ['daemon', `${src}/logs`],
    ['daemon', vms],
    ['backup', dst],
    ['backup', `${dst}/backup`],
  ]);
  assert.ok(lines.some((l) => l.line === `zfs allow -u daemon bookmark,destroy,hold,mount,release,send,snapshot,userprop '${vms}'`), r.stdout);

  const probe = await runAll('zfs', ['allow', `${dst}/backup`]);
  if (probe.code !== 0 && /pyzfs\.py not found/.test(probe.stdout + probe.stderr)) {
    // zfs-fuse: every zfs allow, and zfs allow <dataset>, fails the same way, before looking at its arguments.
    const pyzfs = 'internal error: /usr/lib/zfs/pyzfs.py not found';
    for (const l of lines) {
      const ran = await runAll('zfs', shellWords(l.line).slice(1));
      assert.equal(ran.code, 255, l.line);
      assert.equal(ran.stdout.trim(), pyzfs, l.line);
      assert.equal((await runAll('zfs', ['allow', l.dataset])).stdout.trim(), pyzfs);
    }
    // What works: the lines name existing datasets and known properties, on pools that allow delegation.
    for (const l of lines) {
      assert.equal((await zfs(['list', '-H', '-o', 'name', l.dataset])).trim(), l.dataset, l.line);
      const props = l.permissions.filter((p) => !NOT_PROPERTIES.has(p));
      if (props.length > 0) {
        const got = (await zfs(['get', '-H', '-o', 'property', props.join(','), l.dataset])).trim().split('\n');
        assert.deepEqual(got.sort(), [...props].sort(), `${l.line}: properties zfs knows`);
      }
    }
    for (const pool of [src, dst]) {
      // zfs-fuse's zpool get has no -H: `NAME PROPERTY VALUE SOURCE`, then one row.
      assert.match(await zpool(['get', 'delegation', pool]), new RegExp(`^${pool}\\s+delegation\\s+on\\s`, 'm'));
    }
    t.diagnostic(`zfs allow does not work on this ZFS (${pyzfs}); checked the ${lines.length} lines' datasets, properties and delegation=on instead`);
    return;
  }

  // ZFS with delegation (OpenZFS): run every line, then zfs allow <dataset> lists exactly those permissions.
  assert.equal(probe.code, 0, `zfs allow ${dst}/backup: ${probe.stdout}${probe.stderr}`);
  for (const l of lines) {
    const ran = await runAll('zfs', shellWords(l.line).slice(1));
    assert.equal(ran.code, 0, `${l.line}: ${ran.stderr}`);
  }
  for (const l of lines) {
    const out = await zfs(['allow', l.dataset]);
    const listed = listedPermissions(out, l.dataset, l.user);
    assert.deepEqual([...(listed ?? [])].sort(), [...l.permissions].sort(), `zfs allow ${l.dataset} lists ${l.line}:\n${out}`);
  }
});

test('permissions: the printed sudo rules pass visudo', async (t) => {
  const visudo = await runAll('visudo', ['-V']);
  if (visudo.code !== 0) {
    t.skip(`visudo not available: ${visudo.stderr.trim() || visudo.stdout.trim()}`);
    return;
  }
  const { spec } = await specFile(t, `version: 1
hosts:
  pve: { ssh: { host: pve.example.com, user: daemon }, zfs: /usr/sbin/zfs }
  nas: { ssh: { host: nas.example.com, user: backup }, sudo: true }
sources:
  vms: { host: pve, datasets: [tank/vm] }
targets:
  offsite: { host: nas, dataset: backup/pve1 }
replicate:
  - { from: vms, to: offsite }
`);
  const r = await zfsync(['permissions', '-c', spec, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { hosts: { host: string; sudoers: string }[] };
  assert.deepEqual(doc.hosts.map((h) => h.sudoers), ['daemon ALL=(root) NOPASSWD: /usr/sbin/zfs', 'backup ALL=(root) NOPASSWD: /usr/sbin/zfs']);
  const dir = await mkdtemp(path.join(tmpdir(), 'zfsync-sudoers-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'zfsync');
  await writeFile(file, doc.hosts.map((h) => h.sudoers).join('\n') + '\n', { mode: 0o440 });
  const checked = await runAll('visudo', ['-c', '-f', file]);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  assert.match(checked.stdout, /parsed OK/);
});
