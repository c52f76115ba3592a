// Rebase groups in the spec: defaults, and the semantic checks with file:line:col.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpec } from '../../src/spec/load.js';
import { problems, yaml } from '../helpers/spec-problems.js';

const SOURCES = 'sources: { s: { datasets: [tank/src] } }';

describe('rebase groups: spec', () => {
  it('fills the defaults and is no longer refused', () => {
    const spec = parseSpec(yaml('version: 1', 'rebase:', '  g: { base: tank/base@gold, datasets: [tank/vm/*] }', SOURCES), 'zfsync.yaml');
    assert.deepEqual(spec.rebase.g, {
      name: 'g', host: 'local', base: { dataset: 'tank/base', snapshot: 'gold' }, seed: 'all', datasets: ['tank/vm/*'],
      replace: true, keepOriginals: 'suffix', suffix: '_pre_rebase', rebuildBase: false,
    });
  });

  it('refuses a member that is the base, a seed that is no member, another pool, and replace false with destroy', () => {
    assert.deepEqual(
      problems(
        'version: 1', //                                                                  1
        'rebase:', //                                                                     2
        '  a: { base: tank/vm/base@s, datasets: [tank/vm/*] }', //                        3
        '  b: { base: tank/b@s, datasets: [other/x], seed: tank/y }', //                  4
        '  c: { base: tank/c@s, datasets: [tank/c2], replace: false, keep_originals: destroy }', // 5
        '  d: { base: tank/d/inner@s, datasets: [tank/d] }', //                           6
        SOURCES,
      ),
      [
        'zfsync.yaml:3:41: rebase.a.datasets[0]: tank/vm/* names the base tank/vm/base itself; the base cannot be a member',
        'zfsync.yaml:4:35: rebase.b.datasets[0]: other/x is in pool other but the base tank/b is in tank: zfs clone needs members and base in one pool',
        'zfsync.yaml:4:51: rebase.b.seed: seed tank/y is not a member of this group (datasets: other/x); name a member or use \'all\'',
        'zfsync.yaml:5:77: rebase.c.keep_originals: keep_originals: destroy contradicts replace: false (the original is kept at its name); drop one of them',
        'zfsync.yaml:6:14: rebase.d.base: base tank/d/inner lies inside member tank/d; put the base outside its members',
      ],
    );
  });

  it('refuses overlapping groups and a base inside another group\'s members', () => {
    assert.deepEqual(
      problems(
        'version: 1', //                                                  1
        'rebase:', //                                                     2
        '  a: { base: tank/a@s, datasets: [tank/vm/*] }', //              3
        '  b: { base: tank/vm/b@s, datasets: [tank/vm/x, tank/y] }', //   4
        SOURCES,
      ),
      [
        'zfsync.yaml:4:14: rebase.b.base: base tank/vm/b lies inside tank/vm/*, a member of rebase group \'a\'; put the base outside its members',
        'zfsync.yaml:4:38: rebase.b.datasets[0]: tank/vm/x overlaps tank/vm/* of rebase group \'a\': a dataset can be rebuilt by one group only',
      ],
    );
  });

  it('accepts a seed that is a member, and groups on different hosts naming the same datasets', () => {
    parseSpec(
      yaml('version: 1', 'hosts: { nas: { ssh: { host: nas } } }', 'rebase:', '  a: { base: tank/a@s, datasets: [tank/vm/*], seed: tank/vm/one }', '  b: { host: nas, base: tank/b@s, datasets: [tank/vm/one] }', SOURCES),
      'zfsync.yaml',
    );
  });
});
