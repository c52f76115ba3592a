// The remote lane: a rebase group on a real OpenZFS host over SSH. Three members with mostly
// shared content become clones of one base with the same files (sha256 of each), in less space;
// a re-run plans nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';
import { remoteLane, remoteProp, type RemoteLane } from '../helpers/remote.js';

/** `sha256  ./path` of every file below the dataset's mountpoint, sorted. */
async function sums(lane: RemoteLane, ds: string): Promise<string> {
  const mp = await remoteProp(lane, ds, 'mountpoint');
  assert.equal(await remoteProp(lane, ds, 'mounted'), 'yes', `${ds} mounted`);
  return lane.sh(['sh', '-c', 'cd "$1" && find . -type f -exec sha256sum {} + | sort -k 2', 'sums', mp]);
}

const used = async (lane: RemoteLane, names: string[]) => {
  await lane.sh(['zpool', 'sync']);
  let sum = 0;
  for (const n of names) sum += Number(await remoteProp(lane, n, 'used'));
  return sum;
};
const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;

test('OpenZFS: a rebase group over SSH: clones of the base, same content, less space, then no changes', async (t) => {
  const lane = await remoteLane(t);
  if (!lane) return;
  const members = ['a', 'b', 'c'].map((m) => `${lane.base}/vm/${m}`);
  const base = `${lane.base}/base`;
  try {
    await lane.sh(['zfs', 'create', '-o', 'compression=off', `${lane.base}/vm`]);
    const common = `/tmp/zfsync-rebase-common-${lane.base.split('-').at(-1)}`;
    await lane.sh(['dd', 'if=/dev/urandom', `of=${common}`, 'bs=1M', 'count=4', 'status=none']);
    for (const [i, m] of members.entries()) {
      await lane.sh(['zfs', 'create', m]);
      const mp = await remoteProp(lane, m, 'mountpoint');
      await lane.sh(['sh', '-c', 'cp "$1" "$2/common.img" && mkdir "$2/own" && dd if=/dev/urandom of="$2/own/$3.bin" bs=64k count=1 status=none && ln -s own "$2/link"', 'mk', common, mp, String(i)]);
    }
    await lane.sh(['rm', '-f', common]);
    await lane.sh(['zfs', 'set', 'quota=1G', members[1]!]);
    await lane.sh(['zfs', 'set', 'zfsync-test:note=kept', members[2]!]);
    const before = new Map<string, string>();
    for (const m of members) before.set(m, await sums(lane, m));
    const usedBefore = await used(lane, members);
    const { spec } = await specFile(t, `version: 1
hosts:
${lane.hostEntry('oz')}
sources:
  none: { host: oz, datasets: ["${lane.base}/vm"] }
rebase:
  g: { host: oz, base: "${base}@gold", datasets: ["${lane.base}/vm/*"] }
`);
    const p = await zfsync(['plan', '-c', spec]);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.match(p.stdout, /\+ create base +oz: .*\/base@gold/);
    assert.equal((p.stdout.match(/-\/\+ rebuild +oz: /g) ?? []).length, 3, p.stdout);

    const started = performance.now();
    const a = await zfsync(['apply', '-c', spec, '--auto-approve']);
    const ms = performance.now() - started;
    assert.equal(a.code, 0, a.stdout + a.stderr);
    for (const m of members) {
      assert.equal(await remoteProp(lane, m, 'origin'), `${base}@gold`, m);
      assert.equal(await sums(lane, m), before.get(m), `${m}: same files`);
      assert.equal(await remoteProp(lane, `${m}_pre_rebase`, 'canmount'), 'noauto');
    }
    assert.equal(await remoteProp(lane, members[1]!, 'quota'), String(1 << 30), 'a local quota carried');
    assert.equal(await remoteProp(lane, members[2]!, 'zfsync-test:note'), 'kept', 'a user property carried');
    assert.equal(await remoteProp(lane, members[0]!, 'zfsync:rebuild'), '-', 'marker cleared');
    const usedAfter = await used(lane, [...members, base]);
    t.diagnostic(`OpenZFS: members used ${mib(usedBefore)} before; base + members ${mib(usedAfter)} after; apply ${(ms / 1000).toFixed(1)} s for 3 members`);
    assert.ok(usedAfter < usedBefore * 0.6, `${usedAfter} should be well below ${usedBefore}`);

    const again = await zfsync(['plan', '-c', spec]);
    assert.match(again.stdout, /No changes/, again.stdout);
  } finally {
    // The members are clones of the base: -R takes them with it, then the originals.
    await lane.sh(['zfs', 'destroy', '-R', base]).catch(() => undefined);
    await lane.sh(['zfs', 'destroy', '-r', `${lane.base}/vm`]).catch(() => undefined);
  }
});
