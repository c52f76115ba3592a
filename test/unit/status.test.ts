// zfsync status from a built state and a fixed clock: common snapshot, lag, pending counts,
// never replicated, conflicts on their datasets, unreachable hosts, --max-lag edges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpec } from '../../src/spec/load.js';
import { lagFailures, statusReport } from '../../src/status/report.js';
import type { DatasetStatus, StatusReport } from '../../src/status/types.js';
import type { State } from '../../src/types.js';
import { HostBuilder, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const sec = (iso: string) => Date.parse(iso) / 1000;

const SPEC = `version: 1
hosts:
  nas: { ssh: { host: nas.example.com } }
sources:
  vms:
    datasets: [tank/vm]
targets:
  bk:
    dataset: backup/pve
  off:
    host: nas
    dataset: pool/pve
replicate:
  - { from: vms, to: bk }
`;
const spec = (extra = '') => parseSpec(SPEC + extra, 'zfsync.yaml');

function row(r: StatusReport, source: string, pair = 'vms -> bk'): DatasetStatus {
  const p = r.pairs.find((x) => x.pair === pair);
  assert.ok(p, `pair ${pair}`);
  const d = p.datasets.find((x) => x.source === source);
  assert.ok(d, `dataset ${source} in ${p.datasets.map((x) => x.source).join(', ')}`);
  return d;
}

/** tank/vm replicated up to @zfsync_..0900 (of three); tank/vm/vm1 never; tank/vm/vm2 only by a manual snapshot. */
function replicatedState(): { h: HostBuilder; state: State } {
  const h = new HostBuilder('local');
  h.fs('tank/vm/vm1').fs('tank/vm/vm2').fs('backup');
  h.snap('tank/vm', 'zfsync_20261201T080000Z').snap('tank/vm', 'zfsync_20261201T090000Z').snap('tank/vm', 'manual', { creation: sec('2026-12-01T09:30:00Z') });
  h.snap('tank/vm/vm1', 'zfsync_20261201T090000Z');
  h.snap('tank/vm/vm2', 'before', { creation: sec('2026-11-29T07:00:00Z') }).snap('tank/vm/vm2', 'zfsync_20261201T110000Z');
  h.received('backup/pve/tank/vm', h, 'tank/vm', ['zfsync_20261201T080000Z', 'zfsync_20261201T090000Z']);
  h.received('backup/pve/tank/vm/vm2', h, 'tank/vm/vm2', ['before']);
  return { h, state: stateOf(h) };
}

describe('status: per dataset', () => {
  it('takes the newest common snapshot by GUID, its lag from the name, and counts pending and own/all snapshots', () => {
    const { state } = replicatedState();
    const r = statusReport(spec(), state, NOW);
    const d = row(r, 'tank/vm');
    assert.equal(d.target, 'backup/pve/tank/vm');
    assert.equal(d.common?.name, 'zfsync_20261201T090000Z');
    assert.equal(d.common?.timeFrom, 'name');
    assert.equal(d.common?.time, '2026-12-01T09:00:00Z');
    assert.equal(d.lagSeconds, 3 * 3600);
    assert.equal(d.pending, 1);
    assert.deepEqual(d.snapshots, { source: { own: 2, all: 3 }, target: { own: 2, all: 2 } });
    assert.deepEqual(d.conflicts, []);
    assert.equal(d.behind, false, 'no --max-lag: nothing is behind');
  });

  it('uses creation for a common snapshot without zfsync name, and counts everything newer as pending', () => {
    const r = statusReport(spec(), replicatedState().state, NOW);
    const d = row(r, 'tank/vm/vm2');
    assert.equal(d.common?.name, 'before');
    assert.equal(d.common?.timeFrom, 'creation');
    assert.equal(d.lagSeconds, sec('2026-12-01T12:00:00Z') - sec('2026-11-29T07:00:00Z'));
    assert.equal(d.pending, 1);
  });

  it('a dataset never replicated has no common snapshot, lag null, all its snapshots pending and an absent target', () => {
    const r = statusReport(spec(), replicatedState().state, NOW, 3600);
    const d = row(r, 'tank/vm/vm1');
    assert.equal(d.common, null);
    assert.equal(d.lagSeconds, null);
    assert.equal(d.pending, 1);
    assert.equal(d.targetExists, false);
    assert.deepEqual(d.snapshots.target, { own: 0, all: 0 });
    assert.equal(d.behind, true, 'never replicated is behind any --max-lag');
    assert.equal(r.summary.neverReplicated, 1);
  });

  it('matches by GUID, never by name: a same-named target snapshot with another GUID is no common snapshot', () => {
    const h = new HostBuilder('local');
    h.fs('tank/vm').fs('backup/pve/tank/vm');
    h.snap('tank/vm', 'zfsync_20261201T090000Z').snap('backup/pve/tank/vm', 'zfsync_20261201T090000Z');
    const r = statusReport(spec(), stateOf(h), NOW);
    const d = row(r, 'tank/vm');
    assert.equal(d.common, null);
    assert.equal(d.targetExists, true);
    assert.equal(d.conflicts.length, 1, 'the planner calls it a conflict');
    assert.match(d.conflicts[0]!.message, /shares no snapshot with tank\/vm \(matched by GUID\)/);
  });

  it('a snapshot stamped ahead of the clock has lag 0, not a negative one', () => {
    const h = new HostBuilder('local');
    h.fs('tank/vm').fs('backup');
    h.snap('tank/vm', 'zfsync_20261201T130000Z');
    h.received('backup/pve/tank/vm', h, 'tank/vm', ['zfsync_20261201T130000Z']);
    assert.equal(row(statusReport(spec(), stateOf(h), NOW), 'tank/vm').lagSeconds, 0);
  });
});

describe('status: conflicts from the planner', () => {
  it('attaches a divergence conflict to its dataset and counts it', () => {
    const { h } = replicatedState();
    h.snap('backup/pve/tank/vm', 'local-change');
    const r = statusReport(spec(), stateOf(h), NOW);
    const d = row(r, 'tank/vm');
    assert.equal(d.conflicts.length, 1);
    assert.match(d.conflicts[0]!.message, /backup\/pve\/tank\/vm has diverged: 1 snapshot after the newest common snapshot @zfsync_20261201T090000Z/);
    assert.match(d.conflicts[0]!.resolution, /on_divergence: rollback/);
    assert.equal(d.common?.name, 'zfsync_20261201T090000Z', 'the common snapshot is still known');
    assert.deepEqual(row(r, 'tank/vm/vm1').conflicts, []);
    assert.equal(r.summary.conflicts, 1);
  });

  it('puts a missing source root and a missing pool on the pair, once each', () => {
    const h = new HostBuilder('local');
    h.fs('tank/vm');
    h.snap('tank/vm', 'zfsync_20261201T090000Z');
    const s = parseSpec(SPEC.replace('datasets: [tank/vm]', 'datasets: [tank/vm, tank/gone]'), 'zfsync.yaml');
    const r = statusReport(s, stateOf(h), NOW);
    const p = r.pairs[0]!;
    assert.deepEqual(p.conflicts.map((c) => c.message).sort(), ['pool backup does not exist on local', 'source dataset tank/gone does not exist on local']);
    assert.equal(r.summary.conflicts, 2);
    assert.deepEqual(p.datasets.map((d) => d.source), ['tank/vm']);
  });
});

describe('status: hosts and pairs', () => {
  it('an unreachable target host makes its pair unknown, names the host, and fails --max-lag', () => {
    const { state } = replicatedState();
    state.unreachable = { nas: 'nas: connect ECONNREFUSED 10.0.0.9:22' };
    const r = statusReport(spec('  - { from: vms, to: off }\n'), state, NOW, 24 * 3600);
    const off = r.pairs.find((p) => p.pair === 'vms -> off')!;
    assert.deepEqual(off.unreachable, { host: 'nas', error: 'nas: connect ECONNREFUSED 10.0.0.9:22' });
    assert.deepEqual(off.datasets, []);
    assert.deepEqual(r.summary.unreachableHosts, ['nas']);
    assert.equal(r.summary.pairs, 2);
    assert.equal(r.summary.conflicts, 0, 'the unreachable host is reported as such, not as a conflict');
    const failing = lagFailures(r);
    assert.ok(failing.includes('vms -> off: host nas unreachable'), failing.join('; '));
    assert.ok(failing.includes('tank/vm/vm1 (vms -> bk, never replicated)'), failing.join('; '));
  });

  it('--max-lag: a lag equal to it is not behind, one second more is', () => {
    const { state } = replicatedState();
    const at = (maxLag: number) => row(statusReport(spec(), state, NOW, maxLag), 'tank/vm').behind;
    assert.equal(at(3 * 3600), false);
    assert.equal(at(3 * 3600 - 1), true);
    const r = statusReport(spec(), state, NOW, 3 * 3600);
    assert.equal(r.summary.behind, 2, 'tank/vm/vm2 (2d05h) and never-replicated tank/vm/vm1');
    assert.deepEqual(lagFailures(r), ['tank/vm/vm1 (vms -> bk, never replicated)', 'tank/vm/vm2 (vms -> bk, lag 2d05h)']);
  });
});
