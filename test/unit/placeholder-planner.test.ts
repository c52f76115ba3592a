import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionSteps } from '../../src/apply/steps.js';
import { plan } from '../../src/plan/planner.js';
import { parseSpec } from '../../src/spec/load.js';
import type { Action, ConflictAction, CreateAction, SendAction } from '../../src/types.js';
import { HostBuilder, LEGACY, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const spec = (datasets: string) =>
  parseSpec(
    `version: 1
sources:
  vms: { datasets: [${datasets}] }
targets:
  bk: { dataset: backup/pve }
replicate:
  - { from: vms, to: bk }
`,
    'zfsync.yaml',
  );

const sends = (as: Action[]) => as.filter((a): a is SendAction => a.kind === 'send');
const conflicts = (as: Action[]) => as.filter((a): a is ConflictAction => a.kind === 'conflict');

function replicasBelowParent(markParent: boolean) {
  const h = new HostBuilder('local');
  h.fs('tank/vm/one').fs('backup');
  h.snap('tank/vm', 's1').snap('tank/vm/one', 's1');
  h.received('backup/pve/tank/vm/one', h, 'tank/vm/one', ['s1']);
  h.fs('backup/pve/tank/vm', { placeholder: markParent });
  return h;
}

describe('planner: recv -F only into an empty placeholder', () => {
  for (const marked of [false, true]) {
    it(`a ${marked ? 'marked' : 'plain'} target with datasets below it and no snapshots is a conflict, never a full receive`, () => {
      const p = plan(spec('tank/vm'), stateOf(replicasBelowParent(marked)), NOW);
      assert.equal(sends(p.actions).filter((s) => s.target.dataset === 'backup/pve/tank/vm').length, 0);
      const [c] = conflicts(p.actions);
      assert.equal(c!.dataset, 'backup/pve/tank/vm');
      assert.match(c!.message, /^backup\/pve\/tank\/vm has no snapshots but holds 1 dataset below it .*receiving tank\/vm in full would replace them all$/);
      assert.match(c!.resolution, /list its children in sources\.vms\.datasets instead of tank\/vm/);
      assert.ok(!sends(p.actions).some((s) => s.receive.placeholder === 'existing' || s.receive.force));
    });
  }

  it('an empty marked parent is cleared by the first action that lands below it, once', () => {
    const h = new HostBuilder('local', LEGACY);
    h.fs('tank/vm/one').fs('tank/vm/two').fs('backup/pve', { placeholder: true });
    for (const d of ['tank/vm', 'tank/vm/one', 'tank/vm/two']) h.snap(d, 's1');
    const p = plan(spec('tank/vm/one, tank/vm/two'), stateOf(h), NOW);
    const creates = p.actions.filter((a): a is CreateAction => a.kind === 'create');
    assert.deepEqual(creates.map((c) => [c.dataset, c.clearsMarker]), [['backup/pve/tank', 'backup/pve'], ['backup/pve/tank/vm', undefined]]);
    assert.ok(sends(p.actions).every((s) => s.clearsMarker === undefined));
    const steps = actionSteps(creates[0]!, () => ({ zfs: 'zfs', capabilities: LEGACY }));
    assert.deepEqual(steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : s.kind)), [
      'zfs inherit zfsync:placeholder backup/pve',
      'zfs create -o canmount=off -o readonly=on backup/pve/tank',
    ]);
  });

  it('a full send below an empty marked parent clears it before receiving', () => {
    const h = new HostBuilder('local', LEGACY);
    h.fs('tank/vm').fs('backup/pve/tank', { placeholder: true });
    h.snap('tank/vm', 's1');
    const p = plan(spec('tank/vm'), stateOf(h), NOW);
    const [s] = sends(p.actions);
    assert.equal(s!.clearsMarker, 'backup/pve/tank');
    const steps = actionSteps(s!, () => ({ zfs: 'zfs', capabilities: LEGACY }));
    assert.deepEqual(steps.slice(0, 2).map((x) => (x.kind === 'run' ? x.argv.join(' ') : x.kind)), [
      'zfs inherit zfsync:placeholder backup/pve/tank',
      'zfs create -o readonly=on -o canmount=noauto -o zfsync:placeholder=backup/pve/tank/vm backup/pve/tank/vm',
    ]);
  });
});
