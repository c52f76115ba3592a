// The remote lane: send flags, encryption and receive properties on real OpenZFS. One pair
// replicates a tree with an encrypted child and a plain sibling: the encrypted one goes raw (-w)
// and arrives encrypted without its key, the plain ones go with -L -e -c; incrementals work; a
// `zfs change-key` on the replica is a plan conflict; receive.properties land as local values
// and the mountpoint they give is never mounted.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { hours, specFile, zfsync } from '../helpers/cli.js';
import { remoteLane, remoteProp, remoteSnapshots } from '../helpers/remote.js';

const T0 = new Date('2026-12-02T10:00:00Z');

interface CommandEvent {
  type: string;
  pipeline?: { host: string; argv: string[] }[];
}

/** Each send's `zfs send` argv, by the dataset it sends (the last argument, without the snapshot). */
function sendArgvs(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of stdout.trim().split('\n')) {
    const e = JSON.parse(line) as CommandEvent;
    const send = e.type === 'command' ? e.pipeline?.find((s) => s.argv[1] === 'send') : undefined;
    if (send) out.set(send.argv.at(-1)!.split('@')[0]!, send.argv);
  }
  return out;
}

test('OpenZFS: an encrypted child goes raw and a plain sibling with -L -e -c in one pair; change-key on the replica is a conflict', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  const tag = randomBytes(3).toString('hex');
  const key = `/root/flags-${tag}.key`;
  const key2 = `/root/flags-${tag}-2.key`;
  t.after(() => lane.sh(['rm', '-f', key, key2]).catch(() => ''));
  await lane.sh(['sh', '-c', `printf %s flags-lane-${tag} > ${key}; printf %s other-lane-${tag} > ${key2}`]);
  const src = `${lane.base}/src`;
  await lane.sh(['zfs', 'create', src]);
  await lane.sh(['zfs', 'create', '-o', 'encryption=on', '-o', 'keyformat=passphrase', '-o', `keylocation=file://${key}`, `${src}/enc`]);
  await lane.sh(['zfs', 'create', `${src}/plain`]);
  const srcMount = await remoteProp(lane, src, 'mountpoint');
  await lane.sh(['sh', '-c', `echo secret > ${srcMount}/enc/f; echo plain > ${srcMount}/plain/f`]);
  const mountpoint = `/mnt/zfsync-lane-never-${tag}`;
  const { spec } = await specFile(t, `version: 1
hosts:
${lane.hostEntry('oz')}
sources:
  s: { host: oz, datasets: ["${src}"], snapshot_every: 1h }
targets:
  t:
    host: oz
    dataset: "${lane.base}/dst"
    strip_path: 2
    receive:
      properties: { "com.example:flags": "lane ${tag}", compression: zstd, mountpoint: "${mountpoint}" }
      exclude_properties: [atime]
replicate:
  - { from: s, to: t }
`);
  const dst = `${lane.base}/dst/src`;

  const first = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: T0 });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const flags = sendArgvs(first.stdout);
  assert.deepEqual(flags.get(`${src}/enc`)?.slice(1, 3), ['send', '-w']);
  assert.deepEqual(flags.get(`${src}/plain`)?.slice(1, 5), ['send', '-L', '-e', '-c']);
  assert.deepEqual(flags.get(src)?.slice(1, 5), ['send', '-L', '-e', '-c']);

  // Raw: encrypted on the target, no key there, its own encryptionroot like on the source.
  assert.equal(await remoteProp(lane, `${dst}/enc`, 'encryption'), 'aes-256-gcm');
  assert.equal(await remoteProp(lane, `${dst}/enc`, 'keystatus'), 'unavailable');
  assert.equal(await remoteProp(lane, `${dst}/enc`, 'encryptionroot'), `${dst}/enc`);
  assert.equal(await remoteProp(lane, `${src}/enc`, 'encryptionroot'), `${src}/enc`);
  assert.equal(await remoteProp(lane, `${dst}/plain`, 'encryption'), 'off');
  // receive.properties: local values; nothing received from the stream; never mounted.
  for (const d of [dst, `${dst}/plain`, `${dst}/enc`]) {
    const set = await lane.sh(['zfs', 'get', '-H', '-s', 'received,local', '-o', 'property,value,source', 'all', d]);
    assert.match(set, new RegExp(`^com\\.example:flags\\tlane ${tag}\\tlocal$`, 'm'), `${d}: ${set}`);
    assert.match(set, /^compression\tzstd\tlocal$/m, `${d}: ${set}`);
    assert.match(set, new RegExp(`^mountpoint\\t${mountpoint}\\tlocal$`, 'm'), `${d}: ${set}`);
    assert.doesNotMatch(set, /\treceived$/m, `${d}: ${set}`);
    assert.equal(await remoteProp(lane, d, 'mounted'), 'no', d);
  }
  const mounts = await lane.sh(['cat', '/proc/mounts']);
  assert.ok(!mounts.includes(mountpoint), mounts);

  // Incrementals: raw for the encrypted one, -L -e -c for the rest.
  const second = await zfsync(['apply', '-c', spec, '--auto-approve', '--json'], { now: hours(T0, 1) });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  const inc = sendArgvs(second.stdout);
  assert.deepEqual(inc.get(`${src}/enc`)?.slice(1, 4), ['send', '-w', '-I']);
  assert.deepEqual(inc.get(`${src}/plain`)?.slice(1, 6), ['send', '-L', '-e', '-c', '-I']);
  const srcSnaps = await remoteSnapshots(lane, `${src}/enc`);
  const dstSnaps = await remoteSnapshots(lane, `${dst}/enc`);
  assert.equal(dstSnaps.length, 2);
  assert.deepEqual(dstSnaps.map((s) => s.guid), srcSnaps.map((s) => s.guid));
  assert.equal(await remoteProp(lane, `${dst}/enc`, 'keystatus'), 'unavailable');
  assert.match((await zfsync(['plan', '-c', spec], { now: hours(T0, 1.1) })).stdout, /No changes/);

  // change-key on the replica (loaded with the source's passphrase first): the lineage differs.
  await lane.sh(['zfs', 'load-key', '-L', `file://${key}`, `${dst}/enc`]);
  await lane.sh(['zfs', 'change-key', '-o', `keylocation=file://${key2}`, `${dst}/enc`]);
  await lane.sh(['zfs', 'unload-key', `${dst}/enc`]);
  const conflicted = await zfsync(['plan', '-c', spec], { now: hours(T0, 2) });
  assert.equal(conflicted.code, 0, conflicted.stderr);
  assert.match(conflicted.stdout, new RegExp(`the key of ${dst}/enc \\(encryptionroot ${dst}/enc, keyformat passphrase, pbkdf2salt \\d+\\) is not the one of ${src}/enc`), conflicted.stdout);
  assert.match(conflicted.stdout, new RegExp(`rename or destroy ${dst}/enc and let zfsync resend it in full`));
  assert.match(conflicted.stdout, /2 to send, 1 snapshot, 0 to create, 2 hold moves, 0 to destroy, 1 conflict/, conflicted.stdout);
});
