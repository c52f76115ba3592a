import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan } from '../../src/plan/planner.js';
import { sendChain } from '../../src/plan/replicate.js';
import { describeTravel, travelFilter } from '../../src/plan/travel.js';
import { parseSpec } from '../../src/spec/load.js';
import type { Action, Plan, SendAction } from '../../src/types.js';
import { HostBuilder, OPENZFS, stateOf } from '../helpers/state-builder.js';
import { problems } from '../helpers/spec-problems.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const Z = (h: number) => `zfsync_20261122T${String(h).padStart(2, '0')}0000Z`;

function specWith(opts: { source?: string; pair?: string; target?: string } = {}) {
  return parseSpec(
    `version: 1
sources:
  vms: { datasets: [tank/vm], snapshot_every: 1d${opts.source ?? ''} }
targets:
  bk: { dataset: backup/pve${opts.target ?? ''} }
replicate:
  - { from: vms, to: bk${opts.pair ?? ''} }
`,
    'zfsync.yaml',
  );
}

const sends = (p: Plan) => p.actions.filter((a): a is SendAction => a.kind === 'send');
const byKind = <K extends Action['kind']>(p: Plan, k: K) => p.actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === k);
const shape = (s: SendAction) => `${s.mode === 'full' ? 'full' : s.intermediates ? '-I' : '-i'} ${s.from ? `@${s.from.name} ` : ''}@${s.to.name}`;

/** tank/vm with the given snapshots on the source; the target holds copies of `onTarget` (same GUIDs). */
function state(names: string[], onTarget: string[], targetOnly: string[] = []) {
  const h = new HostBuilder('local', OPENZFS);
  h.fs('tank/vm').fs('backup/pve/tank');
  for (const n of names) h.snap('tank/vm', n, { written: 100 });
  if (onTarget.length) h.received('backup/pve/tank/vm', h, 'tank/vm', onTarget);
  for (const n of targetOnly) h.snap('backup/pve/tank/vm', n);
  if (onTarget.length || targetOnly.length) h.get('backup/pve/tank/vm').written = 0;
  return stateOf(h);
}

describe('travel: which snapshots a pair replicates', () => {
  it('defaults to zfsync\'s own for a snapshotting source and to every snapshot otherwise', () => {
    const own = specWith();
    assert.deepEqual(own.replicate[0]!.snapshots, []);
    const f = travelFilter('zfsync_', own.replicate[0]!);
    assert.equal(f(Z(1)), true);
    assert.equal(f('vzdump'), false);
    const manual = parseSpec('version: 1\nsources:\n  s: { datasets: [tank/a] }\ntargets:\n  t: { dataset: bk }\nreplicate:\n  - { from: s, to: t }\n', 'z.yaml');
    assert.deepEqual(manual.replicate[0]!.snapshots, ['*']);
    assert.equal(travelFilter('zfsync_', manual.replicate[0]!)('anything'), true);
    assert.equal(describeTravel(own.snapshots.prefix, own.replicate[0]!), "zfsync's own (zfsync*)");
  });

  it('matches globs on the whole snapshot name: * any run, ? one character', () => {
    const f = travelFilter('zfsync_', { snapshots: ['autosnap_*_daily', 'before-?'] });
    assert.equal(f('autosnap_2026-11-22_00:00:01_daily'), true);
    assert.equal(f('autosnap_2026-11-22_00:00:01_hourly'), false);
    assert.equal(f('before-1'), true);
    assert.equal(f('before-12'), false);
    assert.equal(f('xbefore-1'), false);
  });

  it('refuses a pattern with @ or / at its line and column', () => {
 const found = problems('version: 1', 'sources:', '  s: { datasets: [tank/a] }', 'targets:', '  t: { dataset: bk }', 'replicate:', '  - { from: s, to: t, snapshots: ["tank/a@x"] }');
    assert.equal(found.length, 1);
    assert.match(found[0]!, /zfsync\.yaml:7:\d+: .*snapshots.*must be a snapshot name pattern/);
  });
});

describe('travel: the send chain', () => {
  const names = (list: string) => list.split(' ').map((name) => ({ name }));
  const own = (n: string) => n.startsWith('z');

  it('is one -I when nothing unwanted lies in the range', () => {
    assert.deepEqual(sendChain(names('z0 z1 z2 z3'), 0, own), [{ from: 0, to: 3, count: 3, intermediates: true, skipped: 0 }]);
  });

  it('steps over unwanted snapshots with -i and keeps -I for the runs between them', () => {
    assert.deepEqual(sendChain(names('z0 z1 v z2 z3 v v z4'), 0, own), [
      { from: 0, to: 1, count: 1, intermediates: true, skipped: 0 },
      { from: 1, to: 3, count: 1, intermediates: false, skipped: 1 },
      { from: 3, to: 4, count: 1, intermediates: true, skipped: 0 },
      { from: 4, to: 7, count: 1, intermediates: false, skipped: 2 },
    ]);
  });

  it('sends nothing past the last snapshot that travels, and nothing when none does', () => {
    assert.deepEqual(sendChain(names('z0 v v'), 0, own), []);
    assert.deepEqual(sendChain(names('v0 v1 z2'), 0, own), [{ from: 0, to: 2, count: 1, intermediates: false, skipped: 1 }]);
  });
});

describe('travel: planned sends', () => {
  it('never makes a foreign snapshot a send\'s to and steps over @vzdump', () => {
    const p = plan(specWith(), state([Z(1), 'vzdump', Z(2), Z(3)], [Z(1)]), NOW);
    assert.deepEqual(sends(p).map(shape), [`-i @${Z(1)} @${Z(2)}`, `-I @${Z(2)} @${Z(3)}`]);
    const [first, second] = sends(p);
    assert.deepEqual(second!.dependsOn, [first!.id], 'the chain runs in order');
    assert.match(first!.reason, /stepping over @vzdump \(not replicated by this pair\)/);
    assert.equal(first!.snapshotCount, 1);
  });

  it('uses one -I when the foreign snapshot is before the common base', () => {
    const p = plan(specWith(), state(['vzdump', Z(1), Z(2)], [Z(1)]), NOW);
    assert.deepEqual(sends(p).map(shape), [`-I @${Z(1)} @${Z(2)}`]);
  });

  it('replicates what replicate[].snapshots names, in the same -I', () => {
    const p = plan(specWith({ pair: ', snapshots: ["before-*"]' }), state([Z(1), 'before-upgrade', 'vzdump', Z(2)], [Z(1)]), NOW);
    assert.deepEqual(sends(p).map(shape), [`-I @${Z(1)} @before-upgrade`, `-i @before-upgrade @${Z(2)}`]);
  });

  it('sends a first full of the newest own snapshot, never of a newer foreign one', () => {
    const p = plan(specWith(), state([Z(1), Z(2), 'vzdump'], []), NOW);
    assert.deepEqual(sends(p).map(shape), [`full @${Z(2)}`]);
  });

  it('initial: all starts at the oldest own snapshot and steps over foreign ones', () => {
    const p = plan(specWith({ target: ', initial: all' }), state(['manual', Z(1), 'vzdump', Z(2), Z(3)], []), NOW);
    assert.deepEqual(sends(p).map(shape), [`full @${Z(1)}`, `-i @${Z(1)} @${Z(2)}`, `-I @${Z(2)} @${Z(3)}`]);
  });

  it('says so when none of the snapshots travels', () => {
    const p = plan(specWith({ source: ', exclude: []' }), state(['manual1', 'manual2'], []), new Date('2026-11-22T12:00:00Z'));
    // The source is due, so this plan takes zfsync's own snapshot: that one travels.
    assert.deepEqual(sends(p).map((s) => s.to.guid), [undefined]);
    const none = plan(parseSpec('version: 1\nsources:\n  s: { datasets: [tank/vm] }\ntargets:\n  t: { dataset: backup/pve }\nreplicate:\n  - { from: s, to: t, snapshots: [] }\n', 'z.yaml'), state(['manual1'], []), NOW);
    assert.equal(sends(none).length, 0);
    assert.ok(none.notes.some((n) => /tank\/vm: its only snapshot does not travel to backup\/pve\/tank\/vm .*zfsync's own \(zfsync\*\)/.test(n)), none.notes.join('\n'));
  });
});

describe('travel: target snapshots gone on the source', () => {
  it('names a snapshot that came from the source and was destroyed there, instead of divergence', () => {
    const p = plan(specWith({ pair: ', snapshots: ["vzdump*"]' }), state([Z(1), Z(2)], [Z(1)], ['vzdump']), NOW);
    const [c] = byKind(p, 'conflict');
    assert.ok(c, 'a conflict: on_divergence is refuse and the target has no retention');
    assert.doesNotMatch(c.message, /diverged/);
    assert.match(c.message, /@vzdump after the newest common snapshot @zfsync_20261122T010000Z came from tank\/vm and is gone there/);
    assert.match(c.resolution, /destroy @vzdump on the target yourself .* or set targets\.bk\.on_divergence: rollback/);
    assert.equal(sends(p).length, 0);
  });

  it('rolls zfsync\'s own snapshot away where target retention manages them, and then sends', () => {
    const p = plan(specWith({ target: ', retention: { last: 5 }' }), state([Z(1), Z(3)], [Z(1)], [Z(2)]), NOW);
    const [r] = byKind(p, 'rollback');
    assert.ok(r, 'a rollback');
    assert.deepEqual(r.destroys, [Z(2)]);
    assert.match(r.reason, /gone there .*targets\.bk\.retention manages zfsync's snapshots there/);
    assert.deepEqual(sends(p).map(shape), [`-I @${Z(1)} @${Z(3)}`]);
    assert.deepEqual(sends(p)[0]!.dependsOn, [r.id]);
  });

  it('still calls a snapshot made on the target divergence when nothing names it', () => {
    const p = plan(specWith(), state([Z(1), Z(2)], [Z(1)], ['local-change']), NOW);
    const [c] = byKind(p, 'conflict');
    assert.ok(c);
    assert.match(c.message, /has diverged: 1 snapshot after the newest common snapshot/);
  });
});

describe('travel: status', () => {
  it('counts as pending only the snapshots that travel', async () => {
    const { statusReport } = await import('../../src/status/report.js');
    const report = statusReport(specWith(), state([Z(1), 'vzdump', Z(2)], [Z(1)]), NOW, null);
    const [d] = report.pairs[0]!.datasets;
    assert.ok(d, 'one dataset');
    assert.equal(d.pending, 1);
  });
});

describe('travel: retention', () => {
  it('projects the target without the stepped-over snapshot, and prunes after the whole chain', () => {
    const p = plan(specWith({ target: ', retention: { last: 1 }' }), state([Z(1), 'vzdump', Z(2), Z(3)], [Z(1)]), NOW);
    const [d] = byKind(p, 'destroy');
    assert.ok(d, 'a target destroy');
    assert.equal(d.side, 'target');
    assert.deepEqual(d.snapshots, [Z(2)], '@vzdump never arrives; the old base is still protected');
    assert.deepEqual(d.dependsOn, sends(p).map((s) => s.id));
  });
});
