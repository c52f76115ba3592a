// The remote test lane: any SSH host with OpenZFS 2.x, given by environment variables.
//   ZFSYNC_TEST_REMOTE=root@127.0.0.1:2222        (required; the lane is skipped without it)
//   ZFSYNC_TEST_REMOTE_KEY=/path/to/id_ed25519     (default: ssh-agent / ~/.ssh keys)
//   ZFSYNC_TEST_REMOTE_KNOWN_HOSTS=/path/to/file   (entries for [host]:port), or
//   ZFSYNC_TEST_REMOTE_HOST_KEY=SHA256:...         (a pinned fingerprint)
//   ZFSYNC_TEST_REMOTE_POOL=vmtank                 (default: the first pool zpool list shows)
// Every test works below <pool>/zfsync-lane-<random> and destroys it afterwards.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { connectHosts, closeAll } from '../../src/host/connect.js';
import type { CommandRunner } from '../../src/host/runner.js';
import { parseSpec } from '../../src/spec/load.js';

export interface RemoteLane {
  /** The `hosts:` entry (two-space indented) for a host named `name`. */
  hostEntry(name: string): string;
  /** A scratch dataset on the remote pool, destroyed after the test. */
  base: string;
  /** Runs a command there (checked: throws with stderr on failure). */
  sh(argv: string[]): Promise<string>;
  runner: CommandRunner;
}

export function remoteTarget(): { user: string; host: string; port: number } | undefined {
  const v = process.env.ZFSYNC_TEST_REMOTE;
  if (!v) return undefined;
  const m = /^(?:([^@]+)@)?([^:@]+|\[[^\]]+\])(?::(\d+))?$/.exec(v);
  if (!m) throw new Error(`ZFSYNC_TEST_REMOTE must be [user@]host[:port], not '${v}'`);
  return { user: m[1] ?? 'root', host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3] ?? 22) };
}

function sshFields(): string {
  const r = remoteTarget()!;
  const fields = [`host: "${r.host}"`, `port: ${r.port}`, `user: ${r.user}`];
  if (process.env.ZFSYNC_TEST_REMOTE_KEY) fields.push(`identity: "${process.env.ZFSYNC_TEST_REMOTE_KEY}"`);
  if (process.env.ZFSYNC_TEST_REMOTE_KNOWN_HOSTS) fields.push(`known_hosts: "${process.env.ZFSYNC_TEST_REMOTE_KNOWN_HOSTS}"`);
  if (process.env.ZFSYNC_TEST_REMOTE_HOST_KEY) fields.push(`host_key: "${process.env.ZFSYNC_TEST_REMOTE_HOST_KEY}"`);
  return `{ ${fields.join(', ')} }`;
}

/** Connects to the lane's host and makes a scratch dataset; skips the test when the lane is not configured. */
export async function remoteLane(t: TestContext): Promise<RemoteLane | undefined> {
  if (!remoteTarget()) {
    t.skip('remote lane not configured (set ZFSYNC_TEST_REMOTE, see test/helpers/remote.ts)');
    return undefined;
  }
  const hostEntry = (name: string) => `  ${name}:\n    ssh: ${sshFields()}\n`;
  const spec = parseSpec(`version: 1\nhosts:\n${hostEntry('lane')}sources:\n  unused: { host: lane, datasets: [unused/x] }\n`, 'lane.yaml');
  const { runners, unreachable } = await connectHosts(spec, ['lane']);
  if (unreachable.size) throw new Error(`remote lane: ${[...unreachable.values()].join('; ')}`);
  const runner = runners.get('lane')!;
  const sh = async (argv: string[]): Promise<string> => {
    const r = await runner.run(argv);
    if (r.exitCode !== 0) throw new Error(`${runner.describe(argv)} failed on the lane host: ${r.stderrTail.trim()}`);
    return r.stdout;
  };
  const pool = process.env.ZFSYNC_TEST_REMOTE_POOL ?? (await sh(['zpool', 'list', '-H', '-o', 'name'])).split('\n')[0]!;
  const base = `${pool}/zfsync-lane-${randomBytes(4).toString('hex')}`;
  await sh(['zfs', 'create', '-o', 'canmount=off', base]);
  t.after(async () => {
    await releaseZfsyncHolds(sh, base);
    await sh(['zfs', 'destroy', '-r', '-f', base]).catch(async () => {
      await new Promise((r) => setTimeout(r, 1000));
      await sh(['zfs', 'destroy', '-r', '-f', base]);
    });
    await closeAll(runners);
  });
  return { hostEntry, base, sh, runner };
}

/** zfsync's own holds (tag `zfsync-…`) below `root`, which an apply leaves on each pair's base, released so that the scratch tree can go. */
export async function releaseZfsyncHolds(sh: (argv: string[]) => Promise<string>, root: string): Promise<void> {
  const snaps = (await sh(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-r', root]).catch(() => '')).split('\n').filter(Boolean);
  if (snaps.length === 0) return;
  for (const line of (await sh(['zfs', 'holds', '-H', ...snaps])).split('\n')) {
    const [snap, tag] = line.split('\t');
    if (snap && tag?.startsWith('zfsync-')) await sh(['zfs', 'release', tag, snap]);
  }
}

/** `dataset@snap` name and guid of each snapshot of a remote dataset, oldest first. */
export async function remoteSnapshots(lane: RemoteLane, dataset: string): Promise<{ name: string; guid: string }[]> {
  const out = await lane.sh(['zfs', 'list', '-H', '-p', '-t', 'snapshot', '-d', '1', '-s', 'createtxg', '-o', 'name,guid', dataset]);
  return out.split('\n').filter(Boolean).map((l) => {
    const [name = '', guid = ''] = l.split('\t');
    return { name: name.slice(name.indexOf('@') + 1), guid };
  });
}

export async function remoteProp(lane: RemoteLane, dataset: string, prop: string): Promise<string> {
  return (await lane.sh(['zfs', 'get', '-H', '-p', '-o', 'value', prop, dataset])).trim();
}
