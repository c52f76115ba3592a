// The command lines of rebase's `base` and `rebuild` kinds, stage by stage, and how plans show them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseKind } from '../../src/kinds/base.js';
import { rebuildArgvs, rebuildKind } from '../../src/kinds/rebuild.js';
import type { BaseAction, RebuildAction } from '../../src/types.js';
import { LEGACY } from '../helpers/state-builder.js';

const M = 'tank/vm/a';
const NEW = 'tank/vm/a.zfsync-rebase-new';
const SRC = 'tank/vm/a.zfsync-rebase-src';
const DIR = (ds: string) => `/var/tmp/zfsync-rebase/${ds.replaceAll('/', '+')}`;

const rebuild = (over: Partial<RebuildAction> = {}): RebuildAction => ({
  id: 'a2', kind: 'rebuild', group: 'g', prefix: 'zfsync', host: 'local', dataset: M, base: 'tank/base@gold', stage: 'start',
  snapshot: 'zfsync_rebase_20261201T100000Z', replace: true, keepOriginals: 'suffix', suffix: '_pre_rebase', mount: true, unmount: true,
  discard: [], reason: 'not a clone', dependsOn: [], ...over,
});

/** One line per command; `sh -c` scripts by their name ($0) and arguments, `retry-busy` unwrapped to what it retries. */
const lines = (argvs: string[][]) => argvs.map((a) => (a[0] === 'sh' ? (a[3] === 'retry-busy' ? `${a.slice(4).join(' ')} (retried while busy)` : `[${a[3]}] ${a.slice(4).join(' ')}`) : a.join(' ')));

describe('rebase: rebuild command lines', () => {
  it('replace, keep_originals suffix, from the start: every step in its interrupt-safe order', () => {
    assert.deepEqual(lines(rebuildArgvs(rebuild(), 'zfs')), [
      `zfs snapshot ${M}@zfsync_rebase_20261201T100000Z`,
      `zfs clone -o zfsync:rebuild=source -o readonly=on -o mountpoint=${DIR(SRC)} ${M}@zfsync_rebase_20261201T100000Z ${SRC}`,
      `zfs clone -o zfsync:rebuild=copy -o mountpoint=${DIR(NEW)} tank/base@gold ${NEW}`,
      `[carry] zfs ${M} ${NEW} users quota refquota reservation refreservation compression recordsize atime`,
      `[mounted] zfs ${SRC} ${NEW}`,
      `rsync -aHAX --inplace --no-whole-file --checksum --numeric-ids --delete ${DIR(SRC)}/ ${DIR(NEW)}/`,
      `[verify] rsync -aHAXc --delete --dry-run --itemize-changes --numeric-ids ${DIR(SRC)}/ ${DIR(NEW)}/`,
      `zfs umount ${NEW} (retried while busy)`,
      `zfs umount ${SRC} (retried while busy)`,
      `zfs destroy ${SRC} (retried while busy)`,
      `[carry] zfs ${M} ${NEW} no-users canmount`,
      `zfs set zfsync:rebuild=verified:mount ${NEW}`,
      `zfs umount ${M}`,
      `zfs set canmount=noauto ${M}`,
      `zfs rename ${M} ${M}_pre_rebase (retried while busy)`,
      `zfs rename ${NEW} ${M} (retried while busy)`,
      `[mountpoint] zfs ${M}_pre_rebase ${M}`,
      `[carry] zfs ${M}_pre_rebase ${M} no-users readonly`,
      `[mount] zfs ${M}`,
      `zfs inherit zfsync:rebuild ${M}`,
    ]);
  });

  it('keep_originals destroy ends with the original and its snapshots; discards come first', () => {
    const l = lines(rebuildArgvs(rebuild({ keepOriginals: 'destroy', discard: [NEW, `${M}@zfsync_rebase_old`], mount: false, unmount: false }), 'zfs'));
    assert.deepEqual(l.slice(0, 2), [`zfs destroy ${NEW} (retried while busy)`, `zfs destroy ${M}@zfsync_rebase_old (retried while busy)`]);
    assert.equal(l.at(-1), `zfs destroy -r ${M}_pre_rebase (retried while busy)`);
    assert.ok(!l.includes(`zfs umount ${M}`) && !l.includes(`[mount] zfs ${M}`), 'an unmounted member is neither unmounted nor mounted');
  });

  it('resumed stages run only what is left', () => {
    assert.deepEqual(lines(rebuildArgvs(rebuild({ stage: 'rename', mount: false, unmount: false }), 'zfs')), [
      `zfs rename ${NEW} ${M} (retried while busy)`,
      `[mountpoint] zfs ${M}_pre_rebase ${M}`,
      `[carry] zfs ${M}_pre_rebase ${M} no-users readonly`,
      `zfs inherit zfsync:rebuild ${M}`,
    ]);
    assert.deepEqual(lines(rebuildArgvs(rebuild({ stage: 'cleanup', leftoverSource: `${M}_pre_rebase@zfsync_rebase_x` }), 'zfs')), [`zfs destroy ${SRC} (retried while busy)`]);
    assert.equal(lines(rebuildArgvs(rebuild({ stage: 'swap', unmount: false }), 'zfs'))[0], `zfs set canmount=noauto ${M}`);
  });

  it('replace: false: the clone goes to <name><suffix>, the member keeps its name and loses only the rebuild snapshot', () => {
    const l = lines(rebuildArgvs(rebuild({ replace: false }), 'zfs'));
    assert.ok(l.includes(`zfs destroy ${M}@zfsync_rebase_20261201T100000Z (retried while busy)`));
    assert.deepEqual(l.slice(-6), [
      `zfs set zfsync:rebuild=verified:mount ${NEW}`,
      `zfs rename ${NEW} ${M}_pre_rebase (retried while busy)`,
      `zfs inherit mountpoint ${M}_pre_rebase`,
      `[carry] zfs ${M} ${M}_pre_rebase no-users readonly`,
      `[mount] zfs ${M}_pre_rebase`,
      `zfs inherit zfsync:rebuild ${M}_pre_rebase`,
    ]);
    assert.ok(!l.some((x) => x.startsWith(`zfs rename ${M} `)), 'the original is never renamed');
    assert.ok(!l.some((x) => x === `zfs umount ${M}`), 'nor unmounted');
  });

  it('plan line and apply title', () => {
    assert.deepEqual(rebuildKind.head(rebuild()), { symbol: '-/+', verb: 'rebuild', subject: `local: ${M}`, detail: `clone of tank/base@gold; original kept as ${M}_pre_rebase`, tone: 'change' });
    assert.equal(rebuildKind.title(rebuild({ stage: 'swap' })), `rebuild local: ${M} as a clone of tank/base@gold (swap)`);
  });
});

describe('rebase: base command lines', () => {
  const base = (over: Partial<BaseAction> = {}): BaseAction => ({
    id: 'a1', kind: 'base', group: 'g', prefix: 'zfsync', host: 'local', dataset: 'tank/base', snapshot: 'gold', seeds: [M, 'tank/vm/b'],
    seedSnapshot: 'zfsync_rebase_seed_20261201T100000Z', suffix: '_pre_rebase', discard: [], reason: 'tank/base does not exist', dependsOn: [], ...over,
  });
  const argvs = (a: BaseAction) => lines(baseKind.steps(a, () => ({ zfs: 'zfs', capabilities: LEGACY })).map((s) => (s.kind === 'run' ? s.argv : [])));

  it('created marked, each seed copied in turn without --delete, snapshotted, then put away', () => {
    const l = argvs(base());
    assert.deepEqual(l.slice(0, 8), [
      `zfs create -o zfsync:rebase-base=g -o mountpoint=${DIR('tank/base')} tank/base`,
      `zfs snapshot ${M}@zfsync_rebase_seed_20261201T100000Z`,
      `zfs clone -o zfsync:rebuild=seed -o readonly=on -o mountpoint=${DIR(`${M}.zfsync-rebase-seed`)} ${M}@zfsync_rebase_seed_20261201T100000Z ${M}.zfsync-rebase-seed`,
      `[mounted] zfs ${M}.zfsync-rebase-seed tank/base`,
      `rsync -aHAX --inplace --no-whole-file --checksum --numeric-ids ${DIR(`${M}.zfsync-rebase-seed`)}/ ${DIR('tank/base')}/`,
      `zfs umount ${M}.zfsync-rebase-seed (retried while busy)`,
      `zfs destroy ${M}.zfsync-rebase-seed (retried while busy)`,
      `zfs destroy ${M}@zfsync_rebase_seed_20261201T100000Z (retried while busy)`,
    ]);
    assert.deepEqual(l.slice(-3), ['zfs snapshot tank/base@gold', 'zfs umount tank/base (retried while busy)', 'zfs set canmount=noauto tank/base']);
    assert.equal(l.length, 1 + 2 * 7 + 3);
  });

  it('a half-built base is destroyed first; rebuild_base moves the old one aside', () => {
    assert.equal(argvs(base({ previous: 'destroy' }))[0], 'zfs destroy -r tank/base (retried while busy)');
    assert.equal(argvs(base({ previous: 'rename' }))[0], 'zfs rename tank/base tank/base_pre_rebase (retried while busy)');
    assert.equal(baseKind.head(base({ previous: 'rename' })).symbol, '-/+');
  });
});
