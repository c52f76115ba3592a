// Commands the zfs benchmarks run (never through a shell), with /usr/sbin on PATH.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { poolExists } from '../test/helpers/zfs.js';

// zfs and zpool live in /usr/sbin, which a non-login PATH may lack.
export const ENV = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };
export const LONG = 60 * 60_000; // generous: never kill a zfs process that is merely slow

export function sh(cmd: string, args: readonly string[], timeoutMs = LONG): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: ENV, encoding: 'utf8', maxBuffer: 16 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      reject(new Error(`${[cmd, ...args].join(' ')} failed (${err.code ?? err.signal}): ${stderr.trim() || err.message}`));
    });
  });
}
export const zfs = (args: readonly string[]) => sh('zfs', args);
export const zpool = (args: readonly string[]) => sh('zpool', args);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** zfs/zpool processes not started by us (other users of the shared zfs-fuse daemon). */
export async function otherZfsProcesses(): Promise<string[]> {
  const out = await sh('ps', ['-eo', 'pid,args', '--no-headers']).catch(() => '');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /(^|\/|\s)(zfs|zpool) /.test(l.replace(/^\d+\s+/, ' ')) && !l.includes('zfs-fuse'));
}

/**
 * Creates `<prefix><label><tag>` (the first free name) for each label on a sparse file of `gib`
 * GiB in `dir`, pushing each name to `created` as soon as it exists (the caller destroys them).
 */
export async function makeSparsePools(dir: string, prefix: string, tag: string, labels: readonly string[], gib: number, created: string[]): Promise<string[]> {
  const pools: string[] = [];
  for (const label of labels) {
    let name = `${prefix}${label}${tag}`;
    for (let i = 1; await poolExists(name); i++) name = `${prefix}${label}${tag}x${i}`;
    const file = path.join(dir, `${name}.img`);
    await fs.writeFile(file, '');
    await fs.truncate(file, gib * 2 ** 30);
    await zpool(['create', name, file]);
    created.push(name);
    pools.push(name);
  }
  return pools;
}
