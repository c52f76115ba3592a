import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasChanges, plan } from '../../src/plan/planner.js';
import { parseSpec } from '../../src/spec/load.js';
import { changedFingerprints, fingerprints } from '../../src/state/fingerprint.js';
import type { Action, Plan, SendAction } from '../../src/types.js';
import { HostBuilder, LEGACY, OPENZFS, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const NOW_SEC = NOW.getTime() / 1000;

function specWith(opts: { source?: string; target?: string; extra?: string } = {}) {
  return parseSpec(
    `version: 1
sources:
  vms:
    datasets: [tank/vm]
${opts.source ?? ''}
targets:
  bk:
    dataset: backup/pve
${opts.target ?? ''}
replicate:
  - { from: vms, to: bk }
${opts.extra ?? ''}`,
    'zfsync.yaml',
  );
}

const kinds = (p: Plan) => p.actions.map((a) => (a.kind === 'send' ? `send-${a.mode}` : a.kind));
const sends = (p: Plan) => p.actions.filter((a): a is SendAction => a.kind === 'send');
const byKind = <K extends Action['kind']>(p: Plan, k: K) => p.actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === k);

function hosts(caps = LEGACY) {
  const src = new HostBuilder('local', caps);
  src.fs('tank/vm/vm1').fs('backup');
  return src;
}

describe('planner: first replication', () => {
  it('creates missing parents top-down and sends the newest snapshot in full', () => {
    const h = hosts();
    h.snap('tank/vm', 's1').snap('tank/vm/vm1', 's1', { referenced: 5000 }).snap('tank/vm/vm1', 's2', { referenced: 7000 });
    const p = plan(specWith(), stateOf(h), NOW);
    assert.deepEqual(kinds(p), ['create', 'create', 'send-full', 'send-full']);
    const [c1, c2] = byKind(p, 'create');
    assert.equal(c1!.dataset, 'backup/pve');
    assert.equal(c2!.dataset, 'backup/pve/tank');
    assert.deepEqual(c2!.dependsOn, [c1!.id]);
    assert.deepEqual(c1!.properties, { canmount: 'off', readonly: 'on' });
    const [parent, child] = sends(p);
    assert.equal(parent!.target.dataset, 'backup/pve/tank/vm');
    assert.deepEqual(parent!.dependsOn, [c2!.id]);
    assert.equal(child!.target.dataset, 'backup/pve/tank/vm/vm1');
    assert.equal(child!.to.name, 's2');
    assert.equal(child!.bytes, 7000);
    // The child lands inside the parent's receive, so it waits for it.
    assert.deepEqual(child!.dependsOn, [parent!.id]);
    assert.equal(child!.receive.placeholder, 'create', 'legacy ZFS receives a full stream into a placeholder');
    assert.equal(p.summary.sends, 2);
    assert.equal(p.summary.creates, 2);
  });

  it('uses recv -u -o on OpenZFS instead of a placeholder', () => {
    const h = hosts(OPENZFS);
    h.snap('tank/vm', 's1').snap('tank/vm/vm1', 's1');
    const p = plan(specWith(), stateOf(h), NOW);
    for (const s of sends(p)) assert.equal(s.receive.placeholder, undefined);
  });

  it('with initial: all sends the oldest in full, then the rest with -I', () => {
    const h = hosts(OPENZFS);
    h.snap('tank/vm', 'a', { written: 10 }).snap('tank/vm', 'b', { written: 20 }).snap('tank/vm', 'c', { written: 30 });
    const p = plan(specWith({ target: '    initial: all', source: '    recursive: false' }), stateOf(h), NOW);
    const [full, inc] = sends(p);
    assert.equal(full!.mode, 'full');
    assert.equal(full!.to.name, 'a');
    assert.equal(inc!.mode, 'incremental');
    assert.equal(inc!.from!.name, 'a');
    assert.equal(inc!.to.name, 'c');
    assert.equal(inc!.snapshotCount, 2);
    assert.equal(inc!.bytes, 50);
    assert.deepEqual(inc!.dependsOn, [full!.id]);
  });

  it('applies strip_path to the target path', () => {
    const h = hosts();
    h.snap('tank/vm', 's1').snap('tank/vm/vm1', 's1');
    const p = plan(specWith({ target: '    strip_path: 1' }), stateOf(h), NOW);
    assert.deepEqual(sends(p).map((s) => s.target.dataset), ['backup/pve/vm', 'backup/pve/vm/vm1']);
  });

  it('honours exclude globs (and their descendants)', () => {
    const h = hosts();
    h.fs('tank/vm/scratch/deep').fs('tank/vm/vm1/tmp');
    for (const d of ['tank/vm', 'tank/vm/vm1', 'tank/vm/scratch', 'tank/vm/scratch/deep', 'tank/vm/vm1/tmp']) h.snap(d, 's1');
    const p = plan(specWith({ source: '    exclude: [tank/vm/scratch, "tank/vm/*/tmp"]' }), stateOf(h), NOW);
    assert.deepEqual(sends(p).map((s) => s.source.dataset), ['tank/vm', 'tank/vm/vm1']);
  });

  it('notes a dataset without snapshots instead of sending anything', () => {
    const h = hosts();
    const p = plan(specWith({ source: '    recursive: false' }), stateOf(h), NOW);
    assert.equal(p.actions.length, 0);
    assert.match(p.notes[0]!, /tank\/vm: no snapshots to replicate yet/);
  });
});

describe('planner: incremental', () => {
  function replicated(caps = LEGACY) {
    const h = hosts(caps);
    h.fs('tank/vm/vm1');
    h.snap('tank/vm/vm1', 's1', { written: 100 }).snap('tank/vm/vm1', 's2', { written: 200 }).snap('tank/vm/vm1', 's3', { written: 300 });
    h.received('backup/pve/tank/vm/vm1', h, 'tank/vm/vm1', ['s1']);
    h.snap('tank/vm', 'p1');
    h.received('backup/pve/tank/vm', h, 'tank/vm', ['p1']);
    return h;
  }

  it('sends one -I step from the newest common snapshot', () => {
    const h = replicated(OPENZFS);
    const p = plan(specWith(), stateOf(h), NOW);
    const [s] = sends(p);
    assert.equal(sends(p).length, 1);
    assert.equal(s!.mode, 'incremental');
    assert.equal(s!.from!.name, 's1');
    assert.equal(s!.to.name, 's3');
    assert.equal(s!.intermediates, true);
    assert.equal(s!.snapshotCount, 2);
    assert.equal(s!.bytes, 500);
    assert.equal(s!.receive.force, false);
  });

  it('matches by GUID, not by name', () => {
    const h = hosts();
    h.snap('tank/vm', 's1').snap('tank/vm', 's2');
    h.fs('backup/pve/tank/vm').snap('backup/pve/tank/vm', 's1'); // same name, other data
    const p = plan(specWith({ source: '    recursive: false' }), stateOf(h), NOW);
    const [c] = byKind(p, 'conflict');
    assert.ok(c);
    assert.match(c.message, /shares no snapshot with tank\/vm \(matched by GUID\); @s1 only share a name/);
    assert.match(c.resolution, /full resend/);
    assert.equal(sends(p).length, 0);
  });

  it('has nothing to do when the target is up to date', () => {
    const h = hosts();
    h.snap('tank/vm', 's1');
    h.received('backup/pve/tank/vm', h, 'tank/vm', ['s1']);
    const p = plan(specWith({ source: '    recursive: false' }), stateOf(h), NOW);
    assert.equal(p.actions.length, 0);
    assert.equal(hasChanges(p), false);
  });

  it('uses the newest common snapshot even when the source pruned older ones', () => {
    const h = hosts();
    h.snap('tank/vm', 's1').snap('tank/vm', 's2').snap('tank/vm', 's3');
    h.received('backup/pve/tank/vm', h, 'tank/vm', ['s1', 's2']);
    h.get('tank/vm').snapshots.splice(0, 1); // s1 destroyed on the source
    const p = plan(specWith({ source: '    recursive: false' }), stateOf(h), NOW);
    assert.equal(sends(p)[0]!.from!.name, 's2');
  });

  it('refuses a target with snapshots after the common base', () => {
    const h = replicated();
    h.snap('backup/pve/tank/vm/vm1', 'local1');
    const p = plan(specWith(), stateOf(h), NOW);
    const [c] = byKind(p, 'conflict');
    assert.ok(c);
    assert.match(c.message, /diverged: 1 snapshot after the newest common snapshot @s1 \(@local1\)/);
    assert.match(c.resolution, /on_divergence: rollback/);
    assert.equal(sends(p).length, 0);
    assert.equal(byKind(p, 'rollback').length, 0);
  });

  it('rolls back (and shows what it destroys) only with on_divergence: rollback', () => {
    const h = replicated();
    h.snap('backup/pve/tank/vm/vm1', 'local1');
    const p = plan(specWith({ target: '    on_divergence: rollback' }), stateOf(h), NOW);
    const [r] = byKind(p, 'rollback');
    assert.ok(r);
    assert.equal(r.dataset, 'backup/pve/tank/vm/vm1');
    assert.equal(r.to.name, 's1');
    assert.deepEqual(r.destroys, ['local1']);
    const [s] = sends(p);
    assert.deepEqual(s!.dependsOn, [r.id]);
    assert.equal(p.summary.destroys, 1);
  });

  it('sees writes on an OpenZFS target (written > 0) as divergence', () => {
    const h = replicated(OPENZFS);
    h.get('backup/pve/tank/vm/vm1').written = 4096;
    const refused = plan(specWith(), stateOf(h), NOW);
    assert.match(byKind(refused, 'conflict')[0]!.message, /4\.0 KiB written since @s1/);
    const allowed = plan(specWith({ target: '    on_divergence: rollback' }), stateOf(h), NOW);
    const [r] = byKind(allowed, 'rollback');
    assert.equal(r!.discardsBytes, 4096);
    assert.deepEqual(r!.destroys, []);
    assert.equal(sends(allowed)[0]!.receive.force, false);
  });

  it('on legacy ZFS with rollback allowed, receives with -F and says so', () => {
    const h = replicated(LEGACY);
    const p = plan(specWith({ target: '    on_divergence: rollback' }), stateOf(h), NOW);
    const [s] = sends(p);
    assert.equal(s!.receive.force, true);
    assert.match(s!.reason, /recv -F discards unsnapshotted changes/);
  });

  it('a target that exists without snapshots is a conflict naming the resend size', () => {
    const h = hosts();
    h.snap('tank/vm', 's1', { referenced: 3 * 1024 * 1024 });
    h.fs('backup/pve/tank/vm');
    const p = plan(specWith({ source: '    recursive: false' }), stateOf(h), NOW);
    const [c] = byKind(p, 'conflict');
    assert.match(c!.message, /exists but has no snapshots/);
    assert.match(c!.resolution, /about 3\.0 MiB/);
  });

  it("receives into zfsync's own empty placeholder instead of conflicting", () => {
    const h = hosts();
    h.snap('tank/vm', 's1');
    h.fs('backup/pve/tank/vm', { placeholder: true });
    const p = plan(specWith({ source: '    recursive: false' }), stateOf(h), NOW);
    const [s] = sends(p);
    assert.equal(s!.mode, 'full');
    assert.equal(s!.receive.placeholder, 'existing');
  });

  it('an interrupted receive whose resume token cannot be read is a conflict (readable ones: resume-plan.test.ts)', () => {
    const h = replicated(OPENZFS);
    h.get('backup/pve/tank/vm/vm1').resumeToken = '1-abc';
    const p = plan(specWith(), stateOf(h), NOW);
    assert.match(byKind(p, 'conflict')[0]!.resolution, /zfs receive -A backup\/pve\/tank\/vm\/vm1/);
    assert.match(byKind(p, 'conflict')[0]!.message, /receive_resume_token cannot be read: not a resume token/);
  });
});

describe('planner: never destroys for vanished or renamed sources', () => {
  it('a missing root is a conflict, and its targets are left alone', () => {
    const h = new HostBuilder('local');
    h.fs('tank').fs('backup/pve/tank/vm/vm1').snap('backup/pve/tank/vm/vm1', 'x');
    const p = plan(specWith(), stateOf(h), NOW);
    assert.deepEqual(kinds(p), ['conflict']);
    assert.match(byKind(p, 'conflict')[0]!.message, /source dataset tank\/vm does not exist/);
  });

  it('a renamed dataset is sent anew; the old copy is not touched', () => {
    const h = hosts();
    h.fs('tank/vm/vm9');
    h.snap('tank/vm', 's1').snap('tank/vm/vm9', 's1');
    h.received('backup/pve/tank/vm', h, 'tank/vm', ['s1']);
    h.fs('backup/pve/tank/vm/vm1').snap('backup/pve/tank/vm/vm1', 'old'); // vm1 was renamed vm9
    h.datasets.delete('tank/vm/vm1');
    const p = plan(specWith(), stateOf(h), NOW);
    assert.deepEqual(kinds(p), ['send-full']);
    assert.equal(sends(p)[0]!.target.dataset, 'backup/pve/tank/vm/vm9');
    assert.ok(p.actions.every((a) => a.kind !== 'rollback'));
  });
});

describe('planner: snapshots', () => {
  const every = '    snapshot_every: 1h';

  it('takes one snapshot name for the whole source when due, with -r over a whole subtree', () => {
    const h = hosts();
    const p = plan(specWith({ source: every }), stateOf(h), NOW);
    const [s] = byKind(p, 'snapshot');
    assert.ok(s);
    assert.equal(s.snapshot, 'zfsync_20261122T120000Z');
    assert.deepEqual(s.datasets, ['tank/vm', 'tank/vm/vm1']);
    assert.deepEqual(s.commands, [{ recursive: true, datasets: ['tank/vm'] }]);
    assert.equal(s.atomic, true);
    // Sends of the new snapshot wait for it and carry no guid yet.
    for (const send of sends(p)) {
      assert.ok(send.dependsOn.includes(s.id));
      assert.equal(send.to.name, s.snapshot);
      assert.equal(send.to.guid, undefined);
    }
  });

  it('is not due while the newest own snapshot is younger than snapshot_every', () => {
    const h = hosts();
    h.snap('tank/vm', 'zfsync_20261122T113000Z', { creation: NOW_SEC - 1800 });
    h.snap('tank/vm/vm1', 'zfsync_20261122T113000Z', { creation: NOW_SEC - 1800 });
    h.snap('tank/vm/vm1', 'manual', { creation: NOW_SEC - 10 });
    const p = plan(specWith({ source: every }), stateOf(h), NOW);
    assert.equal(byKind(p, 'snapshot').length, 0);
  });

  it('is due once the newest own snapshot is old enough, and says why', () => {
    const h = hosts();
    h.snap('tank/vm', 'zfsync_20261122T100000Z', { creation: NOW_SEC - 60 }); // the name's time counts, not creation
    h.snap('tank/vm/vm1', 'zfsync_20261122T113000Z', { creation: NOW_SEC - 1800 });
    const p = plan(specWith({ source: every }), stateOf(h), NOW);
    assert.match(byKind(p, 'snapshot')[0]!.reason, /tank\/vm is 2h old; snapshot_every is 60m/);
  });

  it('names every dataset in one call on OpenZFS when the subtree is not whole (atomic)', () => {
    const h = hosts(OPENZFS);
    h.fs('tank/vm/scratch');
    const p = plan(specWith({ source: `${every}\n    exclude: [tank/vm/scratch]` }), stateOf(h), NOW);
    const [s] = byKind(p, 'snapshot');
    assert.deepEqual(s!.commands, [{ recursive: false, datasets: ['tank/vm', 'tank/vm/vm1'] }]);
    assert.equal(s!.atomic, true);
  });

  it('reports a legacy multi-call snapshot as not atomic', () => {
    const h = hosts(LEGACY);
    h.fs('tank/vm/scratch');
    const p = plan(specWith({ source: `${every}\n    exclude: [tank/vm/scratch]` }), stateOf(h), NOW);
    const [s] = byKind(p, 'snapshot');
    assert.equal(s!.commands.length, 2);
    assert.equal(s!.atomic, false);
  });
});

describe('fingerprints', () => {
  it('change when a dataset involved gets a snapshot, or the selection changes', () => {
    const h = hosts();
    h.snap('tank/vm', 's1');
    const spec = specWith();
    const before = fingerprints(spec, stateOf(h));
    assert.deepEqual(changedFingerprints(before, fingerprints(spec, stateOf(h))), []);
    h.snap('tank/vm/vm1', 'new');
    assert.deepEqual(changedFingerprints(before, fingerprints(spec, stateOf(h))), ['local:tank/vm/vm1']);
    h.fs('tank/vm/vm2');
    const moved = changedFingerprints(before, fingerprints(spec, stateOf(h)));
    assert.ok(moved.includes('local:selection of source vms'));
    assert.ok(moved.includes('local:tank/vm/vm2'));
  });

  it('cover target datasets that do not exist yet', () => {
    const h = hosts();
    const spec = specWith();
    const before = fingerprints(spec, stateOf(h));
    assert.equal(before.local!['backup/pve/tank/vm'], 'absent');
    h.fs('backup/pve/tank/vm');
    assert.ok(changedFingerprints(before, fingerprints(spec, stateOf(h))).includes('local:backup/pve/tank/vm'));
  });
});
