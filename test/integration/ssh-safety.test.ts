// The classic holes of SSH replication tools, tried against a real OpenSSH server: unknown and
// changed host keys (nothing runs), quoting of hostile strings, sudo for zfs only, one-line
// errors per host, and a connection killed mid-send (no process left, next apply converges).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { connectHosts, closeAll } from '../../src/host/connect.js';
import { parseSpec } from '../../src/spec/load.js';
import { specFile, zfsync } from '../helpers/cli.js';
import { requireSshd, runSsh, startSshd, type SshServer } from '../helpers/sshd.js';
import { createDatasets, listSnapshots, makePools, requireZfs, writeRandom } from '../helpers/zfs.js';
import { sshHost } from '../helpers/ssh-spec.js';

const T0 = new Date('2026-11-22T10:00:00Z');

const pushSpec = (server: SshServer, src: string, dst: string, extra = '', pair = '') => `version: 1
hosts:
${sshHost('nas', server, extra)}
sources:
  vms: { datasets: ["${src}/vm"], snapshot_every: 1h }
targets:
  off: { host: nas, dataset: "${dst}/r", strip_path: 1 }
replicate:
  - { from: vms, to: off${pair} }
`;

test('unknown, changed and pinned host keys: nothing runs on a host whose key did not verify', async (t) => {
  if (!(await requireSshd(t))) return;
  const server = await startSshd(t);
  const { spec: unknownSpec, dir } = await specFile(t, 'placeholder');
  const emptyKnownHosts = path.join(dir, 'empty_known_hosts');
  await writeFile(emptyKnownHosts, '');
  const otherKey = path.join(dir, 'other');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
  const otherPub = execFileSync('cut', ['-d', ' ', '-f', '1,2', `${otherKey}.pub`], { encoding: 'utf8' }).trim();
  const changedKnownHosts = path.join(dir, 'changed_known_hosts');
  await writeFile(changedKnownHosts, `# an old key\n[127.0.0.1]:${server.port} ${otherPub}\n`);
  const marker = path.join(dir, 'ran');
  const spec = (knownHosts: string, extra = '') => `version: 1
hosts:
  nas:
    ssh: { host: 127.0.0.1, port: ${server.port}, user: ${server.user}, identity: "${server.clientKey}", known_hosts: "${knownHosts}"${extra} }
    zfs: "${path.join(dir, 'fakezfs')}"
sources:
  s: { host: nas, datasets: [tank/x] }
`;
  // A "zfs" that leaves a mark if anything ever runs it.
  await writeFile(path.join(dir, 'fakezfs'), `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });

  await writeFile(unknownSpec, spec(emptyKnownHosts));
  const unknown = await zfsync(['plan', '-c', unknownSpec]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, new RegExp(`nas: UNKNOWN HOST KEY for 127\\.0\\.0\\.1:${server.port}.*${server.hostKeyFingerprint.replace(/[+/]/g, '\\$&')}`));
  assert.ok(unknown.stderr.includes(`[127.0.0.1]:${server.port} ssh-ed25519 `), 'gives the line to add');
  assert.doesNotMatch(unknown.stderr, /\n\s+at /, 'no stack trace');

  await writeFile(unknownSpec, spec(changedKnownHosts));
  const changed = await zfsync(['plan', '-c', unknownSpec]);
  assert.equal(changed.code, 1);
  assert.match(changed.stderr, /HOST KEY CHANGED/);
  assert.ok(changed.stderr.includes(`${changedKnownHosts}:2`), 'names the known_hosts line');
  assert.equal(existsSync(marker), false, 'nothing ran on a host whose key did not verify');
  assert.doesNotMatch(await server.log(), /Accepted publickey/, 'zfsync never even logged in');

  // A pinned fingerprint verifies without any known_hosts entry: now the (fake) zfs runs.
  await writeFile(unknownSpec, spec(emptyKnownHosts, `, host_key: "${server.hostKeyFingerprint}"`));
  const pinned = await zfsync(['plan', '-c', unknownSpec]);
  assert.doesNotMatch(pinned.stderr, /HOST KEY|UNKNOWN/);
  assert.equal(existsSync(marker), true, 'with the right pin, zfsync logged in and ran the probe');
});

test('every remote string is quoted: hostile arguments arrive as one argument each and run nothing', async (t) => {
  if (!(await requireSshd(t))) return;
  const server = await startSshd(t);
  const { dir } = await specFile(t, '');
  const marker = path.join(dir, 'INJECTED');
  const hostile = [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `'; touch ${marker}; '`,
    `"; touch ${marker}; "`,
    `a b  c`,
    `-n`,
    `--`,
    `x\ny`,
    `tab\there`,
    `*`,
    `~root`,
    `!!`,
    `\\`,
    `$HOME`,
    `a|touch ${marker}`,
    `a&&touch ${marker}`,
    `a>${marker}`,
    '',
  ];
  const spec = parseSpec(`version: 1
hosts:
${sshHost('nas', server)}sources:
  unused: { host: nas, datasets: [unused/x] }
`, 'zfsync.yaml');
  const { runners, unreachable } = await connectHosts(spec, ['nas']);
  t.after(() => closeAll(runners));
  assert.deepEqual([...unreachable], []);
  const nas = runners.get('nas')!;
  const r = await nas.run(['printf', '%s\\0', ...hostile]);
  assert.equal(r.exitCode, 0, r.stderrTail);
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), hostile);
  // The same through a pipeline (one `sh -c` line) and through a script on stdin.
  const p = nas.spawnPipeline([['printf', '%s\\0', ...hostile], ['cat']]);
  p.stdin?.end();
  p.stderr.resume();
  let out = '';
  p.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const results = await p.done;
  assert.deepEqual(results.map((x) => x.exitCode), [0, 0]);
  assert.deepEqual(out.split('\0').slice(0, -1), hostile);
  assert.equal(existsSync(marker), false, 'nothing ran that should not');
});

test('sudo runs zfs (and only zfs) for a non-root user; errors name the host in one line', async (t) => {
  if (!(await requireZfs(t)) || !(await requireSshd(t))) return;
  const server = await startSshd(t, { users: ['zfsync-test'], sudoZfs: true });
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/a`]);
  await writeRandom(`${src}/vm/a`, 'x', 1 << 20);
  const asUser = { ...server, user: 'zfsync-test' };
  const zfsPath = execFileSync('sh', ['-c', 'PATH=$PATH:/usr/sbin:/sbin command -v zfs'], { encoding: 'utf8' }).trim();

  const { spec } = await specFile(t, pushSpec(asUser, src, dst).replace('\nsources:', `    sudo: true\n    zfs: ${zfsPath}\nsources:`));
  const r = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await listSnapshots(`${dst}/r/vm/a`).then((l) => l.map((s) => s.guid)), await listSnapshots(`${src}/vm/a`).then((l) => l.map((s) => s.guid)));
  assert.match(await server.log(), /Accepted publickey for zfsync-test/);

  // Without sudo the same user cannot reach zfs-fuse: one line naming the host, exit 1.
  const { spec: noSudo } = await specFile(t, pushSpec(asUser, src, dst));
  const denied = await zfsync(['plan', '-c', noSudo], { now: T0 });
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /^Error: nas: /m);

  // Connection refused, a wrong key, and a zfs path that does not exist: each one line naming the host.
  const { spec: refused } = await specFile(t, pushSpec({ ...server, port: 1 }, src, dst));
  const e1 = await zfsync(['plan', '-c', refused], { now: T0 });
  assert.equal(e1.code, 1);
  assert.match(e1.stderr, /^Error: nas: connection refused by 127\.0\.0\.1:1$/m);
  const { spec: badKey } = await specFile(t, pushSpec({ ...server, clientKey: `${server.dir}/nonexistent` }, src, dst));
  const e2 = await zfsync(['plan', '-c', badKey], { now: T0 });
  assert.match(e2.stderr, /^Error: nas: no way to log in to \S+: cannot read identity /m);
  const { spec: noZfs } = await specFile(t, pushSpec(server, src, dst).replace('\nsources:', `    zfs: /nonexistent/zfs\nsources:`));
  const e3 = await zfsync(['plan', '-c', noZfs], { now: T0 });
  assert.equal(e3.code, 1);
  assert.match(e3.stderr, /^Error: nas: zfs command not found/m);
  for (const e of [denied, e1, e2, e3]) assert.doesNotMatch(e.stderr, /\n\s+at /, 'no stack trace');
});

test('a connection killed mid-send fails that action, leaves no process behind, and the next apply converges', async (t) => {
  if (!(await requireZfs(t)) || !(await requireSshd(t))) return;
  const server = await startSshd(t);
  const { src, dst } = await makePools(t, ['src', 'dst']);
  await createDatasets([`${src}/vm/big`]);
  await writeRandom(`${src}/vm/big`, 'disk', 24 << 20);
  // Slow enough (4 MiB/s) to be cut in the middle.
  const { spec } = await specFile(t, pushSpec(server, src, dst, '', ', transport: { compress: none, bandwidth_limit: 4M }'));
  const running = zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  let killed = 0;
  for (let i = 0; i < 100 && killed === 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const ps = await runSsh(server, `ps -eo args | grep -c '[z]fs receive' || true`);
    if (Number(ps.stdout.trim()) > 0) {
      await new Promise((r) => setTimeout(r, 1500));
      killed = await server.killConnections('SIGKILL');
    }
  }
  assert.ok(killed > 0, 'the transfer was seen and its connection killed');
  const started = Date.now();
  const r = await running;
  assert.equal(r.code, 1);
  assert.ok(Date.now() - started < 30_000, 'failed within the keepalive window');
  assert.match(r.stdout, /FAILED: send full local -> nas: /);
  assert.match(r.stdout, /connection to nas .*lost|ended without an exit status/);
  // Nothing of the pipeline is left, on either end (both are this machine).
  await new Promise((res) => setTimeout(res, 1000));
  const left = execFileSync('sh', ['-c', `ps -eo args | grep -E '[z]fs (send|receive) .*${src}|[z]fs (send|receive) .*${dst}' || true`], { encoding: 'utf8' }).trim();
  assert.equal(left, '', 'no zfs send or receive left running');

  const again = await zfsync(['apply', '-c', spec, '--auto-approve'], { now: T0 });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.deepEqual(await listSnapshots(`${dst}/r/vm/big`).then((l) => l.map((s) => s.guid)), await listSnapshots(`${src}/vm/big`).then((l) => l.map((s) => s.guid)));
  assert.equal((await zfsync(['plan', '-c', spec, '--detailed-exitcode'], { now: T0 })).code, 0);
});
