// The test sshd (test/helpers/sshd.ts) itself: real OpenSSH on 127.0.0.1 with its own keys and
// port, strict host key checking, the zfsync-test user with sudo for zfs only, sessions that can
// be seen and killed, and nothing left running after stop().
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { Client } from 'ssh2';
import { fingerprintOf, requireSshd, runSsh, startSshd, SUDOERS_FILE, type SshServer } from '../helpers/sshd.js';
import { requireZfs, run } from '../helpers/zfs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids of local processes (this machine is the remote) whose command line starts with `prefix` (or contains `part`). */
async function pidsWith(prefix: string, part?: string): Promise<number[]> {
  const out = await run('ps', ['-eo', 'pid=,args=']);
  return out.split('\n').flatMap((l) => {
    const m = /^\s*(\d+) (.*)$/.exec(l);
    if (!m || m[2]!.startsWith('ps -eo')) return [];
    return (part === undefined ? m[2]!.startsWith(prefix) : m[2]!.includes(part)) ? [Number(m[1])] : [];
  });
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Parent, grandparent, ... of `pid`, up to (not including) pid 1. */
async function ancestors(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = pid; ;) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!(ppid > 1)) return out;
    out.push(ppid);
    p = ppid;
  }
}

const processAlive = (pid: number) => readFile(`/proc/${pid}/stat`, 'utf8').then((s) => !/^\d+ \(.*\) [ZX] /s.test(s), () => false);

test('root logs in with the client key; the host key, its fingerprint and known_hosts line agree with OpenSSH', async (t) => {
  if (!(await requireSshd(t))) return;
  const server = await startSshd(t);
  assert.equal(server.user, 'root');
  assert.equal(server.host, '127.0.0.1');

  const r = await runSsh(server, 'echo ok; id -un');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ok\nroot\n');
  assert.match(await server.log(), /Accepted publickey for root from 127\.0\.0\.1/);

  // The fingerprint, as ssh-keygen prints it for the host key's .pub.
  const pubFile = path.join(server.dir, 'ssh_host_ed25519_key.pub');
  const printed = (await run('ssh-keygen', ['-lf', pubFile])).trim().split(/\s+/);
  assert.equal(printed[1], server.hostKeyFingerprint);
  assert.equal(printed[printed.length - 1], '(ED25519)');
  assert.equal(fingerprintOf(server.hostKeyBlob), server.hostKeyFingerprint);
  // The blob is the .pub's base64 field; the known_hosts file holds exactly that key for [127.0.0.1]:PORT.
  const pubFields = (await readFile(pubFile, 'utf8')).trim().split(/\s+/);
  assert.deepEqual(server.hostKeyBlob, Buffer.from(pubFields[1]!, 'base64'));
  assert.equal(await readFile(server.knownHostsFile, 'utf8'), `[127.0.0.1]:${server.port} ssh-ed25519 ${pubFields[1]}\n`);
  // And it is the key the server actually serves.
  const scanned = await run('ssh-keyscan', ['-t', 'ed25519', '-p', String(server.port), '127.0.0.1']);
  assert.ok(scanned.includes(`[127.0.0.1]:${server.port} ssh-ed25519 ${pubFields[1]}`), scanned);
  assert.ok(server.clientPublicKey.startsWith('ssh-ed25519 AAAA'), server.clientPublicKey);
  assert.equal((await readFile(`${server.clientKey}.pub`, 'utf8')).trim(), server.clientPublicKey);
});

test('the OpenSSH client refuses the server with a wrong or missing known_hosts entry', async (t) => {
  if (!(await requireSshd(t))) return;
  const server = await startSshd(t);
  const otherKey = path.join(server.dir, 'other_host_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
  const otherPub = (await readFile(`${otherKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');

  const wrong = path.join(server.dir, 'wrong_known_hosts');
  await writeFile(wrong, `[127.0.0.1]:${server.port} ${otherPub}\n`);
  const changed = await runSsh({ ...server, knownHostsFile: wrong }, 'echo ran');
  assert.equal(changed.code, 255);
  assert.equal(changed.stdout, '');
  assert.match(changed.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  assert.match(changed.stderr, /Host key verification failed/);

  const empty = path.join(server.dir, 'empty_known_hosts');
  await writeFile(empty, '');
  const unknown = await runSsh({ ...server, knownHostsFile: empty }, 'echo ran');
  assert.equal(unknown.code, 255);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, /Host key verification failed/);

  assert.doesNotMatch(await server.log(), /Accepted publickey/, 'the client never logged in');
  // The right file still works.
  assert.equal((await runSsh(server, 'echo ran')).stdout, 'ran\n');
});

test('zfsync-test logs in with the same key; other users cannot', async (t) => {
  if (!(await requireSshd(t))) return;
  const server = await startSshd(t, { users: ['zfsync-test'] });
  assert.equal(server.user, 'zfsync-test');
  assert.equal(server.sudoersRule, undefined);
  const r = await runSsh(server, 'id -un; echo "$HOME"');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'zfsync-test\n/home/zfsync-test\n');
  assert.match(await server.log(), /Accepted publickey for zfsync-test from 127\.0\.0\.1/);

  const root = await runSsh(server, 'echo ran', { user: 'root' });
  assert.equal(root.code, 255, 'root is not among this server\'s users');
  assert.equal(root.stdout, '');
  assert.match(root.stderr, /Permission denied/);
});

test('sudo for zfsync-test allows the absolute zfs and nothing else', async (t) => {
  if (!(await requireZfs(t)) || !(await requireSshd(t))) return;
  const server = await startSshd(t, { users: ['zfsync-test', 'root'], sudoZfs: true });
  const zfsPath = (await run('sh', ['-c', 'command -v zfs'])).trim();
  assert.equal(server.sudoersRule, `zfsync-test ALL=(root) NOPASSWD: ${zfsPath}`);
  const installed = await readFile(SUDOERS_FILE, 'utf8');
  assert.deepEqual(installed.split('\n').filter((l) => l !== '' && !l.startsWith('#')), [server.sudoersRule]);
  await run('visudo', ['-c', '-q', '-f', SUDOERS_FILE]);

  const list = await runSsh(server, `sudo -n ${zfsPath} list -H -o name`);
  assert.equal(list.code, 0, list.stderr);
  const shell = await runSsh(server, 'sudo -n /bin/sh -c true');
  assert.notEqual(shell.code, 0);
  assert.match(shell.stderr, /a password is required/);
  const other = await runSsh(server, 'sudo -n /usr/bin/id -u');
  assert.notEqual(other.code, 0);
  assert.equal(other.stdout, '');
  // Without sudo, zfs-fuse refuses the unprivileged user.
  const plain = await runSsh(server, `${zfsPath} list -H -o name`);
  assert.notEqual(plain.code, 0);
  // The second user of the same server: root, same key.
  assert.equal((await runSsh(server, 'id -un', { user: 'root' })).stdout, 'root\n');

  // Starting again (as every test using it does) keeps the file as it is.
  const again = await startSshd(t, { users: ['zfsync-test'], sudoZfs: true });
  assert.equal(again.sudoersRule, server.sudoersRule);
  assert.equal(await readFile(SUDOERS_FILE, 'utf8'), installed);
});

test('one connection can open many channels at once (MaxSessions 64)', async (t) => {
  if (!(await requireSshd(t))) return;
  const server = await startSshd(t);
  const privateKey = await readFile(server.clientKey);
  const conn = new Client();
  t.after(() => conn.end());
  await new Promise<void>((resolve, reject) => {
    conn.once('ready', resolve).once('error', reject).connect({
      host: server.host,
      port: server.port,
      username: server.user,
      privateKey,
      hostVerifier: (key: Buffer) => key.equals(server.hostKeyBlob),
    });
  });
  // Every command waits until all of them have started: they are open at the same time.
  const n = 40; // above OpenSSH's default MaxSessions of 10
  const barrier = path.join(server.dir, 'barrier');
  await run('mkdir', [barrier]);
  const exec = (i: number) => new Promise<string>((resolve, reject) => {
    const cmd = `touch ${barrier}/${i}; for _ in $(seq 300); do [ "$(ls ${barrier} | wc -l)" -ge ${n} ] && break; sleep 0.1; done; echo ${i}`;
    conn.exec(cmd, (err, ch) => {
      if (err) return reject(err);
      let out = '';
      ch.on('data', (c: Buffer) => (out += c.toString()));
      ch.stderr.resume();
      ch.on('close', () => resolve(out));
    });
  });
  const outs = await Promise.all(Array.from({ length: n }, (_, i) => exec(i)));
  assert.deepEqual(outs, Array.from({ length: n }, (_, i) => `${i}\n`));
});

test('sessions can be seen and killed; after stop() nothing of the server is left', async (t) => {
  if (!(await requireSshd(t))) return;
  const server: SshServer = await startSshd(t, { users: ['root', 'zfsync-test'] });
  assert.deepEqual(await server.sessionPids(), []);

  // A unique command line, to find it in the process list.
  const token = `30.${randomBytes(4).readUInt32BE(0)}`;
  const running = runSsh(server, `sleep ${token}`);
  const asUser = runSsh(server, `sleep ${token}1`, { user: 'zfsync-test' });
  // Seen from the remote side (runSsh: one more, short, session)...
  for (let i = 0; i < 100; i++) {
    const seen = await runSsh(server, `ps -eo args | grep -c '^sleep ${token.replace('.', '[.]')}' || true`);
    if (Number(seen.stdout.trim()) >= 2) break;
    await sleep(100);
  }
  assert.equal((await pidsWith(`sleep ${token}`)).length, 2, 'both sleeps run');
  // The sshd processes above each sleep are sessions (that short one may or may not be over):
  // root: one "sshd: root@notty"; zfsync-test: "sshd: zfsync-test [priv]" and "sshd: zfsync-test@notty".
  const listed = await server.sessionPids();
  const sessions: number[] = [];
  for (const sleeper of await pidsWith(`sleep ${token}`)) {
    const above = (await ancestors(sleeper)).filter((pid) => listed.includes(pid));
    assert.ok(above.length >= 1, `a session above sleep ${sleeper}: ${listed.join(', ')}`);
    sessions.push(...above);
  }
  assert.ok(sessions.length >= 2 && !sessions.includes(server.pid), `sessions: ${sessions.join(', ')}`);

  const killed = await server.killConnections();
  assert.ok(killed >= 2, `killed ${killed}`);
  const [r1, r2] = await Promise.all([running, asUser]);
  assert.notEqual(r1.code, 0);
  assert.notEqual(r2.code, 0);
  assert.match(r1.stderr, /closed by remote host|Connection reset|Broken pipe/i);
  assert.deepEqual(await server.sessionPids(), []);
  for (const pid of sessions) assert.equal(await processAlive(pid), false, `session ${pid} ended`);
  // As with a real dropped link, the commands themselves were not signalled: they run on.
  assert.equal((await pidsWith(`sleep ${token}`)).length, 2, 'the orphaned commands still run');
  // The server still accepts new connections.
  assert.equal((await runSsh(server, 'echo again')).stdout, 'again\n');

  // Keep a session open across stop(): it, its command and the listener must all go.
  const open = runSsh(server, `sleep ${token}2`);
  for (let i = 0; i < 100 && (await pidsWith(`sleep ${token}2`)).length === 0; i++) await sleep(100);
  const before = await server.sessionPids();
  assert.ok(before.length >= 1);
  await server.stop();
  assert.notEqual((await open).code, 0);
  assert.equal(await processAlive(server.pid), false, 'listener gone');
  for (const pid of before) assert.equal(await processAlive(pid), false, `session ${pid} gone`);
  assert.deepEqual(await pidsWith(`sleep ${token}`), [], 'no command of the server left (orphans included)');
  assert.deepEqual(await pidsWith('', server.dir), [], `no process mentions ${server.dir}`);
  assert.equal(await portAccepts(server.port), false, 'port closed');
  await server.stop(); // idempotent
});
