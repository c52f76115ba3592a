// Rebase groups in the planner, on hand-built states: member resolution, a fresh group, a
// finished one, every half-done state an interrupted apply leaves, and every conflict.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpec } from '../../src/spec/load.js';
import { plan } from '../../src/plan/planner.js';
import { parsePlanDocument, planDocument } from '../../src/plan/document.js';
import { compareActions } from '../../src/plan/verify-saved.js';
import { fingerprints } from '../../src/state/fingerprint.js';
import { resolveMembers } from '../../src/rebase/members.js';
import { planRebase } from '../../src/rebase/plan.js';
import { BASE_PROPERTY, REBUILD_PROPERTY } from '../../src/rebase/names.js';
import type { Action, BaseAction, ConflictAction, RebuildAction, State } from '../../src/types.js';
import { HostBuilder, LEGACY, OPENZFS, stateOf } from '../helpers/state-builder.js';
import { yaml } from '../helpers/spec-problems.js';

/** Any draft's fields, for reading them in assertions. */
type Loose = Omit<Partial<RebuildAction>, 'kind'> & Omit<Partial<BaseAction>, 'kind'> & Omit<Partial<ConflictAction>, 'kind'> & { kind: string; after: number[] };

const NOW = new Date('2026-12-01T10:00:00Z');
const STAMP = '20261201T100000Z';

function specOf(group = '{ base: tank/base@gold, datasets: ["tank/vm/*"] }', extra: string[] = []) {
  return parseSpec(yaml('version: 1', 'sources: { s: { datasets: [tank/src] } }', ...extra, 'rebase:', `  g: ${group}`), 'zfsync.yaml');
}

/** Three plain members, mounted; `tank/src` for the spec's source. */
function host(caps = LEGACY): HostBuilder {
  return new HostBuilder('local', caps).fs('tank/src').fs('tank/vm/a', { mounted: true, referenced: 3 << 20 }).fs('tank/vm/b', { mounted: true, referenced: 4 << 20 }).fs('tank/vm/c', { mounted: false, referenced: 2 << 20 });
}

function withMarkers(h: HostBuilder, markers: Record<string, string>, base?: string): State {
  const state = stateOf(h);
  const hs = state.hosts.local!;
  hs.properties = new Map([
    [REBUILD_PROPERTY, new Map(Object.entries(markers))],
    [BASE_PROPERTY, new Map(base ? [[base, 'g']] : [])],
  ]);
  return state;
}

/** A ready base: tank/base@gold, made by zfsync. */
const withBase = (h: HostBuilder) => h.fs('tank/base').snap('tank/base', 'gold');
const rebuilds = (actions: readonly Action[]) => actions.filter((a): a is RebuildAction => a.kind === 'rebuild');
const conflicts = (actions: readonly Action[]) => actions.filter((a): a is ConflictAction => a.kind === 'conflict');

describe('rebase: members', () => {
  it('globs match within one component, never the base, `<name><suffix>` or zfsync\'s temporaries; a half-rebuilt member is found by its clone', () => {
    const h = host().fs('tank/vm/a_pre_rebase').fs('tank/vm/b.zfsync-rebase-src').fs('tank/vm/d.zfsync-rebase-new').fs('tank/vm/a/child');
    const spec = specOf();
    assert.deepEqual(resolveMembers(spec.rebase.g!, h.build(), 'zfsync'), ['tank/vm/a', 'tank/vm/b', 'tank/vm/c', 'tank/vm/d']);
    const literal = specOf('{ base: tank/base@gold, datasets: [tank/vm/a, tank/vm/zz] }');
    assert.deepEqual(resolveMembers(literal.rebase.g!, h.build(), 'zfsync'), ['tank/vm/a', 'tank/vm/zz']);
  });
});

describe('rebase: planning a group', () => {
  it('a fresh group: + create base from every member, then -/+ rebuild each, after the base; the space now and the estimate after', () => {
    const spec = specOf();
    const r = planRebase(spec, withMarkers(host(), {}), NOW);
    const [base, ...rest] = r.drafts;
    assert.equal(base?.kind, 'base');
    const b = base as unknown as Loose;
    assert.deepEqual([b.dataset, b.snapshot, b.seeds, b.seedSnapshot, b.previous, b.discard], ['tank/base', 'gold', ['tank/vm/a', 'tank/vm/b', 'tank/vm/c'], `zfsync_rebase_seed_${STAMP}`, undefined, []]);
    assert.deepEqual(rest.map((d) => [d.kind, (d as unknown as Loose).dataset, (d as unknown as Loose).stage, d.after]), [
      ['rebuild', 'tank/vm/a', 'start', [0]],
      ['rebuild', 'tank/vm/b', 'start', [0]],
      ['rebuild', 'tank/vm/c', 'start', [0]],
    ]);
    const a = rest[0] as unknown as Loose;
    assert.equal(a.snapshot, `zfsync_rebase_${STAMP}`);
    assert.equal(a.reason, 'not a clone (no origin), so it shares no blocks with tank/base@gold');
    assert.deepEqual([a.mount, a.unmount, (rest[2] as unknown as Loose).mount], [true, true, false]);
    assert.deepEqual([...r.rebuilding.get('local')!], ['tank/vm/a', 'tank/vm/b', 'tank/vm/c']);
    assert.deepEqual(r.notes, ['rebase.g: 3 members reference 9.0 MiB now (sum of referenced; used is not read); after, estimated: the base about 4.0 MiB (the largest member) plus each member\'s differences from it, known only once copied']);
  });

  it('seed: one member copies only that member into the base', () => {
    const r = planRebase(specOf('{ base: tank/base@gold, datasets: ["tank/vm/*"], seed: tank/vm/b }'), withMarkers(host(), {}), NOW);
    assert.deepEqual((r.drafts[0] as unknown as Loose).seeds, ['tank/vm/b']);
  });

  it('members already clones of the base snapshot: nothing to do, no notes', () => {
    const h = withBase(host());
    for (const m of ['a', 'b', 'c']) h.fs(`tank/vm/${m}`, { origin: 'tank/base@gold' });
    const r = planRebase(specOf(), withMarkers(h, {}, 'tank/base'), NOW);
    assert.deepEqual(r.drafts, []);
    assert.deepEqual(r.notes, []);
    assert.equal(r.rebuilding.size, 0);
  });

  it('a member that is a clone of another snapshot is rebuilt against the existing base, which any maker may have made', () => {
    const h = withBase(host()).fs('tank/vm/a', { origin: 'tank/old@x' }).fs('tank/vm/b', { origin: 'tank/base@gold' }).fs('tank/vm/c', { origin: 'tank/base@gold' });
    const r = planRebase(specOf(), withMarkers(h, {}), NOW);
    assert.deepEqual(r.drafts.map((d) => [d.kind, (d as unknown as Loose).dataset, (d as unknown as Loose).reason, d.after]), [['rebuild', 'tank/vm/a', 'a clone of tank/old@x, not of tank/base@gold', []]]);
  });

  it('rebuild_base: an existing base moves aside and is built again when a member needs a rebuild', () => {
    const h = withBase(host());
    const r = planRebase(specOf('{ base: tank/base@gold, datasets: ["tank/vm/*"], rebuild_base: true }'), withMarkers(h, {}, 'tank/base'), NOW);
    assert.equal((r.drafts[0] as unknown as Loose).previous, 'rename');
    assert.equal(rebuilds(r.drafts as unknown as Action[]).length, 3);
  });

  it('through the planner: ids and dependsOn, the summary, and a plan that is reproduced identically', () => {
    const spec = specOf();
    const state = withMarkers(host(), {});
    const p = plan(spec, state, NOW);
    const kinds = p.actions.map((a) => `${a.id} ${a.kind} ${a.dependsOn.join(',')}`);
    assert.deepEqual(kinds, ['a1 base ', 'a2 rebuild a1', 'a3 rebuild a1', 'a4 rebuild a1']);
    assert.equal(p.summary.bases, 1);
    assert.equal(p.summary.rebuilds, 3);
    assert.deepEqual(plan(spec, state, NOW), p);
  });

  it('a saved plan with base, rebuilds and a conflict passes the plan schema, re-plans identically, and fingerprints the members', () => {
    const spec = specOf();
    const h = host().fs('tank/vm/d', { type: 'volume' });
    const state = withMarkers(h, {});
    const p = plan(spec, state, NOW);
    assert.deepEqual(p.actions.map((a) => a.kind), ['base', 'rebuild', 'rebuild', 'rebuild', 'conflict']);
    const fp = fingerprints(spec, state);
    assert.ok(fp.local!['tank/vm/a'] && fp.local!['tank/base'] === 'absent' && fp.local!['tank/vm/a_pre_rebase'] === 'absent', JSON.stringify(fp));
    const doc = parsePlanDocument(JSON.stringify(planDocument(spec, p, fp, NOW)), 'plan.json');
    assert.deepEqual(compareActions(doc.plan.actions, plan(spec, state, NOW).actions, 'zfsync.yaml'), []);
    const bad = planDocument(spec, p, fp, NOW);
    (bad.plan.actions[1] as RebuildAction).base = 'tank/base@gold; rm -rf /';
    assert.throws(() => parsePlanDocument(JSON.stringify(bad), 'plan.json'));
  });
});

describe('rebase: an interrupted rebuild, resumed', () => {
  const spec = specOf('{ base: tank/base@gold, datasets: [tank/vm/a] }');
  const one = (state: State) => {
    const r = planRebase(spec, state, NOW);
    assert.equal(r.drafts.length, 1, JSON.stringify(r.drafts));
    return r.drafts[0] as unknown as Loose;
  };

  it('an unverified clone (marker copy): discarded with the source clone and the rebuild snapshot, then the member starts again', () => {
    const h = withBase(host()).snap('tank/vm/a', 'zfsync_rebase_20261130T000000Z').fs('tank/vm/a.zfsync-rebase-src', { origin: 'tank/vm/a@zfsync_rebase_20261130T000000Z' }).fs('tank/vm/a.zfsync-rebase-new', { origin: 'tank/base@gold' });
    const a = one(withMarkers(h, { 'tank/vm/a.zfsync-rebase-new': 'copy', 'tank/vm/a.zfsync-rebase-src': 'source' }));
    assert.equal(a.stage, 'start');
    assert.deepEqual(a.discard, ['tank/vm/a.zfsync-rebase-new', 'tank/vm/a.zfsync-rebase-src', 'tank/vm/a@zfsync_rebase_20261130T000000Z']);
  });

  it('a verified clone while the original still has its name: resumes at the swap', () => {
    const h = withBase(host()).fs('tank/vm/a.zfsync-rebase-src', { origin: 'tank/vm/a@x' }).fs('tank/vm/a.zfsync-rebase-new', { origin: 'tank/base@gold' });
    const a = one(withMarkers(h, { 'tank/vm/a.zfsync-rebase-new': 'verified:mount', 'tank/vm/a.zfsync-rebase-src': 'source' }));
    assert.deepEqual([a.stage, a.unmount, a.mount, a.leftoverSource, a.discard], ['swap', true, true, 'tank/vm/a@x', []]);
  });

  it('the original renamed aside, the verified clone not yet at the name: resumes at the rename', () => {
    const h = withBase(new HostBuilder('local')).fs('tank/src').fs('tank/vm/a_pre_rebase').fs('tank/vm/a.zfsync-rebase-new', { origin: 'tank/base@gold' });
    const a = one(withMarkers(h, { 'tank/vm/a.zfsync-rebase-new': 'verified:nomount' }));
    assert.deepEqual([a.stage, a.mount, a.leftoverSource], ['rename', false, undefined]);
  });

  it('the clone at the name, still marked: finishes (mountpoint, marker, mount, cleanup)', () => {
    const h = withBase(new HostBuilder('local')).fs('tank/src').fs('tank/vm/a_pre_rebase').fs('tank/vm/a', { origin: 'tank/base@gold' });
    const a = one(withMarkers(h, { 'tank/vm/a': 'verified:mount' }));
    assert.deepEqual([a.stage, a.mount], ['finish', true]);
  });

  it('finished but the source clone left (or, with destroy, the original): cleanup only', () => {
    const h = withBase(new HostBuilder('local')).fs('tank/src').fs('tank/vm/a_pre_rebase').snap('tank/vm/a_pre_rebase', 'zfsync_rebase_x').fs('tank/vm/a', { origin: 'tank/base@gold' }).fs('tank/vm/a.zfsync-rebase-src', { origin: 'tank/vm/a_pre_rebase@zfsync_rebase_x' });
    const a = one(withMarkers(h, { 'tank/vm/a.zfsync-rebase-src': 'source' }));
    assert.deepEqual([a.stage, a.leftoverSource], ['cleanup', 'tank/vm/a_pre_rebase@zfsync_rebase_x']);
    const h2 = withBase(new HostBuilder('local')).fs('tank/src').fs('tank/vm/a_pre_rebase').snap('tank/vm/a_pre_rebase', 'zfsync_rebase_x').fs('tank/vm/a', { origin: 'tank/base@gold' });
    const destroy = specOf('{ base: tank/base@gold, datasets: [tank/vm/a], keep_originals: destroy }');
    assert.equal((planRebase(destroy, withMarkers(h2, {}), NOW).drafts[0] as unknown as Loose).stage, 'cleanup');
    assert.deepEqual(planRebase(spec, withMarkers(h2, {}), NOW).drafts, [], 'suffix keeps the original: nothing to do');
  });

  it('a base zfsync left half built (marked, no snapshot) is built again, with the seed leftovers discarded first', () => {
    const h = host().fs('tank/base').snap('tank/vm/a', 'zfsync_rebase_seed_x').fs('tank/vm/a.zfsync-rebase-seed', { origin: 'tank/vm/a@zfsync_rebase_seed_x' });
    const r = planRebase(spec, withMarkers(h, { 'tank/vm/a.zfsync-rebase-seed': 'seed' }, 'tank/base'), NOW);
    const b = r.drafts[0] as unknown as Loose;
    assert.deepEqual([b.kind, b.previous, b.discard], ['base', 'destroy', ['tank/vm/a.zfsync-rebase-seed', 'tank/vm/a@zfsync_rebase_seed_x']]);
    assert.deepEqual(rebuilds(r.drafts as unknown as Action[])[0]!.discard, [], 'seed snapshots are the base\'s to discard');
  });

  it('replace: false: the clone goes to <name><suffix>; done once that is a clone of the base', () => {
    const rf = specOf('{ base: tank/base@gold, datasets: [tank/vm/a], replace: false }');
    const h = withBase(host());
    assert.equal((planRebase(rf, withMarkers(h, {}), NOW).drafts[0] as unknown as Loose).stage, 'start');
    h.fs('tank/vm/a_pre_rebase', { origin: 'tank/base@gold' });
    assert.deepEqual(planRebase(rf, withMarkers(h, {}), NOW).drafts, []);
    assert.equal((planRebase(rf, withMarkers(h, { 'tank/vm/a_pre_rebase': 'verified:nomount' }), NOW).drafts[0] as unknown as Loose).stage, 'finish');
  });
});

describe('rebase: conflicts, each with what resolves it', () => {
  const spec = specOf('{ base: tank/base@gold, datasets: [tank/vm/a] }');
  const conflictOf = (state: State, s = spec) => {
    const c = conflicts(planRebase(s, state, NOW).drafts as unknown as Action[]);
    assert.equal(c.length, 1);
    return `${c[0]!.dataset}: ${c[0]!.message} / ${c[0]!.resolution}`;
  };

  it('a zvol member', () => {
    assert.match(conflictOf(withMarkers(withBase(host()).fs('tank/vm/a', { type: 'volume' }), {})), /zvol members are not supported yet/);
  });
  it('a member with clones of its own', () => {
    assert.match(conflictOf(withMarkers(withBase(host()).snap('tank/vm/a', 's1').fs('tank/other', { origin: 'tank/vm/a@s1' }), {})), /^tank\/vm\/a: tank\/vm\/a has clones of its own \(tank\/other\).* \/ promote or destroy tank\/other/);
  });
  it('a member with held snapshots', () => {
    const h = withBase(host(OPENZFS)).snap('tank/vm/a', 'kept');
    h.get('tank/vm/a').snapshots[0]!.userrefs = 1;
    assert.match(conflictOf(withMarkers(h, {})), /has held snapshots \(@kept\).* \/ release the holds/);
  });
  it('a member that is a replication target', () => {
    const s = specOf('{ base: tank/base@gold, datasets: [tank/vm/a] }', ['targets: { t: { dataset: tank/vm } }', 'replicate: [{ from: s, to: t }]']);
    assert.match(conflictOf(withMarkers(withBase(host()), {}), s), /is a replication target \(targets\.t writes below tank\/vm\)/);
  });
  it('the base name taken by a dataset zfsync did not create', () => {
    assert.equal(conflictOf(withMarkers(host().fs('tank/base'), {})), 'tank/base: tank/base exists without @gold and zfsync did not create it (no zfsync:rebase-base marker) / snapshot it as tank/base@gold to use it as the base, or choose another rebase.g.base');
  });
  it('a temporary name taken by someone else, and <name><suffix> taken', () => {
    assert.match(conflictOf(withMarkers(withBase(host()).fs('tank/vm/a.zfsync-rebase-new'), {})), /zfsync did not make it/);
    assert.match(conflictOf(withMarkers(withBase(host()).fs('tank/vm/a_pre_rebase'), {})), /tank\/vm\/a_pre_rebase already exists .* \/ rename or destroy tank\/vm\/a_pre_rebase, or change rebase\.g\.suffix/);
  });
  it('a member that does not exist', () => {
    assert.match(conflictOf(withMarkers(withBase(new HostBuilder('local').fs('tank/src')), {})), /member tank\/vm\/a does not exist/);
  });
  it('a host without rsync, with the package to install', () => {
    const h = withBase(host({ ...LEGACY, tools: { ...LEGACY.tools, rsync: false } }));
    assert.match(conflictOf(withMarkers(h, {})), /rsync is not installed on local.* \/ install the rsync package/);
  });
  it('an unreachable host', () => {
    const state = withMarkers(withBase(host()), {});
    state.unreachable = { local: 'connection refused' };
    assert.match(conflictOf(state), /connection refused/);
  });
});
