import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionSteps } from '../../src/apply/steps.js';
import { plan } from '../../src/plan/planner.js';
import { parseSpec } from '../../src/spec/load.js';
import type { Action, Plan, SendAction } from '../../src/types.js';
import { HostBuilder, LEGACY, OPENZFS, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const Z = (h: number) => `zfsync_20261122T${String(h).padStart(2, '0')}0000Z`;

function specWith(opts: { extra?: string; target?: string } = {}) {
  return parseSpec(
    `version: 1
sources:
  vms: { datasets: [tank/vm], snapshot_every: 1d }
targets:
  bk: { dataset: backup/pve${opts.target ?? ''} }
replicate:
  - { from: vms, to: bk }
${opts.extra ?? ''}`,
    'zfsync.yaml',
  );
}

const sends = (p: Plan) => p.actions.filter((a): a is SendAction => a.kind === 'send');
const byKind = <K extends Action['kind']>(p: Plan, k: K) => p.actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === k);

/** tank/vm/zbase@gold with clones vm1 and vm2 of it, each with one own snapshot. */
function group(caps = OPENZFS) {
  const h = new HostBuilder('local', caps);
  h.fs('tank/vm/zbase').fs('backup');
  h.snap('tank/vm', Z(1));
  h.snap('tank/vm/zbase', 'gold', { referenced: 4_000_000 }).snap('tank/vm/zbase', Z(1), { referenced: 4_000_000, written: 0 });
  for (const m of ['vm1', 'vm2']) {
    h.fs(`tank/vm/${m}`, { origin: 'tank/vm/zbase@gold' });
    h.snap(`tank/vm/${m}`, Z(1), { referenced: 4_100_000, written: 100_000 });
  }
  return h;
}

describe('clones: the first send starts from the origin', () => {
  it('sends the origin first (from its origin snapshot), then each clone from it as a clone', () => {
    const p = plan(specWith(), stateOf(group()), NOW);
    const list = sends(p);
    const base = list.filter((s) => s.source.dataset === 'tank/vm/zbase');
    assert.deepEqual(base.map((s) => `${s.mode} ${s.from?.name ?? ''}->${s.to.name}`), ['full ->gold', `incremental gold->${Z(1)}`], 'gold travels although it is not zfsync\'s own');
    const clones = list.filter((s) => s.mode === 'clone');
    assert.deepEqual(clones.map((s) => s.source.dataset), ['tank/vm/vm1', 'tank/vm/vm2']);
    for (const c of clones) {
      assert.equal(c.origin, 'tank/vm/zbase');
      assert.equal(c.from!.name, 'gold');
      assert.equal(c.to.name, Z(1));
      assert.equal(c.bytes, 100_000, 'only what differs from the origin');
      assert.ok(c.dependsOn.includes(base[0]!.id), 'waits for the send that lands @gold');
      assert.ok(list.indexOf(c) > list.indexOf(base[0]!), 'planned after its origin although zbase sorts last');
    }
    assert.equal(byKind(p, 'conflict').length, 0);
  });

  it('needs no dependency when the target already has the origin snapshot (by GUID)', () => {
    const h = group();
    h.received('backup/pve/tank/vm/zbase', h, 'tank/vm/zbase', ['gold', Z(1)]);
    h.received('backup/pve/tank/vm', h, 'tank/vm', [Z(1)]);
    const p = plan(specWith(), stateOf(h), NOW);
    const clones = sends(p).filter((s) => s.mode === 'clone');
    assert.equal(clones.length, 2);
    assert.deepEqual(clones.map((c) => c.dependsOn.length), [0, 0]);
  });

  it('sends a clone in full, with a note, when its origin is not replicated by the pair', () => {
    const h = new HostBuilder('local', OPENZFS);
    h.fs('tank/base').fs('tank/vm').fs('backup');
    h.snap('tank/base', 'gold');
    h.fs('tank/vm/vm1', { origin: 'tank/base@gold' }).snap('tank/vm/vm1', Z(1));
    const p = plan(specWith(), stateOf(h), NOW);
    const vm1 = sends(p).find((s) => s.source.dataset === 'tank/vm/vm1');
    assert.equal(vm1?.mode, 'full');
    assert.ok(p.notes.some((n) => /tank\/vm\/vm1 is a clone of tank\/base@gold, which this pair does not replicate: its first send is a full stream/.test(n)), p.notes.join('\n'));
  });

  it('builds `zfs send -i origin@snap clone@snap` and a receive that creates the clone unmounted', () => {
    const p = plan(specWith(), stateOf(group()), NOW);
    const c = sends(p).find((s) => s.mode === 'clone')!;
    const [pipe] = actionSteps(c, () => ({ zfs: 'zfs', capabilities: OPENZFS })).filter((s) => s.kind === 'pipe');
    assert.ok(pipe && pipe.kind === 'pipe');
    assert.deepEqual(pipe.send.stages[0]!.argv, ['zfs', 'send', '-L', '-e', '-c', '-i', 'tank/vm/zbase@gold', `tank/vm/vm1@${Z(1)}`]);
    assert.deepEqual(pipe.receive.stages.at(-1)!.argv, ['zfs', 'receive', '-s', '-u', '-o', 'readonly=on', '-o', 'canmount=noauto', 'backup/pve/tank/vm/vm1']);
  });

  it('on legacy ZFS sets the receive options after the receive and unmounts the new clone', () => {
    const p = plan(specWith(), stateOf(group(LEGACY)), NOW);
    const c = sends(p).find((s) => s.mode === 'clone')!;
    const steps = actionSteps(c, () => ({ zfs: 'zfs', capabilities: LEGACY }));
    const runs = steps.filter((s) => s.kind === 'run').map((s) => (s.kind === 'run' ? s.argv.join(' ') : ''));
    assert.deepEqual(runs, ['zfs set readonly=on backup/pve/tank/vm/vm1', 'zfs set canmount=noauto backup/pve/tank/vm/vm1', 'zfs umount backup/pve/tank/vm/vm1']);
    const pipe = steps.find((s) => s.kind === 'pipe');
    assert.ok(pipe && pipe.kind === 'pipe');
    assert.deepEqual(pipe.receive.stages.at(-1)!.argv, ['zfs', 'receive', 'backup/pve/tank/vm/vm1'], 'no -F, no placeholder: the receive creates the clone');
  });
});

describe('clones: rebased groups', () => {
  const rebase = `rebase:
  golden: { base: tank/vm/zbase@gold, datasets: [tank/vm/vm1, tank/vm/vm2] }
`;
  /** vm1 and vm2 were rebuilt: their originals are vm1_pre_rebase and vm2_pre_rebase; the target holds replicas of the originals. */
  function rebuilt(asideTaken = false) {
    const h = group();
    for (const m of ['vm1', 'vm2']) {
      h.fs(`tank/vm/${m}_pre_rebase`).snap(`tank/vm/${m}_pre_rebase`, 'zfsync_20261120T000000Z');
      h.received(`backup/pve/tank/vm/${m}`, h, `tank/vm/${m}_pre_rebase`, ['zfsync_20261120T000000Z']);
    }
    h.received('backup/pve/tank/vm', h, 'tank/vm', [Z(1)]);
    if (asideTaken) h.fs('backup/pve/tank/vm/vm1_pre_rebase');
    return h;
  }

  it('moves the old replicas aside with the group\'s suffix, then receives each member as a clone of the base', () => {
    const p = plan(specWith({ extra: rebase }), stateOf(rebuilt()), NOW);
    const renames = byKind(p, 'rename');
    assert.deepEqual(renames.map((r) => `${r.dataset} -> ${r.to}`), ['backup/pve/tank/vm/vm1 -> backup/pve/tank/vm/vm1_pre_rebase', 'backup/pve/tank/vm/vm2 -> backup/pve/tank/vm/vm2_pre_rebase']);
    assert.match(renames[0]!.reason, /rebuilt by rebase\.golden: its replica holds the old lineage/);
    const clones = sends(p).filter((s) => s.mode === 'clone');
    assert.equal(clones.length, 2);
    for (const [i, c] of clones.entries()) assert.ok(c.dependsOn.includes(renames[i]!.id), 'received after its old replica moved');
    assert.equal(byKind(p, 'conflict').length, 0, 'never a bare "no common snapshot" conflict');
    assert.ok(!sends(p).some((s) => s.source.dataset.endsWith('_pre_rebase')), 'the originals are not sent');
    assert.ok(p.notes.some((n) => /sources\.vms: skips 2 datasets a rebase kept under its suffix \(tank\/vm\/vm1_pre_rebase, tank\/vm\/vm2_pre_rebase\)/.test(n)), p.notes.join('\n'));
  });

  it('is a conflict when the aside name is taken on the target', () => {
    const p = plan(specWith({ extra: rebase }), stateOf(rebuilt(true)), NOW);
    const [c] = byKind(p, 'conflict');
    assert.ok(c);
    assert.match(c.message, /vm1 was rebuilt by rebase\.golden .* move aside to backup\/pve\/tank\/vm\/vm1_pre_rebase; that name is taken/);
    assert.equal(byKind(p, 'rename').length, 1, 'vm2 still moves');
  });
});
