// Rebase groups on real ZFS (zfs-fuse): three members with mostly shared content, made as
// separate datasets (not clones), rebuilt as clones of one base. Checked: every member's origin,
// the sha256 of every file before and after, the group's space, suffix vs destroy vs replace:
// false, a re-run that plans nothing, and an apply interrupted at every step that converges.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, readlink, symlink, chmod } from 'node:fs/promises';
import * as path from 'node:path';
import { Writable, PassThrough, Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { run } from '../../src/cli/main.js';
import { InterruptedError } from '../../src/errors.js';
import { specFile, zfsync } from '../helpers/cli.js';
import { createDatasets, getProp, listDatasets, makePools, requireRsync, requireZfs, writeFile, zfs } from '../helpers/zfs.js';

const COMMON = randomBytes(3 << 20);

/** `path: sha256 mode` of every file, symlink and directory below the dataset's mountpoint. */
async function tree(dataset: string): Promise<string[]> {
  const root = await getProp(dataset, 'mountpoint');
  assert.equal(await getProp(dataset, 'mounted'), 'yes', `${dataset} mounted`);
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const p = path.join(dir, name);
      const st = await lstat(p);
      const rel = path.relative(root, p);
      if (st.isSymbolicLink()) out.push(`${rel} -> ${await readlink(p)}`);
      else if (st.isDirectory()) {
        out.push(`${rel}/ ${(st.mode & 0o7777).toString(8)}`);
        await walk(p);
      } else out.push(`${rel} ${createHash('sha256').update(await readFile(p)).digest('hex')} ${(st.mode & 0o7777).toString(8)}`);
    }
  };
  await walk(root);
  return out;
}

/** A member: the common file, one of its own, a directory, a symlink and an unusual mode. */
async function makeMember(ds: string, i: number): Promise<void> {
  await createDatasets([ds]);
  await writeFile(ds, 'common.img', COMMON);
  await writeFile(ds, `own/${i}.bin`, randomBytes(64 << 10));
  await writeFile(ds, 'etc/hostname', `vm${i}\n`);
  await symlink('etc/hostname', path.join(await getProp(ds, 'mountpoint'), 'hostname'));
  await chmod(path.join(await getProp(ds, 'mountpoint'), 'etc/hostname'), 0o640);
}

const sumUsed = async (names: string[]) => {
  let sum = 0;
  for (const n of names) sum += Number(await getProp(n, 'used'));
  return sum;
};
/** `used` summed once it stops moving: zfs-fuse accounts writes only when their txg is synced (it has no zpool sync). */
async function used(names: string[]): Promise<number> {
  let last = -1;
  for (let i = 0; i < 30; i++) {
    const now = await sumUsed(names);
    if (now === last) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return last;
}
const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
const temporaries = async (root: string) => (await listDatasets(root)).filter((d) => /\.zfsync-rebase-/.test(d));

async function group(t: TestContext, pool: string, extra: string) {
  const members = ['a', 'b', 'c'].map((m) => `${pool}/vm/${m}`);
  for (const [i, m] of members.entries()) await makeMember(m, i);
  const before = new Map<string, string[]>();
  for (const m of members) before.set(m, await tree(m));
  const { spec } = await specFile(t, `version: 1\nsources: { none: { datasets: [${pool}/vm] } }\nrebase:\n  g: { base: ${pool}/base@gold, datasets: ["${pool}/vm/*"]${extra} }\n`);
  return { members, before, spec };
}

test('rebase, keep_originals suffix: members become clones of the base with identical content, in less space; a re-run plans nothing', async (t) => {
  if (!(await requireZfs(t)) || !(await requireRsync(t))) return;
  const { rb } = await makePools(t, ['rb']);
  const { members, before, spec } = await group(t, rb, '');
  const usedBefore = await used(members);

  const p = await zfsync(['plan', '-c', spec]);
  assert.equal(p.code, 0, p.stdout + p.stderr);
  assert.match(p.stdout, new RegExp(`\\+ create base +local: ${rb}/base@gold  \\(rebase\\.g: from 3 members in turn`));
  assert.match(p.stdout, new RegExp(`-/\\+ rebuild +local: ${rb}/vm/a  \\(clone of ${rb}/base@gold; original kept as ${rb}/vm/a_pre_rebase\\)\\n +not a clone \\(no origin\\), so it shares no blocks with ${rb}/base@gold\\n`));
  assert.match(p.stdout, /rebase\.g: 3 members reference .* now \(sum of referenced; used is not read\); after, estimated/);

  const started = performance.now();
  const a = await zfsync(['apply', '-c', spec, '--auto-approve']);
  const ms = performance.now() - started;
  assert.equal(a.code, 0, a.stdout + a.stderr);
  for (const m of members) {
    assert.equal(await getProp(m, 'origin'), `${rb}/base@gold`, m);
    assert.deepEqual(await tree(m), before.get(m), `${m}: same content`);
    assert.equal(await getProp(`${m}_pre_rebase`, 'canmount'), 'noauto', 'the original is not mounted again at boot');
    await zfs(['mount', `${m}_pre_rebase`]);
    assert.deepEqual(await tree(`${m}_pre_rebase`), before.get(m), `${m}_pre_rebase: the original, untouched`);
    assert.equal(await getProp(m, 'zfsync:rebuild'), '-', 'marker cleared');
  }
  const usedAfter = await used([...members, `${rb}/base`]);
  t.diagnostic(`suffix: members used ${mib(usedBefore)} before; base + members used ${mib(usedAfter)} after; apply ${(ms / 1000).toFixed(1)} s for 3 members`);
  assert.ok(usedAfter < usedBefore * 0.7, `group space ${usedAfter} should be well below ${usedBefore}`);
  assert.deepEqual(await temporaries(rb), []);

  const again = await zfsync(['plan', '-c', spec]);
  assert.equal(again.code, 0, again.stdout);
  assert.match(again.stdout, /No changes/);
});

test('rebase, keep_originals destroy: the pool uses less than before; replace false leaves the originals at their names', async (t) => {
  if (!(await requireZfs(t)) || !(await requireRsync(t))) return;
  const { rbd: rb } = await makePools(t, ['rbd']);
  const { members, before, spec } = await group(t, rb, ', keep_originals: destroy');
  const poolBefore = await used([rb]);
  const a = await zfsync(['apply', '-c', spec, '--auto-approve']);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  for (const m of members) {
    assert.equal(await getProp(m, 'origin'), `${rb}/base@gold`);
    assert.deepEqual(await tree(m), before.get(m));
  }
  assert.deepEqual((await listDatasets(rb)).sort(), [rb, `${rb}/base`, `${rb}/vm`, ...members].sort(), 'originals destroyed, nothing temporary left');
  const poolAfter = await used([rb]);
  t.diagnostic(`destroy: pool used ${mib(poolBefore)} before, ${mib(poolAfter)} after`);
  assert.ok(poolAfter < poolBefore * 0.7, `pool used ${poolAfter} should be well below ${poolBefore}`);

  // replace: false on other members of the same pool: clones at <name><suffix>, originals untouched.
  const others = ['x', 'y'].map((m) => `${rb}/keep/${m}`);
  for (const [i, m] of others.entries()) await makeMember(m, 10 + i);
  const guids = await Promise.all(others.map((m) => getProp(m, 'guid')));
  const { spec: s2 } = await specFile(t, `version: 1\nsources: { none: { datasets: [${rb}/keep] } }\nrebase:\n  k: { base: ${rb}/kbase@gold, datasets: [${others.join(', ')}], replace: false, seed: ${others[0]}, suffix: _rebased }\n`);
  const keepBefore = await Promise.all(others.map(tree));
  const r = await zfsync(['apply', '-c', s2, '--auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const [i, m] of others.entries()) {
    assert.equal(await getProp(m, 'guid'), guids[i], `${m} is the original`);
    assert.equal(await getProp(m, 'origin'), '-');
    assert.equal(await getProp(`${m}_rebased`, 'origin'), `${rb}/kbase@gold`);
    assert.deepEqual(await tree(`${m}_rebased`), keepBefore[i]);
    assert.deepEqual(await tree(m), keepBefore[i]);
  }
  assert.match((await zfsync(['plan', '-c', s2])).stdout, /No changes/);
});

/** `apply --json`, aborted (as SIGTERM does) when the `n`th command is announced; the number of commands it announced. */
async function applyStoppedAt(spec: string, n: number): Promise<{ code: number; commands: number }> {
  const controller = new AbortController();
  let commands = 0;
  let rest = '';
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      rest += chunk.toString();
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const l of lines) if (l.includes('"type":"command"') && ++commands === n) controller.abort(new InterruptedError('SIGTERM'));
      cb();
    },
  });
  const code = await run(['apply', '-c', spec, '--auto-approve', '--json'], { stdout, stderr: new PassThrough().resume(), stdin: Readable.from([]), env: { NO_COLOR: '1' }, now: () => new Date(), signal: controller.signal });
  return { code, commands };
}

test('rebase interrupted at every step of the base and of a member: the next apply converges', async (t) => {
  if (!(await requireZfs(t)) || !(await requireRsync(t))) return;
  const { rbk: rb } = await makePools(t, ['rbk']);
  let total = 0;
  for (let n = 1; total === 0 || n <= total; n++) {
    const m = `${rb}/vm/m${n}`;
    await makeMember(m, n);
    const before = await tree(m);
    const { spec } = await specFile(t, `version: 1\nsources: { none: { datasets: [${rb}/vm] } }\nrebase:\n  g: { base: ${rb}/base${n}@gold, datasets: [${m}] }\n`);
    if (total === 0) {
      // Every command a whole apply runs, from a dry run on the fresh group.
      const dry = await zfsync(['apply', '-c', spec, '--auto-approve', '--dry-run']);
      total = (dry.stdout.match(/^\[a\d+\] {3}local\$ /gm) ?? []).length;
      assert.ok(total > 20, dry.stdout);
      t.diagnostic(`a base from one member and its rebuild: ${total} commands, apply stopped once at each`);
    }
    const stopped = await applyStoppedAt(spec, n);
    assert.equal(stopped.code, 143, `stopped at command ${n}: exit 128 + SIGTERM`);
    const resumed = await zfsync(['apply', '-c', spec, '--auto-approve']);
    assert.equal(resumed.code, 0, `after a stop at command ${n}: ${resumed.stdout}${resumed.stderr}`);
    assert.equal(await getProp(m, 'origin'), `${rb}/base${n}@gold`, `stop at ${n}`);
    assert.deepEqual(await tree(m), before, `stop at ${n}: content`);
    if ((await getProp(`${m}_pre_rebase`, 'mounted')) !== 'yes') await zfs(['mount', `${m}_pre_rebase`]);
    assert.deepEqual(await tree(`${m}_pre_rebase`), before, `stop at ${n}: original`);
    assert.deepEqual(await temporaries(rb), [], `stop at ${n}: nothing temporary left`);
    const again = await zfsync(['plan', '-c', spec]);
    assert.match(again.stdout, /No changes/, `stop at ${n}: ${again.stdout}`);
  }
});

test('a busy member fails its rebuild at the unmount, before anything is renamed; the next apply finishes it', async (t) => {
  if (!(await requireZfs(t)) || !(await requireRsync(t))) return;
  const { rbb: rb } = await makePools(t, ['rbb']);
  const m = `${rb}/vm/busy`;
  await makeMember(m, 1);
  const before = await tree(m);
  const guid = await getProp(m, 'guid');
  const { spec } = await specFile(t, `version: 1\nsources: { none: { datasets: [${rb}/vm] } }\nrebase:\n  g: { base: ${rb}/base@gold, datasets: [${m}] }\n`);
  const { spawn } = await import('node:child_process');
  // A process whose working directory is inside the member keeps it busy.
  const holder = spawn('sleep', ['600'], { cwd: path.join(await getProp(m, 'mountpoint'), 'etc'), stdio: 'ignore' });
  const a = await zfsync(['apply', '-c', spec, '--auto-approve']).finally(() => holder.kill());
  await new Promise((r) => holder.once('exit', r));
  assert.equal(a.code, 1, a.stdout);
  assert.match(a.stdout, new RegExp(`zfs umount ${m} failed on local`));
  assert.equal(await getProp(m, 'guid'), guid, 'the original still has its name');
  assert.equal(await getProp(m, 'mounted'), 'yes');
  assert.equal(await getProp(`${m}.zfsync-rebase-new`, 'zfsync:rebuild'), 'verified:mount', 'the verified clone waits for the swap');
  const p = await zfsync(['plan', '-c', spec]);
  assert.match(p.stdout, /resumes an interrupted rebuild at the swap/);
  const again = await zfsync(['apply', '-c', spec, '--auto-approve']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal(await getProp(m, 'origin'), `${rb}/base@gold`);
  assert.deepEqual(await tree(m), before);
  assert.deepEqual(await temporaries(rb), []);
});
