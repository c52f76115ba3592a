// The state read lists only what the spec selects and parses zfs output as it streams in.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { plan } from '../../src/plan/planner.js';
import { parseSpec } from '../../src/spec/load.js';
import { mergeRoots, rootsToRead } from '../../src/state/roots.js';
import { parseProbe } from '../../src/zfs/capabilities.js';
import { StateListingParser, parseStateOutput, stateReadCalls, stateReadScript } from '../../src/zfs/state-read.js';
import { HostBuilder, stateOf } from '../helpers/state-builder.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');
// The OpenZFS listing fixture was recorded before the state read asked for `userrefs` (holds).
const oz = { ...parseProbe(fixture('openzfs-2.1/probe.txt')), holds: false };
const fuse = parseProbe(fixture('zfs-fuse/probe.txt'));

const SPEC = `version: 1
hosts:
  nas: { ssh: { host: nas.example } }
sources:
  vms: { datasets: [tank/vm, tank/ct] }
  web: { datasets: [tank/vm/web] }
  root: { datasets: [tank], recursive: false }
targets:
  bk: { host: nas, dataset: backup/pve/copies }
  again: { dataset: tank/vm/sub/copy }
replicate:
  - { from: vms, to: bk }
  - { from: root, to: bk }
  - { from: root, to: again }
  - { from: web, to: again }
`;

describe('rootsToRead', () => {
  it('lists source roots and target roots with their ancestors, each covered root once', () => {
    const roots = rootsToRead(parseSpec(SPEC, 'zfsync.yaml'));
    assert.deepEqual(roots.get('nas'), [
      { name: 'backup', depth: 'self' },
      { name: 'backup/pve', depth: 'self' },
      { name: 'backup/pve/copies', depth: 'tree' },
    ]);
    // tank/vm/web and the target tank/vm/sub/copy lie in tank/vm's tree; tank (children) covers
    // the ancestor tank itself; tank/vm/sub is inside the tree too.
    assert.deepEqual(roots.get('local'), [
      { name: 'tank', depth: 'children' },
      { name: 'tank/ct', depth: 'tree' },
      { name: 'tank/vm', depth: 'tree' },
    ]);
  });

  it('keeps the deepest listing of a name and drops what a tree covers', () => {
    assert.deepEqual(mergeRoots([
      { name: 'a/b', depth: 'self' },
      { name: 'a/b', depth: 'tree' },
      { name: 'a/b/c', depth: 'children' },
      { name: 'a', depth: 'children' },
      { name: 'a/x/y', depth: 'self' },
    ]), [
      { name: 'a', depth: 'children' },
      { name: 'a/b', depth: 'tree' },
      { name: 'a/x/y', depth: 'self' },
    ]);
  });
});

describe('stateReadCalls and stateReadScript', () => {
  const roots = [
    { name: 'tank/vm', depth: 'tree' as const },
    { name: "it's -r; touch /tmp/x", depth: 'tree' as const },
    { name: 'tank', depth: 'children' as const },
    { name: 'backup', depth: 'self' as const },
  ];

  it('OpenZFS: one zfs list per depth; ancestors without snapshots', () => {
    const calls = stateReadCalls(oz, roots);
    assert.equal(calls.length, 3);
    assert.deepEqual(calls[0]!.slice(-3), ['-r', 'tank/vm', "it's -r; touch /tmp/x"]);
    assert.deepEqual(calls[1]!.slice(-3), ['-d', '1', 'tank']);
    assert.deepEqual(calls[2]!.slice(0, 5), ['list', '-H', '-p', '-t', 'filesystem,volume']);
    assert.equal(calls[2]!.at(-1), 'backup');
  });

  it('legacy: zfs get with the same scopes', () => {
    const calls = stateReadCalls(fuse, roots);
    assert.deepEqual(calls.map((c) => c[0]), ['get', 'get', 'get']);
    assert.deepEqual(calls[1]!.slice(3, 5), ['-d', '1']);
    assert.ok(!calls[2]!.includes('-r') && !calls[2]!.includes('-d'));
  });

  it('every name reaches zfs quoted, the zfs command arrives as "$@"', () => {
    const script = stateReadScript(stateReadCalls(oz, roots));
    assert.match(script, /\{ e=\$\("\$@" list -H -p .* -r tank\/vm 'it'\\''s -r; touch \/tmp\/x' 2>&1 >&3\); s=\$\?; \} 3>&1/);
    assert.match(script, /echo "@@status 2 \$s"\necho "@@end"\n$/);
  });
});

describe('StateListingParser', () => {
  const listing = fixture('openzfs-2.1/state-list.txt');
  const calls = stateReadCalls(oz, [{ name: 'vmtank', depth: 'tree' }]);

  it('gives the same datasets whatever the chunk boundaries (even inside a UTF-8 character)', () => {
    const expected = parseStateOutput(listing, oz);
    assert.ok(expected.size > 0);
    const stream = Buffer.from(`${listing}@@status 0 0\n@@end\n`);
    for (const size of [1, 7, 64, 4096, stream.length]) {
      const p = new StateListingParser(oz, calls);
      for (let i = 0; i < stream.length; i += size) p.push(stream.subarray(i, i + size));
      const got = p.end();
      assert.deepEqual(got.datasets, expected, `chunk size ${size}`);
      assert.deepEqual(got.errors, []);
      assert.equal(got.complete, true);
    }
    const p = new StateListingParser(oz, calls);
    p.push(Buffer.from('vmtank/ä'.repeat(2)));
    assert.equal(p.end().datasets.size, 0);
  });

  it('legacy `zfs get` output: the same whatever the chunk boundaries', () => {
    const text = fixture('zfs-fuse/state-get.txt');
    const expected = parseStateOutput(text, fuse);
    assert.ok(expected.size > 0);
    const getCalls = stateReadCalls(fuse, [{ name: 'zrecfx20427', depth: 'tree' }]);
    const stream = Buffer.from(`${text}@@status 0 0\n@@end\n`);
    for (const size of [1, 5, 64, 4096, stream.length]) {
      const p = new StateListingParser(fuse, getCalls);
      for (let i = 0; i < stream.length; i += size) p.push(stream.subarray(i, i + size));
      const got = p.end();
      assert.deepEqual(got.datasets, expected, `chunk size ${size}`);
      assert.equal(got.complete, true);
    }
  });

  it('tells a missing root from a failure', () => {
    const p = new StateListingParser(oz, calls);
    p.push("@@err 0 cannot open 'backup/with space': dataset does not exist\n@@err 0 cannot open 'nopool': dataset does not exist\n@@status 0 1\n@@end\n");
    const got = p.end();
    assert.deepEqual(got.missing, ['backup/with space', 'nopool']);
    assert.deepEqual(got.errors, []);

    const q = new StateListingParser(oz, calls);
    q.push("@@err 0 cannot open 'a': permission denied\n@@status 0 1\n@@end\n");
    assert.deepEqual(q.end().errors, ["zfs list: cannot open 'a': permission denied"]);

    const r = new StateListingParser(oz, calls);
    r.push('@@status 0 2\n@@end\n');
    assert.deepEqual(r.end().errors, ['zfs list: exit 2']);

    const cut = new StateListingParser(oz, calls);
    cut.push(listing.slice(0, 200));
    assert.equal(cut.end().complete, false, 'a read cut short is never taken for the state');
  });

  it('a dataset listed twice (parent children + child subtree) keeps its snapshots', () => {
    const p = new StateListingParser(oz, calls);
    const lines = listing.split('\n').filter(Boolean);
    const ds = lines.find((l) => !l.split('\t')[0]!.includes('@') && lines.some((s) => s.startsWith(`${l.split('\t')[0]}@`)))!;
    const name = ds.split('\t')[0]!;
    p.push(`${listing}${ds}\n@@status 0 0\n@@end\n`);
    const got = p.end().datasets.get(name)!;
    assert.deepEqual(got, parseStateOutput(listing, oz).get(name));
    assert.ok(got.snapshots.length > 0);
  });
});

describe('planner: a target pool that does not exist', () => {
  it('is one conflict naming the pool; nothing is created or sent for that pair', () => {
    const spec = parseSpec(`version: 1
sources:
  vms: { datasets: [tank/vm] }
targets:
  bk: { dataset: nopool/pve }
replicate:
  - { from: vms, to: bk }
`, 'zfsync.yaml');
    const h = new HostBuilder('local');
    h.fs('tank/vm/a').snap('tank/vm', 's1').snap('tank/vm/a', 's1');
    const p = plan(spec, stateOf(h), new Date('2026-11-22T12:00:00Z'));
    assert.deepEqual(p.actions.map((a) => a.kind), ['conflict']);
    const [c] = p.actions;
    assert.ok(c?.kind === 'conflict');
    assert.equal(c.dataset, 'nopool');
    assert.match(c.message, /pool nopool does not exist on local/);
  });
});
