import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan } from '../../src/plan/planner.js';
import { selectDatasets } from '../../src/plan/select.js';
import { parseSpec } from '../../src/spec/load.js';
import { mergeRoots, propertiesToRead, rootsToRead } from '../../src/state/roots.js';
import type { HostState, SourceSpec } from '../../src/types.js';
import { StateListingParser, stateReadCalls, stateReadScript } from '../../src/zfs/state-read.js';
import { HostBuilder, LEGACY, OPENZFS, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-11-22T12:00:00Z');

const source = (extra: Partial<SourceSpec>): SourceSpec => ({ name: 'vms', host: 'local', datasets: [], recursive: true, exclude: [], ...extra });

/** A host with tank/{a/{a1,a2/deep},b/{b1},c} and the given locally set values of zfsync:vms. */
function host(set: Record<string, string>): HostState {
  const h = new HostBuilder('local').fs('tank/a/a1').fs('tank/a/a2/deep').fs('tank/b/b1').fs('tank/c').build();
  h.properties = new Map([['zfsync:vms', new Map(Object.entries(set))]]);
  return h;
}

const byProp = (set: Record<string, string>, extra: Partial<SourceSpec> = {}) => selectDatasets(source({ property: 'zfsync:vms', ...extra }), host(set));

describe('selectDatasets by property', () => {
  it('true selects the dataset and everything inheriting it', () => {
    assert.deepEqual(byProp({ 'tank/a': 'true' }).datasets, ['tank/a', 'tank/a/a1', 'tank/a/a2', 'tank/a/a2/deep']);
  });

  it('false excludes a subtree, and a descendant setting true again comes back', () => {
    assert.deepEqual(byProp({ tank: 'true', 'tank/a': 'false', 'tank/a/a2/deep': 'true' }).datasets, ['tank', 'tank/a/a2/deep', 'tank/b', 'tank/b/b1', 'tank/c']);
  });

  it('child selects the descendants of the dataset that sets it, not the dataset', () => {
    assert.deepEqual(byProp({ 'tank/a': 'child' }).datasets, ['tank/a/a1', 'tank/a/a2', 'tank/a/a2/deep']);
    // Set again on a descendant: that one is a setter too, so only what is below it.
    assert.deepEqual(byProp({ 'tank/a': 'child', 'tank/a/a2': 'child' }).datasets, ['tank/a/a1', 'tank/a/a2/deep']);
  });

  it('parent selects only the datasets that set it', () => {
    assert.deepEqual(byProp({ 'tank/a': 'parent' }).datasets, ['tank/a']);
    assert.deepEqual(byProp({ 'tank/a': 'parent', 'tank/a/a2': 'parent' }).datasets, ['tank/a', 'tank/a/a2']);
  });

  it('nothing set selects nothing; an unknown value selects nothing and is noted', () => {
    assert.deepEqual(byProp({}).datasets, []);
    const s = byProp({ 'tank/b': 'yes' });
    assert.deepEqual(s.datasets, []);
    assert.deepEqual(s.notes, ['sources.vms: tank/b has zfsync:vms=yes, which selects nothing (use true, false, child or parent)']);
  });

  it('applies exclude on top of the property', () => {
    const s = byProp({ tank: 'true' }, { exclude: ['tank/a', 'tank/*/b1'] });
    assert.deepEqual(s.datasets, ['tank', 'tank/b', 'tank/c']);
    assert.deepEqual(s.notes, []);
  });

  it('another source property does not count', () => {
    const h = host({ tank: 'true' });
    assert.deepEqual(selectDatasets(source({ property: 'zfsync:other' }), h).datasets, []);
  });
});

describe('property selection and targets on the same host', () => {
  it('never selects the copies a target receives, even where they inherit the property', () => {
    const spec = parseSpec(
      ['version: 1', 'sources:', '  all: { property: "zfsync:all", snapshot_every: 1h }', 'targets:', '  bk: { dataset: tank/backup }', 'replicate:', '  - { from: all, to: bk }', ''].join('\n'),
      'zfsync.yaml',
    );
    const b = new HostBuilder('local').fs('tank/vm').fs('tank/backup/tank/vm');
    b.snap('tank/vm', 's1');
    const h = b.build();
    h.properties = new Map([['zfsync:all', new Map([['tank', 'true']])]]);
    const p = plan(spec, { hosts: { local: h } }, NOW);
    const snap = p.actions.find((a) => a.kind === 'snapshot');
    assert.ok(snap && snap.kind === 'snapshot');
    assert.deepEqual(snap.datasets, ['tank', 'tank/vm']);
    assert.ok(p.notes.includes('sources.all: skips tank/backup and what is below it: a target receives there'), p.notes.join('\n'));
    const sent = p.actions.flatMap((a) => (a.kind === 'send' ? [a.source.dataset] : []));
    assert.ok(!sent.some((d) => d.startsWith('tank/backup')), sent.join(' '));
    assert.ok(!p.actions.some((a) => a.kind === 'conflict' && a.dataset.startsWith('tank/backup/tank/backup')));
  });
});

describe('selectDatasets: an exclude that matches nothing', () => {
  it('is a note naming the source, the index, the pattern and the host', () => {
    const s = selectDatasets(source({ datasets: ['tank/a'], exclude: ['tank/a/a1', 'tank/a/scrach', 'tank/*/nope'] }), host({}));
    assert.deepEqual(s.datasets, ['tank/a', 'tank/a/a2', 'tank/a/a2/deep']);
    assert.deepEqual(s.notes, [
      `sources.vms.exclude[1] 'tank/a/scrach' matches no dataset on local`,
      `sources.vms.exclude[2] 'tank/*/nope' matches no dataset on local`,
    ]);
  });

  it('reaches the plan notes', () => {
    const spec = parseSpec(
      ['version: 1', 'sources:', '  vms: { datasets: [tank/vm], exclude: [tank/vm/scrach] }', 'targets:', '  bk: { dataset: backup/vm }', 'replicate:', '  - { from: vms, to: bk }', ''].join('\n'),
      'zfsync.yaml',
    );
    const h = new HostBuilder('local').fs('tank/vm/scratch').fs('backup');
    h.snap('tank/vm', 's1').snap('tank/vm/scratch', 's1');
    const p = plan(spec, stateOf(h), NOW);
    assert.ok(p.notes.includes(`sources.vms.exclude[0] 'tank/vm/scrach' matches no dataset on local`), p.notes.join('\n'));
  });
});

describe('state read for property sources', () => {
  const SPEC = [
    'version: 1',
    'hosts: { nas: { ssh: { host: nas.example } } }',
    'sources:',
    '  vms: { property: "zfsync:vms" }',
    '  db: { property: "zfsync:db", snapshot_every: 1h }',
    '  home: { datasets: [tank/home] }',
    '  remote: { host: nas, datasets: [pool/x] }',
    'targets:',
    '  bk: { dataset: backup/copy }',
    'replicate:',
    '  - { from: vms, to: bk }',
    '',
  ].join('\n');

  it('lists every dataset of the host once, and gets the properties where they are set', () => {
    const spec = parseSpec(SPEC, 'zfsync.yaml');
    assert.deepEqual(rootsToRead(spec).get('local'), [{ name: '', depth: 'tree' }]);
    assert.deepEqual(rootsToRead(spec).get('nas'), [{ name: 'pool/x', depth: 'tree' }]);
    assert.deepEqual(propertiesToRead(spec), new Map([['local', ['zfsync:db', 'zfsync:vms']]]));
    assert.deepEqual(mergeRoots([{ name: 'tank', depth: 'self' }, { name: '', depth: 'tree' }, { name: 'b/c', depth: 'children' }]), [{ name: '', depth: 'tree' }]);
    const calls = stateReadCalls(OPENZFS, rootsToRead(spec).get('local')!, propertiesToRead(spec).get('local'));
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.at(-1), '-r', 'the listing names no dataset: all of them');
    assert.deepEqual(calls[1], ['get', '-H', '-s', 'local', '-r', '-o', 'name,property,value', 'zfsync:db,zfsync:vms']);
    assert.equal(stateReadCalls(LEGACY, [{ name: 'tank', depth: 'tree' }]).length, 1, 'no property call without property sources');
  });

  it('parses the property call apart from the listing, dropping snapshots', () => {
    const calls = stateReadCalls(OPENZFS, [{ name: '', depth: 'tree' }], ['zfsync:vms']);
    assert.match(stateReadScript(calls), /@@status 1/);
    const p = new StateListingParser(OPENZFS, calls);
    const cols = (name: string, type: string) => [name, type, '123', '5', '1700000000', '-', '1000', '0', '-', '-'].join('\t');
    p.push(`${cols('tank', 'filesystem')}\n${cols('tank/a', 'filesystem')}\n@@status 0 0\n`);
    p.push('tank/a\tzfsync:vms\ttrue\ntank/a@s1\tzfsync:vms\tfalse\ntank/b\tzfsync:vms\tchi');
    p.push('ld\n@@status 1 0\n@@end\n');
    const l = p.end();
    assert.deepEqual([...l.datasets.keys()], ['tank', 'tank/a']);
    assert.deepEqual(l.properties, new Map([['zfsync:vms', new Map([['tank/a', 'true'], ['tank/b', 'child']])]]));
    assert.deepEqual(l.errors, []);
    assert.equal(l.complete, true);
  });
});
