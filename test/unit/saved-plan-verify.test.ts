import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlanFileError, StalePlanError } from '../../src/errors.js';
import { parsePlanDocument, planDocument, versionParts } from '../../src/plan/document.js';
import { plan } from '../../src/plan/planner.js';
import { compareActions, sameSpecFile, verifySavedPlan } from '../../src/plan/verify-saved.js';
import { escapeControl } from '../../src/render/escape.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { parseSpec } from '../../src/spec/load.js';
import { describeChangedFingerprints, fingerprints } from '../../src/state/fingerprint.js';
import type { PlanDocument, SendAction, State } from '../../src/types.js';
import { VERSION } from '../../src/version.js';
import { HostBuilder, stateOf } from '../helpers/state-builder.js';

const T0 = new Date('2026-11-22T10:00:00Z');
const LATER = new Date('2026-11-22T10:05:00Z');

const spec = parseSpec(
  `version: 1
sources:
  vms: { datasets: [tank/vm], snapshot_every: 1h }
targets:
  bk: { dataset: backup/pve }
replicate:
  - { from: vms, to: bk }
`,
  'zfsync.yaml',
);

function world(): State {
  const h = new HostBuilder('local');
  h.fs('tank/vm/one').fs('backup');
  h.snap('tank/vm', 's1', { referenced: 1000 }).snap('tank/vm/one', 's1', { referenced: 5000 });
  return stateOf(h);
}

/** A saved plan as `plan --out` writes it: through JSON. */
function saved(state: State, now = T0): PlanDocument {
  const doc = planDocument(spec, plan(spec, state, now), fingerprints(spec, state), now);
  return parsePlanDocument(JSON.stringify(doc), 'plan.json');
}

const check = (doc: PlanDocument, state: State, now = LATER) =>
  verifySavedPlan({ saved: doc, file: 'plan.json', spec, state, now, freshPlan: async () => plan(spec, state, now) });

const sendTo = (doc: PlanDocument, target: string) => doc.plan.actions.find((a): a is SendAction => a.kind === 'send' && a.target.dataset === target)!;

describe('verifySavedPlan', () => {
  it('returns the plan as planned at its own time, with the saved sizes', async () => {
    const state = world();
    const doc = saved(state);
    sendTo(doc, 'backup/pve/tank/vm/one').bytes = 4242;
    sendTo(doc, 'backup/pve/tank/vm/one').bytesFrom = 'dry-run';
    const run = await check(doc, state);
    assert.deepEqual(run.actions.map((a) => a.id), doc.plan.actions.map((a) => a.id));
    const one = run.actions.find((a): a is SendAction => a.kind === 'send' && a.target.dataset === 'backup/pve/tank/vm/one')!;
    assert.equal(one.bytes, 4242);
    assert.equal(one.bytesFrom, 'dry-run');
    const snap = run.actions.find((a) => a.kind === 'snapshot');
    assert.equal(snap?.kind === 'snapshot' && snap.snapshot, 'zfsync_20261122T100000Z', 'planned at createdAt, not now');
  });

  it('refuses every edit of what runs, naming the action and the field', async () => {
    const state = world();
    const edits: [string, (d: PlanDocument) => void, RegExp][] = [
      ['readonly', (d) => (sendTo(d, 'backup/pve/tank/vm').receive.readonly = false), /a\d send full local: tank\/vm @zfsync_20261122T100000Z => backup\/pve\/tank\/vm: receive\.readonly differs/],
      ['force', (d) => (sendTo(d, 'backup/pve/tank/vm').receive.force = true), /receive\.force differs/],
      ['placeholder', (d) => (sendTo(d, 'backup/pve/tank/vm').receive.placeholder = 'existing'), /receive\.placeholder differs/],
      ['target', (d) => (sendTo(d, 'backup/pve/tank/vm/one').target.dataset = 'backup/elsewhere'), /=> backup\/elsewhere: target\.dataset differs/],
      ['deps', (d) => (sendTo(d, 'backup/pve/tank/vm/one').dependsOn = []), /dependsOn differs/],
      ['reason', (d) => (d.plan.actions[0]!.reason = 'x'), /a1 snapshot local: @zfsync_20261122T100000Z: reason differs/],
      ['unknown field', (d) => ((sendTo(d, 'backup/pve/tank/vm') as unknown as Record<string, unknown>).force = true), /send full .*: force differs/],
      ['added', (d) => d.plan.actions.unshift({ id: 'a9', kind: 'rollback', host: 'local', dataset: 'tank/vm', to: { name: 's1' }, destroys: ['s2'], reason: 'r', dependsOn: [] }), /a9 rollback local: tank\/vm@s1: zfsync\.yaml and the state call for no such action/],
      ['removed', (d) => d.plan.actions.pop(), /missing from the plan/],
    ];
    for (const [what, edit, message] of edits) {
      const doc = saved(state);
      edit(doc);
      await assert.rejects(check(doc, state), (e: unknown) => {
        assert.ok(e instanceof StalePlanError, what);
        assert.match(`${e.message}\n${e.diff}`, message, what);
        assert.match(e.message, /saved plan plan\.json is not the plan zfsync\.yaml and the current state give .*nothing was applied/, what);
        return true;
      });
    }
  });

  it('refuses a plan from another spec file by name, and a changed spec or state as stale', async () => {
    const state = world();
    const other = { ...saved(state), spec: { file: 'ci/other.yaml', hash: 'a'.repeat(64) } };
    await assert.rejects(check(other, state), (e: unknown) => e instanceof PlanFileError && /^this plan was made from ci\/other\.yaml \(sha256 aaaaaaaaaaaa\), not zfsync\.yaml \(sha256 [0-9a-f]{12}\)/.test(e.message));
    const changed = { ...saved(state), spec: { file: '/builds/x/zfsync.yaml', hash: 'b'.repeat(64) } };
    await assert.rejects(check(changed, state), /saved plan is stale: the spec zfsync\.yaml changed since the plan was made/);

    const doc = saved(state);
    const moved = structuredClone(state);
    const h = moved.hosts.local!;
    h.datasets.get('tank/vm/one')!.snapshots.push({ name: 'manual', guid: '77', createtxg: 999, creation: 1 });
    await assert.rejects(check(doc, moved), /1 dataset\(s\) changed since the plan was made: local:tank\/vm\/one \(its snapshots, guid or receive state changed\)/);
  });

  it('refuses a plan claiming a time in the future, and one of another minor version', async () => {
    const state = world();
    const future = saved(state, new Date('2026-11-22T11:00:00Z'));
    await assert.rejects(check(future, state), /says it was made at 2026-11-22T11:00:00\.000Z, later than now/);
    const [major, minor] = versionParts(VERSION)!;
    const old = { ...saved(state), zfsync: `${major}.${minor + 1}.0` };
    // (a newer one never gets this far: reading refuses it)
    assert.throws(() => parsePlanDocument(JSON.stringify(old), 'plan.json'), /plan\.json was made by zfsync \S+, which is newer than this zfsync/);
    const olderVersion = minor > 0 ? `${major}.${minor - 1}.0` : `${major - 1}.0.0`;
    const older = { ...saved(state), zfsync: olderVersion };
    await assert.rejects(check(older, state), new RegExp(`made by zfsync ${olderVersion.replace(/\./g, '\\.')}; this zfsync \\S+ applies plans made by ${major}\\.${minor}\\.x only`));
  });
});

describe('compareActions', () => {
  it('ignores size estimates and the texts of conflicts, nothing else', () => {
    const state = world();
    const a = plan(spec, state, T0).actions;
    const b = structuredClone(a);
    for (const x of b) if (x.kind === 'send') Object.assign(x, { bytes: 1, bytesFrom: 'dry-run' });
    assert.deepEqual(compareActions(a, b, 'zfsync.yaml'), []);
    const reordered = [b[1]!, b[0]!, ...b.slice(2)];
    assert.match(compareActions(reordered, a, 'zfsync.yaml')[0]!.headline, /in another order/);
  });
});

describe('sameSpecFile', () => {
  it('one file however the path is spelled; another file by any other name', () => {
    assert.equal(sameSpecFile('zfsync.yaml', '/builds/x/zfsync.yaml'), true);
    assert.equal(sameSpecFile('./deploy/zfsync.yaml', 'deploy/zfsync.yaml'), true);
    assert.equal(sameSpecFile('a/zfsync.yaml', 'b/zfsync.yaml'), false);
    assert.equal(sameSpecFile('other.yaml', 'zfsync.yaml'), false);
  });
});

describe('describeChangedFingerprints', () => {
  it('names datasets and how they moved; a selection only when no dataset says it', () => {
    const before = { local: { 'a/x': '1', 'a/y': 'absent', 'a/z': '3', 'selection of source s': 'q' } };
    const after = { local: { 'a/x': '2', 'a/y': '5', 'a/z': 'absent', 'a/w': '9', 'selection of source s': 'r' } };
    assert.deepEqual(describeChangedFingerprints(before, after), [
      'local:a/w (not looked at by the plan)',
      'local:a/x (its snapshots, guid or receive state changed)',
      'local:a/y (appeared)',
      'local:a/z (disappeared)',
    ]);
    assert.deepEqual(describeChangedFingerprints({ h: { 'selection of source s': 'q' } }, { h: { 'selection of source s': 'r' } }), ['source s on h selects other datasets']);
  });
});

describe('escaping', () => {
  it('control characters and bidi overrides are shown, never interpreted', () => {
    assert.equal(escapeControl('a\u001b[31mb\nc\td\r\u0000\u009b\u202eZ'), 'a\\x1b[31mb\\nc\\td\\r\\x00\\x9b\\u202eZ');
    assert.equal(escapeControl('tank/vm one:x.y'), 'tank/vm one:x.y');
  });

  it('every text of a rendered plan is escaped, and the summary is counted from the actions', () => {
    const p = plan(spec, world(), T0);
    const evil = structuredClone(p);
    evil.actions[0]!.reason = 'ok\u001b[2K\nPlan: 0 to send.';
    evil.notes.push('note\u0007');
    evil.summary.sends = 42;
    const text = renderPlanText(evil, { color: false });
    assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(text), text);
    assert.match(text, /ok\\x1b\[2K\\nPlan: 0 to send\./);
    assert.match(text, /note\\x07/);
    assert.match(text, /^Plan: 2 to send, 1 snapshot, 2 to create/m);
  });
});
