// Drift of the properties zfsync manages on a replica (`set`, a mounted replica's conflict) and
// orphaned replicas named in the notes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionSteps } from '../../src/apply/steps.js';
import { parsePlanDocument, planDocument } from '../../src/plan/document.js';
import { plan } from '../../src/plan/planner.js';
import { compareActions } from '../../src/plan/verify-saved.js';
import { actionTitle } from '../../src/render/apply-lines.js';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { parseSpec } from '../../src/spec/load.js';
import { fingerprints } from '../../src/state/fingerprint.js';
import { parseStateOutput } from '../../src/zfs/state-read.js';
import type { ConflictAction, Dataset, SendAction, SetAction } from '../../src/types.js';
import { HostBuilder, LEGACY, OPENZFS, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-11-10T12:00:00Z');

const spec = (receive = '') =>
  parseSpec(
    `version: 1
hosts:
  nas: { ssh: { host: nas.example } }
sources:
  vms: { datasets: [tank/vm] }
targets:
  bk: { host: nas, dataset: backup, strip_path: 1${receive} }
replicate:
  - { from: vms, to: bk }
`,
    'zfsync.yaml',
  );

/** tank/vm and tank/vm/a replicated to backup/vm(/a), the replicas as zfsync leaves them, unless `replica` says otherwise. */
function world(replica: Partial<Dataset> = {}, newer = false) {
  const src = new HostBuilder('local').fs('tank/vm').fs('tank/vm/a').snap('tank/vm', 's1').snap('tank/vm/a', 's1');
  if (newer) src.snap('tank/vm/a', 's2');
  const tgt = new HostBuilder('nas').fs('backup', { canmount: 'on', readonly: false, mounted: true });
  const inLine: Partial<Dataset> = { readonly: true, canmount: 'noauto', mounted: false };
  tgt.received('backup/vm', src, 'tank/vm', ['s1']).fs('backup/vm', inLine);
  tgt.received('backup/vm/a', src, 'tank/vm/a', ['s1']).fs('backup/vm/a', { ...inLine, ...replica });
  return { src, tgt };
}

const kinds = (p: ReturnType<typeof plan>) => p.actions.map((a) => a.kind);
const orphanNotes = (p: ReturnType<typeof plan>) => p.notes.filter((n) => n.includes('orphan'));

describe('drift on a replica', () => {
  it('no action and no note when the replicas are in line', () => {
    const { src, tgt } = world();
    const p = plan(spec(), stateOf(src, tgt), NOW);
    assert.deepEqual(p.actions, []);
    assert.deepEqual(orphanNotes(p), []);
  });

  it('readonly=off on a replica: `~ set readonly=on`, counted in the summary, run as zfs set', () => {
    const { src, tgt } = world({ readonly: false });
    const p = plan(spec(), stateOf(src, tgt), NOW);
    assert.deepEqual(kinds(p), ['set']);
    const set = p.actions[0] as SetAction;
    assert.deepEqual([set.host, set.dataset, set.properties, set.was], ['nas', 'backup/vm/a', { readonly: 'on' }, { readonly: 'off' }]);
    const text = renderPlanText(p, { color: false });
    assert.match(text, /^ {4}~ set +nas: backup\/vm\/a readonly=on {2}\(was off: targets\.bk\.receive\.readonly is true\)$/m);
    assert.match(text, /Plan: 0 to send, 0 snapshots, 0 to create, 1 to set, 0 to destroy, 0 conflicts\./);
    assert.equal(p.summary.sets, 1);
    assert.match(renderPlanMarkdown(p, {}), /\| to roll back \| to set \| to destroy \|[^\n]*\n[^\n]*\n\| 0 \| 0 \| 0 \| 0 \| 1 \| 0 \| 0 \|/);
    const steps = actionSteps(set, () => ({ zfs: 'zfs', capabilities: LEGACY }));
    assert.deepEqual(steps, [{ kind: 'run', host: 'nas', argv: ['zfs', 'set', 'readonly=on', 'backup/vm/a'] }]);
    assert.equal(actionTitle(set), 'set nas: backup/vm/a readonly=on');
  });

  it('canmount=on (unmounted) is set back to noauto, before the incremental send of that dataset', () => {
    const { src, tgt } = world({ canmount: 'on', readonly: false }, true);
    const p = plan(spec(), stateOf(src, tgt), NOW);
    assert.deepEqual(kinds(p), ['set', 'send']);
    const [set, send] = p.actions as [SetAction, SendAction];
    assert.deepEqual(set.properties, { readonly: 'on', canmount: 'noauto' });
    assert.deepEqual(send.dependsOn, [set.id]);
    const steps = actionSteps(set, () => ({ zfs: 'zfs', capabilities: LEGACY }));
    assert.deepEqual(steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : s.kind)), ['zfs set readonly=on backup/vm/a', 'zfs set canmount=noauto backup/vm/a']);
    assert.match(renderPlanText(p, { color: false }), /readonly=on canmount=noauto {2}\(was off, on: targets\.bk\.receive\.readonly is true, targets\.bk\.receive\.mount is false\)/);
  });

  it('a replica mounted although receive.mount is false is a conflict; zfsync does not unmount it', () => {
    const { src, tgt } = world({ mounted: true });
    const p = plan(spec(), stateOf(src, tgt), NOW);
    assert.deepEqual(kinds(p), ['conflict']);
    const c = p.actions[0] as ConflictAction;
    assert.equal(c.message, 'backup/vm/a is mounted although targets.bk.receive.mount is false');
    assert.match(c.resolution, /^unmount it \(zfs umount backup\/vm\/a\) or set targets\.bk\.receive\.mount: true/);
  });

  it('a mounted replica (receive.mount: true) is not checked for readonly: it lists its mount\'s value', () => {
    const { src, tgt } = world({ readonly: false, canmount: 'on', mounted: true });
    assert.deepEqual(plan(spec(', receive: { mount: true }'), stateOf(src, tgt), NOW).actions, []);
    const unmounted = world({ readonly: false, canmount: 'on', mounted: false });
    assert.deepEqual(kinds(plan(spec(', receive: { mount: true }'), stateOf(unmounted.src, unmounted.tgt), NOW)), ['set']);
  });

  it('receive.readonly: false and mount: true leave the properties alone', () => {
    const { src, tgt } = world({ readonly: false, canmount: 'on', mounted: true });
    assert.deepEqual(plan(spec(', receive: { readonly: false, mount: true }'), stateOf(src, tgt), NOW).actions, []);
  });

  it('a target sharing no snapshot with its source is not zfsync\'s replica: no set', () => {
    const src = new HostBuilder('local').fs('tank/vm', { }).snap('tank/vm', 's1');
    const tgt = new HostBuilder('nas').fs('backup/vm', { readonly: false }).snap('backup/vm', 's1');
    assert.deepEqual(kinds(plan(spec(), stateOf(src, tgt), NOW)), ['conflict']);
  });

  it('a saved plan with a set passes the plan schema and a re-plan at its time reproduces it', () => {
    const s = spec();
    const { src, tgt } = world({ readonly: false });
    const state = stateOf(src, tgt);
    const p = plan(s, state, NOW);
    const doc = parsePlanDocument(JSON.stringify(planDocument(s, p, fingerprints(s, state), NOW)), 'plan.json');
    assert.deepEqual(compareActions(doc.plan.actions, plan(s, state, NOW).actions, 'zfsync.yaml'), []);
    const bad = planDocument(s, p, fingerprints(s, state), NOW);
    (bad.plan.actions[0] as SetAction).properties = { mountpoint: '/x' };
    assert.throws(() => parsePlanDocument(JSON.stringify(bad), 'plan.json'));
  });
});

describe('orphans', () => {
  it('a replica no selected source maps to any more is named in the notes, and nothing destroys it', () => {
    const { src, tgt } = world();
    tgt.fs('backup/vm/old').snap('backup/vm/old', 's0').fs('backup/vm/gone/deep').snap('backup/vm/gone/deep', 's0');
    tgt.fs('backup/vm/empty');
    const p = plan(spec(), stateOf(src, tgt), NOW);
    assert.deepEqual(p.actions, []);
    assert.deepEqual(orphanNotes(p), [
      'backup/vm/gone/deep: no source dataset maps to it any more (orphan; zfsync never destroys it)',
      'backup/vm/old: no source dataset maps to it any more (orphan; zfsync never destroys it)',
    ]);
  });

  it('ancestors of mapped targets are no orphans, even with snapshots', () => {
    const { src, tgt } = world();
    tgt.snap('backup', 'x');
    assert.deepEqual(orphanNotes(plan(spec(), stateOf(src, tgt), NOW)), []);
  });

  it('no orphan is named while a source host is unreachable (its mapping is unknown)', () => {
    const { src, tgt } = world();
    tgt.fs('backup/vm/old').snap('backup/vm/old', 's0');
    const state = stateOf(src, tgt);
    delete state.hosts.local;
    state.unreachable = { local: 'connection refused' };
    assert.ok(!plan(spec(), state, NOW).notes.some((n) => n.includes('orphan')));
  });
});

describe('state read of the drift properties', () => {
  it('zfs list -p: readonly, canmount and mounted per dataset, unknown on volumes and older listings', () => {
    const caps = { ...OPENZFS, holds: false };
    const text = [
      'p/a\tfilesystem\t11\t5\t1700000000\t-\t100\t0\t-\t-\ton\tnoauto\tno',
      'p/a@s\tsnapshot\t12\t6\t1700000001\t-\t100\t0\t-\t-\t-\t-\t-',
      'p/v\tvolume\t13\t7\t1700000000\t-\t100\t0\t-\t-\toff\t-\t-',
      'p/old\tfilesystem\t14\t8\t1700000000\t-\t100\t0\t-\t-',
    ].join('\n');
    const m = parseStateOutput(text, caps);
    const props = (n: string) => [m.get(n)!.readonly, m.get(n)!.canmount, m.get(n)!.mounted];
    assert.deepEqual(props('p/a'), [true, 'noauto', false]);
    assert.deepEqual(props('p/v'), [false, undefined, undefined]);
    assert.deepEqual(props('p/old'), [undefined, undefined, undefined]);
  });

  it('zfs get -p (legacy): the same from one line per property', () => {
    const text = ['p/a\ttype\tfilesystem', 'p/a\tguid\t11', 'p/a\treadonly\toff', 'p/a\tcanmount\ton', 'p/a\tmounted\tyes'].join('\n');
    const d = parseStateOutput(text, LEGACY).get('p/a')!;
    assert.deepEqual([d.readonly, d.canmount, d.mounted], [false, 'on', true]);
  });
});
