import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpec } from '../../src/spec/load.js';
import { problems, yaml } from '../helpers/spec-problems.js';



function accepts(...lines: string[]): void {
  parseSpec(yaml(...lines), 'zfsync.yaml');
}

describe('semantic checks: references', () => {
  it('refuses a host that is neither local nor defined, suggesting a close one', () => {
    assert.deepEqual(
      problems(
        'version: 1', //                                      1
        'hosts:', //                                          2
        '  nas: { ssh: { host: nas.example.com } }', //       3
        'sources:', //                                        4
        '  vms: { host: nas2, datasets: [tank/vm] }', //      5
        'targets:', //                                        6
        '  t: { host: elsewhere, dataset: backup }', //       7
        'rebase:', //                                         8
        '  g: { host: lcal, base: tank/b@s, datasets: [tank/c] }', // 9
      ),
      [
        `zfsync.yaml:5:16: sources.vms.host: unknown host 'nas2'; did you mean 'nas'?`,
        `zfsync.yaml:7:14: targets.t.host: unknown host 'elsewhere'`,
        `zfsync.yaml:9:14: rebase.g.host: unknown host 'lcal'; did you mean 'local'?`,
      ],
    );
  });

  it('refuses replicate entries naming an unknown source or target', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'sources:',
        '  vms: { datasets: [tank/vm] }',
        'targets:',
        '  offsite: { dataset: backup }',
        'replicate:',
        '  - { from: vms, to: offsite }',
        '  - { from: vm, to: ofsite }',
        '  - { from: other, to: nowhere }',
      ),
      [
        `zfsync.yaml:8:13: replicate[1].from: unknown source 'vm'; did you mean 'vms'?`,
        `zfsync.yaml:8:21: replicate[1].to: unknown target 'ofsite'; did you mean 'offsite'?`,
        `zfsync.yaml:9:13: replicate[2].from: unknown source 'other'`,
        `zfsync.yaml:9:24: replicate[2].to: unknown target 'nowhere'`,
      ],
    );
  });

  it('refuses the same pair twice', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'sources:',
        '  vms: { datasets: [tank/vm] }',
        'targets:',
        '  offsite: { dataset: backup }',
        'replicate:',
        '  - { from: vms, to: offsite }',
        '  - from: vms',
        '    to: offsite',
      ),
      ['zfsync.yaml:8:5: replicate[1]: duplicate of replicate[0] (vms -> offsite)'],
    );
  });
});

describe('semantic checks: sources', () => {
  it('wants exactly one of datasets and property', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'sources:',
        '  both:',
        '    datasets: [tank/vm]',
        '    property: zfsync:vms',
        '  neither:',
        '    snapshot_every: 1h',
      ),
      [
        `zfsync.yaml:5:5: sources.both.property: give either 'datasets' or 'property', not both`,
        `zfsync.yaml:6:3: sources.neither: missing required key 'datasets' (or 'property')`,
      ],
    );
  });

  it('refuses an exclude outside every root, but not a glob', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'sources:',
        '  vms:',
        '    datasets: [tank/vm, tank/ct]',
        '    exclude: [tank/vm/scratch, tank/vms/tmp, tank, "tnak/*/tmp", "**/cache"]',
      ),
      [
        `zfsync.yaml:5:32: sources.vms.exclude[1]: 'tank/vms/tmp' is not inside any of this source's datasets (tank/vm, tank/ct)`,
        `zfsync.yaml:5:46: sources.vms.exclude[2]: 'tank' is not inside any of this source's datasets (tank/vm, tank/ct)`,
      ],
    );
  });

  it('refuses a root inside another root of a recursive source', () => {
    assert.deepEqual(
      problems('version: 1', 'sources:', '  vms:', '    datasets: [tank/vm/a, tank/vm, tank/vm2]'),
      ['zfsync.yaml:4:16: sources.vms.datasets[0]: tank/vm/a lies inside tank/vm, which already includes it; list only tank/vm'],
    );
    accepts('version: 1', 'sources:', '  vms:', '    datasets: [tank/vm/a, tank/vm]', '    recursive: false');
  });
});

describe('semantic checks: a target inside its own source', () => {
  const base = (source: string[], target: string) => [
    'version: 1', //                       1
    'hosts:', //                           2
    '  nas: { ssh: { host: nas } }', //    3
    'sources:', //                         4
    '  vms:', //                           5
    ...source, //                          6...
    'targets:',
    `  offsite: ${target}`,
    'replicate:',
    '  - { from: vms, to: offsite }',
  ];

  it('refuses a target dataset the source selects', () => {
    assert.deepEqual(problems(...base(['    datasets: [tank]'], '{ dataset: tank/backup }')), [
      `zfsync.yaml:8:23: targets.offsite.dataset: target 'offsite' (tank/backup) lies inside source 'vms' (tank), which would replicate its own copies; exclude it or move the target`,
    ]);
  });

  it('refuses a target equal to a root of a non-recursive source', () => {
    assert.deepEqual(problems(...base(['    datasets: [tank/vm]', '    recursive: false'], '{ dataset: tank/vm }')), [
      `zfsync.yaml:9:23: targets.offsite.dataset: target 'offsite' (tank/vm) lies inside source 'vms' (tank/vm), which would replicate its own copies; exclude it or move the target`,
    ]);
  });

  it('refuses a strip_path that puts the copies back into the source', () => {
    assert.deepEqual(problems(...base(['    datasets: [tank/vm]'], '{ dataset: tank, strip_path: 1 }')), [
      `zfsync.yaml:8:23: targets.offsite.dataset: target 'offsite' would put the copy of tank/vm at tank/vm, inside source 'vms' itself; change strip_path or move the target`,
    ]);
  });

  it('accepts the target when it is excluded, not selected, or on another host', () => {
    accepts(...base(['    datasets: [tank]', '    exclude: [tank/backup]'], '{ dataset: tank/backup/pve1 }'));
    accepts(...base(['    datasets: [tank]', '    exclude: ["tank/back*"]'], '{ dataset: tank/backup }'));
    accepts(...base(['    datasets: [tank/vm]', '    recursive: false'], '{ dataset: tank/vm/backup }'));
    accepts(...base(['    datasets: [tank/vm]'], '{ dataset: tank }'));
    accepts(...base(['    datasets: [tank]'], '{ host: nas, dataset: tank/backup }'));
  });
});

describe('semantic checks: where pairs write', () => {
  it('refuses two pairs writing under the same target dataset', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'sources:',
        '  all: { datasets: [tank] }',
        '  vms: { datasets: [tank/vm] }',
        'targets:',
        '  a: { dataset: backup }',
        '  b: { dataset: backup/tank, strip_path: 1 }',
        'replicate:',
        '  - { from: all, to: a }',
        '  - { from: vms, to: b }',
      ),
      [`zfsync.yaml:10:5: replicate[1]: pairs 'all -> a' and 'vms -> b' both write under backup/tank/vm`],
    );
  });

  it('refuses one source sent to two targets with the same dataset', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'sources:',
        '  vms: { datasets: [tank/vm] }',
        'targets:',
        '  a: { dataset: backup }',
        '  b: { dataset: backup }',
        'replicate:',
        '  - { from: vms, to: a }',
        '  - { from: vms, to: b }',
      ),
      [`zfsync.yaml:9:5: replicate[1]: pairs 'vms -> a' and 'vms -> b' both write under backup/tank/vm`],
    );
  });

  it('accepts pairs that write to other hosts, disjoint datasets, or below a non-recursive root', () => {
    accepts(
      'version: 1',
      'hosts:',
      '  nas: { ssh: { host: nas } }',
      'sources:',
      '  root: { datasets: [tank], recursive: false, snapshot_every: 1d }',
      '  vms: { datasets: [tank/vm], snapshot_every: 1h }',
      '  home: { datasets: [tank/home] }',
      'targets:',
      '  local: { dataset: backup }',
      '  remote: { host: nas, dataset: backup }',
      'replicate:',
      '  - { from: root, to: local }',
      '  - { from: vms, to: local }',
      '  - { from: home, to: local }',
      '  - { from: vms, to: remote }',
    );
  });

  it('refuses two roots of one source landing on the same target dataset', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'sources:',
        '  data: { datasets: [tank/data, fast/data, tank/x] }',
        'targets:',
        '  t: { dataset: backup, strip_path: 1 }',
        'replicate:',
        '  - { from: data, to: t }',
      ),
      [`zfsync.yaml:7:5: replicate[0]: tank/data and fast/data both map to backup/data on target 't' (strip_path 1)`],
    );
  });

  it('refuses a strip_path that folds a recursive root onto the target dataset', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'sources:',
        '  vms: { datasets: [tank/vm] }',
        'targets:',
        '  t: { dataset: backup/vm, strip_path: 3 }',
        'replicate:',
        '  - { from: vms, to: t }',
      ),
      [
        `zfsync.yaml:7:5: replicate[0]: target 't' strips 3 components but tank/vm has only 2; the datasets below it would all land on backup/vm`,
      ],
    );
    accepts(
      'version: 1',
      'sources:',
      '  vms: { datasets: [tank/vm] }',
      'targets:',
      '  t: { dataset: backup/vm, strip_path: 2 }',
      'replicate:',
      '  - { from: vms, to: t }',
    );
  });
});

describe('semantic checks: reporting', () => {
  it('reports every semantic problem at once, in file order', () => {
    assert.deepEqual(
      problems(
        'version: 1',
        'replicate:',
        '  - { from: nope, to: t }',
        'sources:',
        '  vms: { host: x, datasets: [tank/vm], exclude: [pool/x] }',
        'targets:',
        '  t: { dataset: backup }',
      ),
      [
        `zfsync.yaml:3:13: replicate[0].from: unknown source 'nope'`,
        `zfsync.yaml:5:16: sources.vms.host: unknown host 'x'`,
        `zfsync.yaml:5:50: sources.vms.exclude[0]: 'pool/x' is not inside any of this source's datasets (tank/vm)`,
      ],
    );
  });
});
