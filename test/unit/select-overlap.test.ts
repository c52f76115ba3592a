import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan } from '../../src/plan/planner.js';
import { parseSpec } from '../../src/spec/load.js';
import type { ConflictAction, SnapshotAction } from '../../src/types.js';
import { HostBuilder } from '../helpers/state-builder.js';
import { problems, yaml } from '../helpers/spec-problems.js';

const NOW = new Date('2026-11-22T12:00:00Z');


describe('semantic check: two snapshotting sources selecting one dataset', () => {
  it('names both datasets entries with their positions', () => {
    assert.deepEqual(
      problems(
        'version: 1', //                                                         1
        'sources:', //                                                           2
        '  a: { datasets: [tank/home, tank/vm], snapshot_every: 1h }', //        3
        '  b: { datasets: [tank], snapshot_every: 1d }', //                      4
      ),
      [
        `zfsync.yaml:4:19: sources.b.datasets[0]: tank overlaps tank/home of source 'a' (zfsync.yaml:3:19); both take snapshots, so both would snapshot tank/home under one name: exclude it from one of them`,
      ],
    );
  });

  it('the same root twice, on separate lines', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'sources:',
        '  a:',
        '    datasets: [tank/vm]', //                                            4
        '    snapshot_every: 1h',
        '  b:',
        '    datasets:',
        '      - tank/x',
        '      - tank/vm/one', //                                                9
        '    snapshot_every: 1h',
      ),
      [`zfsync.yaml:9:9: sources.b.datasets[1]: tank/vm/one overlaps tank/vm of source 'a' (zfsync.yaml:4:16); both take snapshots, so both would snapshot tank/vm/one under one name: exclude it from one of them`],
    );
  });

  it('accepts overlaps that cannot collide', () => {
    const ok = (...lines: string[]) => parseSpec(yaml('version: 1', 'hosts: { nas: { ssh: { host: nas } } }', 'sources:', ...lines), 'zfsync.yaml');
    ok('  a: { datasets: [tank/vm], snapshot_every: 1h }', '  b: { datasets: [tank] }'); // b takes no snapshots
    ok('  a: { datasets: [tank/vm], snapshot_every: 1h }', '  b: { datasets: [tank], exclude: [tank/vm], snapshot_every: 1h }');
    ok('  a: { datasets: [tank/vm], snapshot_every: 1h }', '  b: { datasets: [tank], recursive: false, snapshot_every: 1h }');
    ok('  a: { datasets: [tank/vm], snapshot_every: 1h }', '  b: { host: nas, datasets: [tank], snapshot_every: 1h }');
  });
});

describe('planner: property sources that select one dataset', () => {
  it('plans a conflict for the later source and no snapshot from it', () => {
    const spec = parseSpec(
      yaml(
        'version: 1',
        'sources:',
        '  a: { property: "zfsync:a", snapshot_every: 1h }',
        '  b: { property: "zfsync:b", snapshot_every: 1h }',
        'targets:',
        '  ta: { dataset: backup/a }',
        'replicate:',
        '  - { from: a, to: ta }',
      ),
      'zfsync.yaml',
    );
    const h = new HostBuilder('local').fs('tank/vm/one').fs('tank/home').fs('backup').build();
    h.properties = new Map([
      ['zfsync:a', new Map([['tank/vm', 'true']])],
      ['zfsync:b', new Map([['tank', 'true'], ['tank/vm/one', 'false']])],
    ]);
    const p = plan(spec, { hosts: { local: h } }, NOW);
    const snaps = p.actions.filter((x): x is SnapshotAction => x.kind === 'snapshot');
    assert.deepEqual(snaps.map((s) => [s.source, s.datasets]), [['a', ['tank/vm', 'tank/vm/one']]]);
    const conflicts = p.actions.filter((x): x is ConflictAction => x.kind === 'conflict');
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0]!.source, 'b');
    assert.equal(conflicts[0]!.message, 'tank/vm is selected by sources a and b, which both take snapshots');

    // With b's false on tank/vm instead, they no longer meet.
    h.properties.get('zfsync:b')!.set('tank/vm', 'false');
    const q = plan(spec, { hosts: { local: h } }, NOW);
    assert.equal(q.actions.filter((x) => x.kind === 'conflict').length, 0);
    assert.deepEqual(q.actions.filter((x): x is SnapshotAction => x.kind === 'snapshot').map((s) => s.source), ['a', 'b']);
  });

  it('replicates exactly what the property selects', () => {
    const spec = parseSpec(yaml('version: 1', 'sources:', '  vms: { property: "zfsync:vms" }', 'targets:', '  bk: { dataset: backup/pve }', 'replicate:', '  - { from: vms, to: bk }'), 'zfsync.yaml');
    const b = new HostBuilder('local').fs('tank/vm/one').fs('tank/vm/two').fs('tank/home').fs('backup');
    for (const d of ['tank/vm', 'tank/vm/one', 'tank/vm/two', 'tank/home']) b.snap(d, 's1');
    const h = b.build();
    h.properties = new Map([['zfsync:vms', new Map([['tank/vm', 'true'], ['tank/vm/two', 'false']])]]);
    const q = plan(spec, { hosts: { local: h } }, NOW);
    const sent = q.actions.flatMap((x) => (x.kind === 'send' ? [x.source.dataset] : []));
    assert.deepEqual(sent, ['tank/vm', 'tank/vm/one']);
  });
});
