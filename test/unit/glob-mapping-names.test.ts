import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationProblem, parseDuration } from '../../src/spec/duration.js';
import { compileGlob, globPatternProblem, hasGlobChars } from '../../src/spec/glob.js';
import { isWithin, targetDatasetFor } from '../../src/spec/mapping.js';
import { closest, editDistance } from '../../src/spec/suggest.js';
import {
  datasetNameProblem,
  snapshotNameProblem,
  snapshotRefProblem,
  userPropertyProblem,
} from '../../src/zfs/names.js';

function matching(pattern: string, datasets: string[]): string[] {
  const matches = compileGlob(pattern);
  return datasets.filter(matches);
}

describe('compileGlob', () => {
  it('matches a plain dataset and everything below it, component-wise', () => {
    assert.deepEqual(
      matching('tank/vm/scratch', ['tank/vm/scratch', 'tank/vm/scratch/a', 'tank/vm/scratch2', 'tank/vm', 'tank/vm/scratc']),
      ['tank/vm/scratch', 'tank/vm/scratch/a'],
    );
  });

  it('keeps * and ? within one component', () => {
    const datasets = ['tank/vm/vm1/tmp', 'tank/vm/vm1/tmp/x', 'tank/vm/a/b/tmp', 'tank/vm/tmp', 'tank/vm/vm1/tmpfs'];
    assert.deepEqual(matching('tank/vm/*/tmp', datasets), ['tank/vm/vm1/tmp', 'tank/vm/vm1/tmp/x']);
    assert.deepEqual(matching('tank/vm/vm?', ['tank/vm/vm1', 'tank/vm/vm12', 'tank/vm/vm', 'tank/vm/vm1/a']), ['tank/vm/vm1', 'tank/vm/vm1/a']);
    assert.deepEqual(matching('tank/a?b', ['tank/a/b', 'tank/axb']), ['tank/axb']);
    assert.deepEqual(matching('tank/vm*', ['tank/vm', 'tank/vm2', 'tank/vm2/a', 'tank/v']), ['tank/vm', 'tank/vm2', 'tank/vm2/a']);
  });

  it('lets ** cross components, including none for **/', () => {
    const datasets = ['tank/cache', 'tank/a/cache', 'tank/a/b/cache/x', 'tank/cachex', 'pool/cache'];
    assert.deepEqual(matching('tank/**/cache', datasets), ['tank/cache', 'tank/a/cache', 'tank/a/b/cache/x']);
    assert.deepEqual(matching('**/cache', datasets), ['tank/cache', 'tank/a/cache', 'tank/a/b/cache/x', 'pool/cache']);
    assert.deepEqual(matching('tank/**', ['tank', 'tank/a', 'tank/a/b', 'tanker/a']), ['tank/a', 'tank/a/b']);
    assert.deepEqual(matching('tank/a**', ['tank/a', 'tank/ab/c', 'tank/b']), ['tank/a', 'tank/ab/c']);
  });

  it('takes regex metacharacters and name punctuation literally', () => {
    assert.deepEqual(matching('tank/a.b', ['tank/a.b', 'tank/aXb']), ['tank/a.b']);
    assert.deepEqual(matching('tank/my disk:1-x_y', ['tank/my disk:1-x_y/z', 'tank/my disk:1-x_yz']), ['tank/my disk:1-x_y/z']);
    assert.deepEqual(matching('tank/(a)+[b]$', ['tank/(a)+[b]$', 'tank/a']), ['tank/(a)+[b]$']);
  });

  it('tells globs from plain names and validates patterns', () => {
    assert.equal(hasGlobChars('tank/*/tmp'), true);
    assert.equal(hasGlobChars('tank/vm?'), true);
    assert.equal(hasGlobChars('tank/vm'), false);
    assert.equal(globPatternProblem('tank/*/tmp'), undefined);
    assert.equal(globPatternProblem('**'), undefined);
    assert.equal(globPatternProblem('/tank'), `pattern must not start with '/'`);
    assert.equal(globPatternProblem('tank/'), `pattern must not end with '/'`);
    assert.equal(globPatternProblem('tank//a'), 'empty component in pattern');
    assert.equal(globPatternProblem('tank/[ab]'), `invalid character '[' in pattern`);
    assert.equal(globPatternProblem(''), 'empty pattern');
  });
});

describe('targetDatasetFor', () => {
  const vm1 = 'tank/vm/vm1';
  it('appends the source name, minus strip_path leading components', () => {
    assert.equal(targetDatasetFor({ dataset: 'backup/pve1', stripPath: 0 }, vm1), 'backup/pve1/tank/vm/vm1');
    assert.equal(targetDatasetFor({ dataset: 'backup/pve1', stripPath: 1 }, vm1), 'backup/pve1/vm/vm1');
    assert.equal(targetDatasetFor({ dataset: 'backup/pve1', stripPath: 2 }, vm1), 'backup/pve1/vm1');
  });

  it('is the target dataset itself when every component is stripped', () => {
    assert.equal(targetDatasetFor({ dataset: 'backup/pve1', stripPath: 3 }, vm1), 'backup/pve1');
    assert.equal(targetDatasetFor({ dataset: 'backup', stripPath: 9 }, vm1), 'backup');
    assert.equal(targetDatasetFor({ dataset: 'backup', stripPath: 1 }, 'tank'), 'backup');
  });

  it('keeps names with spaces and punctuation intact', () => {
    assert.equal(targetDatasetFor({ dataset: 'b', stripPath: 1 }, 'tank/my vm.1:x'), 'b/my vm.1:x');
  });
});

describe('isWithin', () => {
  it('is true for the dataset itself and its descendants', () => {
    assert.equal(isWithin('tank/vm', 'tank/vm'), true);
    assert.equal(isWithin('tank/vm/a/b', 'tank/vm'), true);
    assert.equal(isWithin('tank/vm', 'tank'), true);
  });

  it('compares whole components', () => {
    assert.equal(isWithin('tank/vm2', 'tank/vm'), false);
    assert.equal(isWithin('tank', 'tank/vm'), false);
    assert.equal(isWithin('tanker', 'tank'), false);
  });
});

describe('datasetNameProblem', () => {
  it('accepts names with spaces, colons, dots, dashes and underscores', () => {
    for (const name of ['tank', 'tank/vm', 'tank/my vm', 'tank/a:b', 'tank/a.b', 'tank/.hidden', 'tank/a-b_c', 'Tank1/x', 'logs', 'pool']) {
      assert.equal(datasetNameProblem(name), undefined, name);
    }
  });

  it('refuses malformed names with a message saying why', () => {
    const cases: [string, string][] = [
      ['', 'empty dataset name'],
      ['/tank', `dataset name must not start with '/'`],
      ['tank/', `dataset name must not end with '/'`],
      ['tank//a', 'empty component in dataset name'],
      ['tank/a;b', `invalid character ';' in dataset name`],
      ['tank/a@b', `invalid character '@' in dataset name`],
      ['tank/a#b', `invalid character '#' in dataset name`],
      ['tank/a%b', `invalid character '%' in dataset name`],
      [`tank/a'b`, `invalid character ''' in dataset name`],
      ['tank/a$b', `invalid character '$' in dataset name`],
      ['tank/a\tb', `invalid character '\\t' in dataset name`],
      ['tank/é', `invalid character 'é' in dataset name`],
      ['tank/..', `component '..' is not allowed in dataset name`],
      ['tank/./a', `component '.' is not allowed in dataset name`],
      ['1tank', `pool name '1tank' must start with a letter`],
      ['mirror/a', `pool name 'mirror' is reserved`],
      ['raidz2', `pool name 'raidz2' is reserved`],
      ['draid1/x', `pool name 'draid1' is reserved`],
      ['spare', `pool name 'spare' is reserved`],
      ['log', `pool name 'log' is reserved`],
      ['c0t0d0', `pool name 'c0t0d0' looks like a disk name (c<digit>...)`],
      [`tank/${'a'.repeat(251)}`, 'dataset name is longer than 255 characters'],
    ];
    for (const [name, message] of cases) assert.equal(datasetNameProblem(name), message, name);
    assert.equal(datasetNameProblem(`tank/${'a'.repeat(250)}`), undefined);
  });
});

describe('snapshot names', () => {
  it('checks the short name', () => {
    assert.equal(snapshotNameProblem('zfsync_2024-01-01T00:00:00Z'), undefined);
    assert.equal(snapshotNameProblem('my snap.1'), undefined);
    assert.equal(snapshotNameProblem(''), 'empty snapshot name');
    assert.equal(snapshotNameProblem('a/b'), `invalid character '/' in snapshot name`);
    assert.equal(snapshotNameProblem('a@b'), `invalid character '@' in snapshot name`);
    assert.equal(snapshotNameProblem('..'), `snapshot name '..' is not allowed`);
  });

  it('checks dataset@snapshot', () => {
    assert.equal(snapshotRefProblem('tank/vm/base@gold'), undefined);
    assert.equal(snapshotRefProblem('tank/vm/base'), 'must be dataset@snapshot');
    assert.equal(snapshotRefProblem('tank/vm/base@'), 'empty snapshot name');
    assert.equal(snapshotRefProblem('tank//x@gold'), 'empty component in dataset name');
    assert.equal(snapshotRefProblem('tank@a@b'), `invalid character '@' in snapshot name`);
  });
});

describe('userPropertyProblem', () => {
  it('wants a colon and lowercase', () => {
    assert.equal(userPropertyProblem('zfsync:vms'), undefined);
    assert.equal(userPropertyProblem('com.example:back-up_1'), undefined);
    assert.equal(userPropertyProblem('vms'), `user property name must contain ':' (e.g. zfsync:vms)`);
    assert.equal(
      userPropertyProblem('Zfsync:vms'),
      `invalid character 'Z' in user property name (allowed: lowercase letters, digits, ':', '_', '-', '.')`,
    );
  });
});

describe('parseDuration', () => {
  it('reads single units and combinations', () => {
    assert.equal(parseDuration('30s'), 30);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('1d'), 86400);
    assert.equal(parseDuration('1w'), 604800);
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration('1w2d3h4m5s'), 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
    assert.equal(parseDuration('90m'), 5400);
  });

  it('refuses bare numbers, unknown units, wrong order and spaces', () => {
    for (const s of ['3600', '', 'h', '1x', '1.5h', '30m1h', '1h 30m', '1H', '-1h', '1h1h', '1234567890s']) {
      assert.equal(parseDuration(s), undefined, s);
    }
  });

  it('explains what is wrong', () => {
    assert.equal(durationProblem('1h'), undefined);
    assert.equal(
      durationProblem('3600'),
      `'3600' has no unit, so it is ambiguous; add one (s, m, h, d or w), e.g. 3600s`,
    );
    assert.equal(durationProblem('1x'), `'1x' is not a duration; use e.g. 30s, 15m, 1h, 1d, 1w or 1h30m`);
    assert.equal(durationProblem('0h'), 'must be longer than zero');
    assert.equal(durationProblem('1234567890s'), `'1234567890s' is too long (at most 9 digits per unit)`);
  });
});

describe('did-you-mean', () => {
  it('counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('dataset', 'datset'), 1);
    assert.equal(editDistance('zfs', 'zsf'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('suggests within distance 2 but not a rewrite of a short word', () => {
    assert.equal(closest('strip_paht', ['strip_path', 'dataset']), 'strip_path');
    assert.equal(closest('nas2', ['local', 'nas']), 'nas');
    assert.equal(closest('x', ['to', 'from']), undefined);
    assert.equal(closest('retension', ['receive', 'retention']), 'retention');
    assert.equal(closest('completely', ['dataset']), undefined);
  });
});
