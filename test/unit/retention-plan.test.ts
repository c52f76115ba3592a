// Retention inside the planner: never-delete rules on both sides, the projected target state,
// batching, ordering after the sends, and a saved plan that a re-plan reproduces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePlanDocument, planDocument } from '../../src/plan/document.js';
import { plan, planWithRetention } from '../../src/plan/planner.js';
import { snapshotName } from '../../src/plan/snapshot-names.js';
import { compareActions } from '../../src/plan/verify-saved.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { parseSpec } from '../../src/spec/load.js';
import { SpecError } from '../../src/errors.js';
import { fingerprints } from '../../src/state/fingerprint.js';
import { actionSteps } from '../../src/apply/steps.js';
import type { Action, DestroyAction, Plan, SendAction } from '../../src/types.js';
import { HostBuilder, LEGACY, OPENZFS, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-11-10T12:00:00Z');
/** zfsync_<day 1..9 of November 2026, midnight>. */
const day = (d: number, h = 0) => snapshotName('zfsync', new Date(Date.UTC(2026, 10, d, h)));

function spec(opts: { source?: string; target?: string; extra?: string } = {}) {
  return parseSpec(
    `version: 1
hosts:
  nas: { ssh: { host: nas.example } }
sources:
  vms:
    datasets: [tank/vm]
    recursive: false
${opts.source ?? ''}
targets:
  bk:
    host: nas
    dataset: backup
    strip_path: 1
${opts.target ?? ''}
replicate:
  - { from: vms, to: bk }
${opts.extra ?? ''}`,
    'zfsync.yaml',
  );
}

const destroys = (p: Plan) => p.actions.filter((a): a is DestroyAction => a.kind === 'destroy');
const sendsOf = (p: Plan) => p.actions.filter((a): a is SendAction => a.kind === 'send');
const on = (p: Plan, side: 'source' | 'target') => destroys(p).filter((d) => d.side === side);

/** Source with zfsync snapshots of days 1..n; target received days `received`. */
function world(n: number, received: number[], caps = LEGACY) {
  const src = new HostBuilder('local', caps).fs('tank/vm');
  for (let d = 1; d <= n; d++) src.snap('tank/vm', day(d));
  const tgt = new HostBuilder('nas', caps).fs('backup');
  if (received.length) tgt.received('backup/vm', src, 'tank/vm', received.map((d) => day(d)));
  return { src, tgt };
}

describe('source retention', () => {
  it('destroys what the policy drops, but never the base or anything a send of this plan still needs', () => {
    const { src, tgt } = world(9, [1, 2, 3]);
    const p = plan(spec({ source: '    retention: { last: 2 }' }), stateOf(src, tgt), NOW);
    const [send] = sendsOf(p);
    assert.equal(send!.from!.name, day(3));
    const [d] = on(p, 'source');
    assert.deepEqual(d!.snapshots, [day(1), day(2)], 'day 3 is the base, days 4..9 are sent now');
    assert.deepEqual(d!.dependsOn, [send!.id]);
    assert.equal(d!.source, 'vms');
    assert.equal(d!.host, 'local');
  });

  it('a pair in conflict still protects its newest common snapshot on the source', () => {
    const { src, tgt } = world(5, [1, 2]);
    tgt.snap('backup/vm', 'local-change'); // diverged; on_divergence: refuse
    const p = plan(spec({ source: '    retention: { last: 1 }' }), stateOf(src, tgt), NOW);
    assert.ok(p.actions.some((a) => a.kind === 'conflict'));
    assert.deepEqual(on(p, 'source')[0]!.snapshots, [day(1), day(3), day(4)]);
    const { retention } = planWithRetention(spec({ source: '    retention: { last: 1 }' }), stateOf(src, tgt), NOW);
    const verdicts = retention.report.find((r) => r.side === 'source')!.verdicts;
    assert.deepEqual(verdicts.find((v) => v.name === day(2)), { name: day(2), keep: true, why: 'newest common snapshot' });
  });

  it('a held snapshot (userrefs) and a clone origin are never destroyed; OpenZFS batches one call', () => {
    const { src, tgt } = world(6, [1, 2, 3, 4, 5, 6], OPENZFS);
    src.get('tank/vm').snapshots[0]!.userrefs = 1;
    src.fs('tank/clone', { origin: `tank/vm@${day(2)}` });
    const p = plan(spec({ source: '    retention: { last: 1 }' }), stateOf(src, tgt), NOW);
    const [d] = on(p, 'source');
    assert.deepEqual(d!.snapshots, [day(3), day(4), day(5)], 'day 1 held, day 2 origin of a clone, day 6 common and last');
    assert.deepEqual(d!.calls, [[day(3), day(4), day(5)]]);
    assert.deepEqual(actionSteps(d!, () => ({ zfs: 'zfs', capabilities: OPENZFS })), [
      { kind: 'run', host: 'local', argv: ['zfs', 'destroy', `tank/vm@${day(3)},${day(4)},${day(5)}`] },
    ]);
  });

  it('legacy ZFS destroys one snapshot per call; over 100 names OpenZFS splits the calls', () => {
    const { src, tgt } = world(4, [1, 2, 3, 4]);
    const p = plan(spec({ source: '    retention: { last: 1 }' }), stateOf(src, tgt), NOW);
    assert.deepEqual(on(p, 'source')[0]!.calls, [[day(1)], [day(2)], [day(3)]]);
    const many = new HostBuilder('local', OPENZFS).fs('tank/vm');
    for (let i = 0; i < 250; i++) many.snap('tank/vm', snapshotName('zfsync', new Date(Date.UTC(2026, 0, 1) + i * 3600_000)));
    const q = plan(spec({ source: '    retention: { last: 1 }' }), stateOf(many, new HostBuilder('nas', OPENZFS).fs('backup')), NOW);
    const d = on(q, 'source')[0];
    // Nothing on the target yet: the full send needs only the newest; the rest go.
    assert.equal(d!.snapshots.length, 249);
    assert.deepEqual(d!.calls.map((c) => c.length), [100, 100, 49]);
  });

  it('is skipped, with a note, when a target host of the source could not be read', () => {
    const { src } = world(5, []);
    const state = { ...stateOf(src), unreachable: { nas: 'connection refused' } };
    const p = plan(spec({ source: '    retention: { last: 1 }' }), state, NOW);
    assert.equal(destroys(p).length, 0);
    assert.ok(p.notes.some((n) => /sources\.vms\.retention skipped/.test(n)));
  });
});

describe('target retention', () => {
  it('is skipped, with a note, when the source host could not be read', () => {
    const { tgt } = world(5, [1, 2, 3]);
    const state = { ...stateOf(tgt), unreachable: { local: 'connection refused' } };
    const p = plan(spec({ target: '    retention: { last: 1 }' }), state, NOW);
    assert.equal(destroys(p).length, 0);
    assert.ok(p.notes.some((n) => /targets\.bk\.retention skipped for vms -> bk: source host local could not be read/.test(n)), p.notes.join('\n'));
  });

  it('judges the target as it will be after the sends: arrived intermediates go right after the send', () => {
    const { src, tgt } = world(9, [1, 2, 3]);
    const p = plan(spec({ target: '    retention: { last: 2 }' }), stateOf(src, tgt), NOW);
    const [send] = sendsOf(p);
    const [d] = on(p, 'target');
    // day 3 is the newest common snapshot now; days 4..7 arrive with -I and are not kept.
    assert.deepEqual(d!.snapshots, [day(1), day(2), day(4), day(5), day(6), day(7)]);
    assert.deepEqual(d!.dependsOn, [send!.id]);
    assert.equal(d!.pair, 'vms -> bk');
    assert.equal(d!.dataset, 'backup/vm');
    assert.equal(on(p, 'source').length, 0, 'no source retention configured');
    assert.equal(p.summary.destroys, 6);
  });

  it('a brand-new target with initial: all keeps only what its policy keeps, and the newest', () => {
    const { src, tgt } = world(5, []);
    const p = plan(spec({ target: '    initial: all\n    retention: { daily: 1 }' }), stateOf(src, tgt), NOW);
    assert.deepEqual(on(p, 'target')[0]!.snapshots, [day(1), day(2), day(3), day(4)]);
  });

  it('foreign snapshots on the target are left alone; a target in conflict is skipped', () => {
    const { src, tgt } = world(4, [1, 2, 3, 4]);
    tgt.snap('backup/vm', 'manual');
    const p = plan(spec({ target: '    retention: { last: 1 }' }), stateOf(src, tgt), NOW);
    assert.equal(on(p, 'target').length, 0);
    assert.ok(p.notes.some((n) => /targets\.bk\.retention skipped backup\/vm/.test(n)));
  });

  it('a snapshot this plan takes counts on the target, as the newest', () => {
    const { src, tgt } = world(3, [1, 2, 3]);
    const p = plan(spec({ source: '    snapshot_every: 1h', target: '    retention: { last: 1 }' }), stateOf(src, tgt), NOW);
    const taken = p.actions.find((a) => a.kind === 'snapshot')!;
    assert.ok(taken);
    assert.deepEqual(on(p, 'target')[0]!.snapshots, [day(1), day(2)], 'day 3 is the base now');
  });
});

describe('destroy in the plan', () => {
  const s = spec({ source: '    retention: { last: 1 }', target: '    retention: { last: 2 }' });
  const { src, tgt } = world(6, [1, 2, 3, 4]);
  const state = stateOf(src, tgt);

  it('shows `- destroy` with the rule, counts it in the summary', () => {
    const text = renderPlanText(plan(s, state, NOW), { color: false });
    assert.match(text, /^ {4}- destroy +local: tank\/vm @zfsync_20261101T000000Z, @zfsync_20261102T000000Z, @zfsync_20261103T000000Z {2}\(3 snapshots: not kept by last:1; 3 zfs calls\)$/m);
    assert.match(text, /^ {4}- destroy +nas: backup\/vm @zfsync_20261101T000000Z, @zfsync_20261102T000000Z, @zfsync_20261103T000000Z {2}\(3 snapshots: not kept by last:2; 3 zfs calls\)$/m);
    assert.match(text, /Plan: 1 to send, 0 snapshots, 0 to create, 6 to destroy, 0 conflicts\./);
    assert.match(text, /^source vms$/m);
  });

  it('a saved plan with destroys passes the plan schema and a re-plan at its time reproduces it', () => {
    const p = plan(s, state, NOW);
    const doc = parsePlanDocument(JSON.stringify(planDocument(s, p, fingerprints(s, state), NOW)), 'plan.json');
    assert.equal(doc.plan.actions.filter((a: Action) => a.kind === 'destroy').length, 2);
    assert.deepEqual(compareActions(doc.plan.actions, plan(s, state, NOW).actions, 'zfsync.yaml'), []);
  });

  it('the plan schema refuses a destroy without snapshots', () => {
    const p = plan(s, state, NOW);
    const doc = planDocument(s, p, fingerprints(s, state), NOW);
    const d = doc.plan.actions.find((a) => a.kind === 'destroy') as DestroyAction;
    d.snapshots = [];
    assert.throws(() => parsePlanDocument(JSON.stringify(doc), 'plan.json'), /snapshots/);
  });
});

describe('retention in the spec', () => {
  it('a policy that keeps nothing is a spec error at its key', () => {
    assert.throws(
      () => spec({ target: '    retention: { daily: 0 }' }),
      (e: unknown) => e instanceof SpecError && /zfsync\.yaml:14:5: targets\.bk\.retention: retention keeps nothing/.test(e.message),
    );
  });
});

describe('source retention with a snapshot this plan takes', () => {
  it('counts it as the newest (last:2 leaves two after the run) and waits for it', () => {
    const { src, tgt } = world(4, [1, 2, 3, 4]);
    const p = plan(spec({ source: '    snapshot_every: 1h\n    retention: { last: 2 }' }), stateOf(src, tgt), NOW);
    const taken = p.actions.find((a) => a.kind === 'snapshot')!;
    const [send] = sendsOf(p);
    const [d] = on(p, 'source');
    assert.deepEqual(d!.snapshots, [day(1), day(2), day(3)], 'last:2 is the new snapshot and day 4');
    assert.deepEqual(d!.dependsOn, [taken.id, send!.id]);
  });
});
