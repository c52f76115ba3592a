// Holds and bookmarks protect each pair's base (plan/protect.ts, plan/bookmark-base.ts): where
// the hold goes, what is released and when, the tag, the notes, and retention's reasons.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionSteps } from '../../src/apply/steps.js';
import { parsePlanDocument, planDocument } from '../../src/plan/document.js';
import { plan, planWithRetention } from '../../src/plan/planner.js';
import { pairTag } from '../../src/plan/protect.js';
import { compareActions } from '../../src/plan/verify-saved.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { parseSpec } from '../../src/spec/load.js';
import { fingerprints } from '../../src/state/fingerprint.js';
import type { Capabilities, HoldAction, Plan, SendAction, Spec, State } from '../../src/types.js';
import { HostBuilder, LEGACY, OPENZFS, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-11-10T12:00:00Z');

function spec(names = { src: 'vms', tgt: 'bk', host: 'nas' }, extra = ''): Spec {
  return parseSpec(
    `version: 1
hosts:
  ${names.host}: { ssh: { host: nas.example } }
sources:
  ${names.src}: { datasets: [tank/vm], recursive: false }
targets:
  ${names.tgt}: { host: ${names.host}, dataset: backup, strip_path: 1 }
${extra}
replicate:
  - { from: ${names.src}, to: ${names.tgt} }
`,
    'zfsync.yaml',
  );
}

const holds = (p: Plan) => p.actions.filter((a): a is HoldAction => a.kind === 'hold');
const sends = (p: Plan) => p.actions.filter((a): a is SendAction => a.kind === 'send');
const argvs = (a: HoldAction, caps: Capabilities = OPENZFS) => actionSteps(a, () => ({ zfs: 'zfs', capabilities: caps })).map((s) => (s.kind === 'run' ? s.argv.join(' ') : s.kind));

function world(caps = OPENZFS, targetHost = 'nas') {
  const src = new HostBuilder('local', caps).fs('tank/vm').snap('tank/vm', 'a').snap('tank/vm', 'b');
  const tgt = new HostBuilder(targetHost, caps).fs('backup');
  return { src, tgt };
}

/** The pair's tag, as protect.ts computes it from the state. */
const tagOf = (state: State) => pairTag(state.hosts.local!.datasets.get('tank/vm')!.guid, state.hosts.nas!.datasets.get('backup')!.guid, 'backup/vm');

/** Marks `ds@name` as held by zfsync with `tags` (as the state read reports a placed hold). */
function held(h: HostBuilder, ds: string, name: string, tags: string[], userrefs = tags.length) {
  const s = h.get(ds).snapshots.find((x) => x.name === name)!;
  s.holds = tags;
  if (userrefs) s.userrefs = userrefs;
}

describe('hold moves', () => {
  it('the first send is followed by a hold of the sent snapshot on both sides and a bookmark on the source', () => {
    const { src, tgt } = world();
    const state = stateOf(src, tgt);
    const p = plan(spec(), state, NOW);
    const [send] = sends(p);
    const [h] = holds(p);
    assert.ok(h, JSON.stringify(p.actions));
    assert.equal(h.tag, tagOf(state));
    assert.match(h.tag, /^zfsync-[0-9a-f]{16}$/);
    assert.deepEqual(h.dependsOn, [send!.id]);
    assert.equal(h.meaning, 'local:tank/vm -> nas:backup/vm');
    assert.deepEqual(argvs(h), [
      'zfs bookmark tank/vm@b tank/vm#b',
      `zfs set zfsync:holds=${h.tag} zfsync:hold:${h.tag}=local:tank/vm -> nas:backup/vm tank/vm@b`,
      `zfs hold ${h.tag} tank/vm@b`,
      `zfs set zfsync:holds=${h.tag} zfsync:hold:${h.tag}=local:tank/vm -> nas:backup/vm backup/vm@b`,
      `zfs hold ${h.tag} backup/vm@b`,
    ]);
    const text = renderPlanText(p, { color: false });
    assert.match(text, /~ hold\s+tank\/vm => backup\/vm\s+\(hold @b on both sides; bookmark #b on the source, tag zfsync-[0-9a-f]{16}\)/);
    assert.match(text, /1 hold move/);
  });

  it('after the next send the hold moves: every hold is placed before the old one is released', () => {
    const { src, tgt } = world();
    tgt.received('backup/vm', src, 'tank/vm', ['a']);
    const tag = tagOf(stateOf(src, tgt));
    held(src, 'tank/vm', 'a', [tag]);
    held(tgt, 'backup/vm', 'a', [tag]);
    src.get('tank/vm').bookmarks = [{ name: 'a', guid: src.get('tank/vm').snapshots[0]!.guid, createtxg: src.get('tank/vm').snapshots[0]!.createtxg }];
    const p = plan(spec(), stateOf(src, tgt), NOW);
    const [h] = holds(p);
    assert.deepEqual(h!.dependsOn, [sends(p)[0]!.id]);
    assert.deepEqual(argvs(h!), [
      'zfs bookmark tank/vm@b tank/vm#b',
      `zfs set zfsync:holds=${tag} zfsync:hold:${tag}=local:tank/vm -> nas:backup/vm tank/vm@b`,
      `zfs hold ${tag} tank/vm@b`,
      `zfs set zfsync:holds=${tag} zfsync:hold:${tag}=local:tank/vm -> nas:backup/vm backup/vm@b`,
      `zfs hold ${tag} backup/vm@b`,
      `zfs release ${tag} tank/vm@a`,
      'zfs inherit zfsync:holds tank/vm@a',
      `zfs inherit zfsync:hold:${tag} tank/vm@a`,
      `zfs release ${tag} backup/vm@a`,
      'zfs inherit zfsync:holds backup/vm@a',
      `zfs inherit zfsync:hold:${tag} backup/vm@a`,
    ]);
    assert.match(renderPlanText(p, { color: false }), /release @a, hold @b on both sides/);
  });

  it('nothing to do once the base is held and bookmarked; a hold released by hand is re-placed', () => {
    const { src, tgt } = world();
    tgt.received('backup/vm', src, 'tank/vm', ['a', 'b']);
    const tag = tagOf(stateOf(src, tgt));
    held(src, 'tank/vm', 'b', [tag]);
    held(tgt, 'backup/vm', 'b', [tag]);
    const b = src.get('tank/vm').snapshots[1]!;
    src.get('tank/vm').bookmarks = [{ name: 'b', guid: b.guid, createtxg: b.createtxg }];
    assert.deepEqual(plan(spec(), stateOf(src, tgt), NOW).actions, []);
    // Someone ran `zfs release` on the target: the record stays, userrefs drops to 0.
    delete tgt.get('backup/vm').snapshots[1]!.userrefs;
    const [h] = holds(plan(spec(), stateOf(src, tgt), NOW));
    assert.deepEqual(h!.sides, [{ side: 'target', host: 'nas', dataset: 'backup/vm', release: [], hold: { snapshot: 'b', tags: [tag] } }]);
    assert.match(h!.reason, /hold on the newest common snapshot @b is missing/);
  });

  it('the tag survives renaming the source, target, host and pair in the spec', () => {
    const { src, tgt } = world();
    const state = stateOf(src, tgt);
    const a = holds(plan(spec(), state, NOW))[0]!;
    const renamed = stateOf(src, new HostBuilder('backup-nas', OPENZFS));
    renamed.hosts['backup-nas'] = { ...state.hosts.nas!, host: 'backup-nas' };
    const b = holds(plan(spec({ src: 'virt', tgt: 'offsite', host: 'backup-nas' }), renamed, NOW))[0]!;
    assert.equal(b.tag, a.tag);
    assert.equal(b.pair, 'virt -> offsite');
    // Another target dataset is another pair.
    assert.notEqual(pairTag('1', '2', 'backup/vm'), pairTag('1', '2', 'backup/vm2'));
  });

  it('two pairs from one source record both tags, and the second hold waits for the first', () => {
    const src = new HostBuilder('local', OPENZFS).fs('tank/vm').snap('tank/vm', 'a');
    const tgt = new HostBuilder('nas', OPENZFS).fs('backup').fs('other');
    const s = parseSpec(`version: 1
hosts:
  nas: { ssh: { host: nas.example } }
sources:
  vms: { datasets: [tank/vm], recursive: false }
targets:
  bk: { host: nas, dataset: backup, strip_path: 1 }
  bk2: { host: nas, dataset: other, strip_path: 1 }
replicate:
  - { from: vms, to: bk }
  - { from: vms, to: bk2 }
`, 'zfsync.yaml');
    const [h1, h2] = holds(plan(s, stateOf(src, tgt), NOW));
    assert.ok(h1 && h2);
    assert.notEqual(h1.tag, h2.tag);
    assert.ok(h2.dependsOn.includes(h1.id));
    assert.equal(h2.bookmark, undefined, 'one bookmark of @a is enough');
    assert.deepEqual(h2.sides.find((x) => x.side === 'source')!.hold!.tags, [h1.tag, h2.tag]);
  });

  it('a pair in conflict keeps its previous hold where it is', () => {
    const { src, tgt } = world();
    tgt.received('backup/vm', src, 'tank/vm', ['a']).snap('backup/vm', 'local-change');
    const tag = tagOf(stateOf(src, tgt));
    held(src, 'tank/vm', 'a', [tag]);
    const p = plan(spec(), stateOf(src, tgt), NOW);
    assert.ok(p.actions.some((a) => a.kind === 'conflict'));
    assert.deepEqual(holds(p), []);
  });
});

describe('where holds or bookmarks are missing', () => {
  it('legacy ZFS (zfs-fuse): no hold action, and the plan says the base is protected by retention rules only', () => {
    const { src, tgt } = world(LEGACY);
    const p = plan(spec(), stateOf(src, tgt), NOW);
    assert.deepEqual(holds(p), []);
    assert.ok(p.notes.includes('vms -> bk: the base is protected by retention rules only (local (source) has no zfs holds or bookmarks; nas (target) has no zfs holds)'), p.notes.join('\n'));
  });

  it('OpenZFS source, legacy target: the source side only, and a note naming the target', () => {
    const src = new HostBuilder('local', OPENZFS).fs('tank/vm').snap('tank/vm', 'a');
    const tgt = new HostBuilder('nas', LEGACY).fs('backup');
    const p = plan(spec(), stateOf(src, tgt), NOW);
    const [h] = holds(p);
    assert.deepEqual(h!.sides.map((s) => s.side), ['source']);
    assert.ok(p.notes.some((n) => n === 'vms -> bk: the base is partly protected by retention rules only (nas (target) has no zfs holds)'), p.notes.join('\n'));
  });
});

describe('orphaned holds', () => {
  it('a zfsync tag no pair has is named in the notes and never released', () => {
    const { src, tgt } = world();
    tgt.received('backup/vm', src, 'tank/vm', ['a', 'b']);
    const tag = tagOf(stateOf(src, tgt));
    held(src, 'tank/vm', 'a', ['zfsync-00000000deadbeef']);
    held(src, 'tank/vm', 'b', [tag]);
    held(tgt, 'backup/vm', 'b', [tag]);
    src.get('tank/vm').bookmarks = [{ name: 'b', guid: src.get('tank/vm').snapshots[1]!.guid, createtxg: 1 }];
    const p = plan(spec(), stateOf(src, tgt), NOW);
    assert.deepEqual(p.actions, []);
    assert.ok(p.notes.some((n) => n.startsWith('local: tank/vm@a keeps zfsync hold zfsync-00000000deadbeef of a pair no longer in the spec') && n.endsWith('zfs release zfsync-00000000deadbeef tank/vm@a')), p.notes.join('\n'));
  });
});

describe('incremental from a bookmark', () => {
  it('the base pruned on the source, its bookmark left: send -i ds#bm, only the newest arrives', () => {
    const src = new HostBuilder('local', OPENZFS).fs('tank/vm').snap('tank/vm', 'a').snap('tank/vm', 'b').snap('tank/vm', 'c');
    const tgt = new HostBuilder('nas', OPENZFS).fs('backup');
    tgt.received('backup/vm', src, 'tank/vm', ['a']);
    const a = src.get('tank/vm').snapshots.shift()!; // pruned on the source
    src.get('tank/vm').bookmarks = [{ name: 'a', guid: a.guid, createtxg: a.createtxg }];
    const p = plan(spec(), stateOf(src, tgt), NOW);
    const [send] = sends(p);
    assert.equal(send!.mode, 'incremental');
    assert.deepEqual(send!.from, { name: 'a', guid: a.guid, createtxg: a.createtxg, bookmark: true });
    assert.equal(send!.intermediates, false);
    assert.equal(send!.snapshotCount, 1);
    assert.equal(send!.to.name, 'c');
    const pipe = actionSteps(send!, () => ({ zfs: 'zfs', capabilities: OPENZFS })).find((s) => s.kind === 'pipe')!;
    assert.deepEqual(pipe.kind === 'pipe' && pipe.send.stages[0]!.argv, ['zfs', 'send', '-L', '-e', '-c', '-i', 'tank/vm#a', 'tank/vm@c'], 'the send flags of the pair apply to a bookmark base too');
    assert.match(renderPlanText(p, { color: false }), /@a -> @c => backup\/vm\s+\(-i, 1 snapshot/);
    assert.match(send!.reason, /bookmark #a has the same GUID/);
  });

  it('without the bookmark it is a conflict (no common snapshot), and a diverged target is a conflict too', () => {
    const src = new HostBuilder('local', OPENZFS).fs('tank/vm').snap('tank/vm', 'a').snap('tank/vm', 'b');
    const tgt = new HostBuilder('nas', OPENZFS).fs('backup');
    tgt.received('backup/vm', src, 'tank/vm', ['a']);
    const a = src.get('tank/vm').snapshots.shift()!;
    assert.match(JSON.stringify(plan(spec(), stateOf(src, tgt), NOW).actions), /shares no snapshot/);
    src.get('tank/vm').bookmarks = [{ name: 'a', guid: a.guid, createtxg: a.createtxg }];
    tgt.snap('backup/vm', 'local-change');
    const c = plan(spec(), stateOf(src, tgt), NOW).actions.find((x) => x.kind === 'conflict');
    assert.match(c && c.kind === 'conflict' ? c.message : '', /source has only as bookmark #a/);
  });
});

describe('retention and saved plans', () => {
  it('retention says whose hold keeps a snapshot', () => {
    const src = new HostBuilder('local', OPENZFS).fs('tank/vm');
    for (const n of ['zfsync_20261101T000000Z', 'zfsync_20261102T000000Z', 'zfsync_20261103T000000Z', 'zfsync_20261104T000000Z']) src.snap('tank/vm', n);
    const tgt = new HostBuilder('nas', OPENZFS).fs('backup');
    tgt.received('backup/vm', src, 'tank/vm', ['zfsync_20261104T000000Z']);
    const tag = tagOf(stateOf(src, tgt));
    held(src, 'tank/vm', 'zfsync_20261101T000000Z', [tag]);
    held(src, 'tank/vm', 'zfsync_20261102T000000Z', [], 1);
    held(src, 'tank/vm', 'zfsync_20261103T000000Z', ['zfsync-00000000deadbeef']);
    const s = parseSpec(`version: 1
hosts:
  nas: { ssh: { host: nas.example } }
sources:
  vms: { datasets: [tank/vm], recursive: false, retention: { last: 1 } }
targets:
  bk: { host: nas, dataset: backup, strip_path: 1 }
replicate:
  - { from: vms, to: bk }
`, 'zfsync.yaml');
    const { retention } = planWithRetention(s, stateOf(src, tgt), NOW);
    const why = Object.fromEntries(retention.report.find((r) => r.side === 'source')!.verdicts.map((v) => [v.name, v.why]));
    assert.deepEqual(why, {
      zfsync_20261101T000000Z: 'held by zfsync for vms -> bk',
      zfsync_20261102T000000Z: 'held',
      zfsync_20261103T000000Z: 'held by zfsync for a pair no longer in the spec (zfsync-00000000deadbeef)',
      zfsync_20261104T000000Z: 'last:1',
    });
  });

  it('a saved plan with hold moves and a bookmark send passes the schema and a re-plan reproduces it', () => {
    const src = new HostBuilder('local', OPENZFS).fs('tank/vm').snap('tank/vm', 'a').snap('tank/vm', 'b');
    const tgt = new HostBuilder('nas', OPENZFS).fs('backup');
    tgt.received('backup/vm', src, 'tank/vm', ['a']);
    const tag = tagOf(stateOf(src, tgt));
    held(tgt, 'backup/vm', 'a', [tag]);
    const a = src.get('tank/vm').snapshots.shift()!;
    src.get('tank/vm').bookmarks = [{ name: 'a', guid: a.guid, createtxg: a.createtxg }];
    const state = stateOf(src, tgt);
    const s = spec();
    const p = plan(s, state, NOW);
    assert.equal(holds(p).length, 1);
    const doc = parsePlanDocument(JSON.stringify(planDocument(s, p, fingerprints(s, state), NOW)), 'plan.json');
    assert.deepEqual(compareActions(doc.plan.actions, plan(s, state, NOW).actions, 'zfsync.yaml'), []);
    const edited = structuredClone(doc.plan.actions);
    (edited.find((x) => x.kind === 'hold') as HoldAction).tag = 'zfsync-0000000000000000';
    assert.notDeepEqual(compareActions(edited, plan(s, state, NOW).actions, 'zfsync.yaml'), []);
  });
});
