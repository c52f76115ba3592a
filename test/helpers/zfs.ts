// Real-ZFS helpers for integration tests (zfs-fuse on the dev and CI machines).
// Every command is run as an argv vector through execFile: never through a shell.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LOCK_DIRS } from '../../src/lock/record.js';

const ZFS_UP = fileURLToPath(new URL('../../scripts/zfs-up.sh', import.meta.url));
// zfs and zpool live in /usr/sbin, which a non-login PATH may lack.
const ENV = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };

/** Run a command; resolve with stdout, reject with the command line and its stderr. */
export function run(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: ENV, encoding: 'utf8', maxBuffer: 64 << 20, timeout: timeoutMs },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const line = [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
        const why = err.killed ? `timed out after ${timeoutMs / 1000}s: is zfs-fuse wedged?` : `${err.code ?? err.signal}`;
        reject(new Error(`${line} failed (${why}): ${stderr.trim() || err.message}`));
      });
  });
}

export const zfs = (args: readonly string[]): Promise<string> => run('zfs', args);
export const zpool = (args: readonly string[]): Promise<string> => run('zpool', args);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry `fn` while it fails with "busy" (zfs-fuse: right after create/mount). */
export async function retryBusy<T>(fn: () => Promise<T>, attempts = 10, delayMs = 300): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !/busy/i.test(String(e))) throw e;
      await sleep(delayMs);
    }
  }
}

/** Split `zfs ... -H` output into rows of tab-separated fields (names may contain spaces). */
function rows(out: string): string[][] {
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

// ---- availability -------------------------------------------------------------------------

let upTried = false;

async function zfsProblem(): Promise<string | undefined> {
  try {
    await zpool(['list']);
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, '; ');
  }
}

/**
 * True when zfs works. Otherwise tries scripts/zfs-up.sh once (as root only); if zfs is still
 * unavailable: under CI (CI=true/1) throws, so the test fails; elsewhere skips the test.
 */
export async function requireZfs(t: TestContext): Promise<boolean> {
  let why = await zfsProblem();
  if (why !== undefined && !upTried && process.getuid?.() === 0) {
    upTried = true;
    try {
      await run('bash', [ZFS_UP], 300_000);
    } catch (e) {
      why = `${why}; scripts/zfs-up.sh: ${e instanceof Error ? e.message : String(e)}`;
    }
    why = (await zfsProblem()) === undefined ? undefined : why;
  }
  if (why === undefined) return true;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`zfs not available (required under CI): ${why}`);
  t.skip(`zfs not available: ${why}`);
  return false;
}

/** Rebase groups copy with rsync: like requireZfs, a missing rsync skips the test, and fails it under CI. */
export async function requireRsync(t: TestContext): Promise<boolean> {
  const found = await run('sh', ['-c', 'command -v rsync']).then(() => true, () => false);
  if (found) return true;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error('rsync not available (required under CI): apt-get install rsync');
  t.skip('rsync not available: apt-get install rsync');
  return false;
}

// ---- machine-wide lock ----------------------------------------------------------------------
// zfs-fuse can wedge its whole FUSE side (every access to any of its mounts then blocks until
// the daemon is killed) when two processes create pools and datasets in them at the same time.
// So a test that makes pools holds one machine-wide lock until it ends (zfsync runs included).
// The lock is held by a `flock FILE cat` child: released when we close its stdin, or we die.

export const LOCK_FILE = process.env.ZFSYNC_ZFS_LOCK ?? path.join(tmpdir(), 'zfsync-zfs-tests.lock');
let lock: { depth: number; holder: Promise<ChildProcess> } | undefined;

function spawnLockHolder(waitSec: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-w', String(waitSec), LOCK_FILE, 'cat'], { stdio: 'pipe' });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`could not lock ${LOCK_FILE} within ${waitSec}s (flock exit ${code})`)));
    child.stdout.once('data', () => resolve(child)); // `cat` echoed: flock holds the lock
    child.stdin.write('locked\n');
  });
}

/** Take the machine-wide zfs test lock (re-entrant within this process). */
export async function acquireZfsLock(waitSec = 900): Promise<void> {
  if (lock) {
    lock.depth++;
  } else {
    const holder = spawnLockHolder(waitSec);
    lock = { depth: 1, holder };
    holder.catch(() => { if (lock?.holder === holder) lock = undefined; });
  }
  await lock.holder;
}

export async function releaseZfsLock(): Promise<void> {
  if (!lock || --lock.depth > 0) return;
  const holder = lock.holder;
  lock = undefined;
  const child = await holder.catch(() => undefined);
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin?.end();
    await exited;
  }
}

// ---- apply's lock files ---------------------------------------------------------------------

/**
 * Removes the lock files zfsync's applies left for datasets of these (destroyed) pools: a lock
 * file names its dataset on its first line, and outlives every apply by design (removing a
 * flock file another process may have open is unsafe), so without this every run would leave
 * a few in /run/lock.
 */
export async function removeLockFiles(pools: readonly string[]): Promise<void> {
  if (pools.length === 0) return;
  for (const dir of LOCK_DIRS) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!/^zfsync-[0-9a-f]+\.lock$/.test(name)) continue;
      const first = (await fs.readFile(path.join(dir, name), 'utf8').catch(() => '')).split('\n')[0] ?? '';
      const dataset = first.startsWith('dataset=') ? first.slice('dataset='.length) : undefined;
      if (dataset === undefined || !pools.some((p) => dataset === p || dataset.startsWith(`${p}/`))) continue;
      const base = path.join(dir, name.slice(0, -'.lock'.length));
      await Promise.all([fs.rm(`${base}.lock`, { force: true }), fs.rm(`${base}.info`, { force: true })]);
    }
  }
}

// ---- pools --------------------------------------------------------------------------------

let poolCounter = 0;

export async function poolExists(name: string): Promise<boolean> {
  return zpool(['list', '-H', '-o', 'name', name]).then(() => true, () => false);
}

/**
 * One pool per label, each on a sparse file in a fresh temp dir, with a name unique to this
 * process and test (`zt<label><pid36><n36>`). Holds the machine-wide zfs test lock until the
 * test ends; then destroys the pools (with retries). Returns label -> pool name.
 */
export async function makePools<L extends string>(t: TestContext, labels: readonly L[], sizeMiB = 512): Promise<Record<L, string>> {
  await acquireZfsLock();
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'zfsync-pools-')).catch(async (e: unknown) => {
    await releaseZfsLock();
    throw e;
  });
  const created: string[] = [];
  t.after(async () => {
    const errors: string[] = [];
    for (const pool of created) {
      await retryBusy(() => zpool(['destroy', '-f', pool]), 20).catch((e: unknown) => errors.push(String(e)));
    }
    if (errors.length === 0) await fs.rm(dir, { recursive: true, force: true }); // else keep the pool files
    await removeLockFiles(created);
    await releaseZfsLock();
    if (errors.length > 0) throw new Error(`pool cleanup failed (files kept in ${dir}): ${errors.join('; ')}`);
  });
  const result = {} as Record<L, string>;
  for (const label of labels) {
    const tag = label.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 6);
    let name: string;
    do name = `zt${tag}${process.pid.toString(36)}${(++poolCounter).toString(36)}`;
    while (await poolExists(name)); // a leftover from a crashed run with a recycled pid
    const file = path.join(dir, `${name}.img`);
    await fs.writeFile(file, '');
    await fs.truncate(file, sizeMiB * 1024 * 1024);
    await zpool(['create', name, file]); // "Defaulting to 4K blocksize" on stderr is harmless
    created.push(name);
    result[label] = name;
  }
  return result;
}

// ---- datasets, data, snapshots ------------------------------------------------------------

/** `zfs create -p` each name, in order. */
export async function createDatasets(names: string[]): Promise<void> {
  for (const name of names) await zfs(['create', '-p', name]);
}

export async function getProp(name: string, prop: string): Promise<string> {
  return (await zfs(['get', '-H', '-p', '-o', 'value', prop, name])).replace(/\n$/, '');
}

async function mountpointOf(dataset: string): Promise<string> {
  const [mp, mounted] = await Promise.all([getProp(dataset, 'mountpoint'), getProp(dataset, 'mounted')]);
  if (!mp.startsWith('/') || mounted !== 'yes') {
    throw new Error(`${dataset} is not mounted (mountpoint=${mp}, mounted=${mounted})`);
  }
  return mp;
}

async function targetPath(dataset: string, relPath: string): Promise<string> {
  const file = path.join(await mountpointOf(dataset), relPath);
  await fs.mkdir(path.dirname(file), { recursive: true });
  return file;
}

/** Write a file (parent dirs created) inside the dataset's mountpoint. */
export async function writeFile(dataset: string, relPath: string, data: Uint8Array | string): Promise<void> {
  await fs.writeFile(await targetPath(dataset, relPath), data);
}

/** Write `sizeBytes` of random (incompressible) data inside the dataset's mountpoint. */
export async function writeRandom(dataset: string, relPath: string, sizeBytes: number): Promise<void> {
  const fh = await fs.open(await targetPath(dataset, relPath), 'w');
  try {
    for (let left = sizeBytes; left > 0; left -= 1 << 20) await fh.write(randomBytes(Math.min(left, 1 << 20)));
  } finally {
    await fh.close();
  }
}

/** `zfs snapshot [-r] name` (zfs-fuse takes one name per command). */
export async function snapshot(name: string, opts: { recursive?: boolean } = {}): Promise<void> {
  await zfs(['snapshot', ...(opts.recursive ? ['-r'] : []), name]);
}

/**
 * The dataset's own snapshots, oldest first (by createtxg). The guid is the exact decimal:
 * zfs-fuse's `zfs list` has no -p and prints guids humanized ("12.8E"), so `zfs get -p` is used.
 */
export async function listSnapshots(dataset: string): Promise<{ name: string; guid: string }[]> {
  const out = await zfs(['get', '-H', '-p', '-r', '-d', '1', '-o', 'name,property,value', 'type,guid,createtxg', dataset]);
  const snaps = new Map<string, { name: string; guid: string; type: string; txg: bigint }>();
  for (const [name = '', prop, value = ''] of rows(out)) {
    if (!name.startsWith(`${dataset}@`)) continue;
    const s = snaps.get(name) ?? { name, guid: '', type: '', txg: 0n };
    if (prop === 'guid') s.guid = value;
    if (prop === 'type') s.type = value;
    if (prop === 'createtxg') s.txg = BigInt(value);
    snaps.set(name, s);
  }
  return [...snaps.values()]
    .filter((s) => s.type === 'snapshot')
    .sort((a, b) => (a.txg < b.txg ? -1 : a.txg > b.txg ? 1 : 0))
    .map(({ name, guid }) => ({ name, guid }));
}

/** Whether a filesystem, volume or snapshot of that name exists. */
export async function datasetExists(name: string): Promise<boolean> {
  try {
    await zfs(['list', '-H', '-o', 'name', '-t', 'all', name]);
    return true;
  } catch (e) {
    if (/does not exist/.test(String(e))) return false;
    throw e;
  }
}

/** `root` and every filesystem/volume under it, in zfs's (hierarchical) order. */
export async function listDatasets(root: string): Promise<string[]> {
  return rows(await zfs(['list', '-H', '-o', 'name', '-t', 'filesystem,volume', '-r', root])).map((r) => r[0] ?? '');
}

/** `zfs destroy [-r] name`, retried while zfs-fuse says "busy". */
export async function destroy(name: string, opts: { recursive?: boolean } = {}): Promise<void> {
  await retryBusy(() => zfs(['destroy', ...(opts.recursive ? ['-r'] : []), name]));
}

const DIGEST_PROPS = ['type', 'guid', 'mounted', 'readonly', 'canmount', 'mountpoint'];

/**
 * Canonical text of every dataset and snapshot under `pools` (one sorted line each: name, guid,
 * and mounted/readonly/canmount/mountpoint with their source), for "nothing changed" assertions.
 * `extraProps` (e.g. user properties like `zfsync:managed`) are included the same way.
 */
export async function stateDigest(pools: string[], extraProps: string[] = []): Promise<string> {
  const props = [...DIGEST_PROPS, ...extraProps];
  const out = await zfs(['get', '-H', '-p', '-r', '-o', 'name,property,value,source', props.join(','), ...pools]);
  const lines = new Map<string, string[]>();
  for (const [name = '', prop = '', value = '', source = ''] of rows(out)) {
    if (value === '-' && source === '-' && prop !== 'guid') continue; // n/a (e.g. on snapshots)
    const fields = lines.get(name) ?? [];
    fields.push(source === '-' || source === '' ? `${prop}=${value}` : `${prop}=${value} (${source})`);
    lines.set(name, fields);
  }
  return [...lines.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, fields]) => [name, ...fields].join('\t'))
    .join('\n') + '\n';
}
