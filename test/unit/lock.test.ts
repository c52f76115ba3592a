// The pure parts of locking: lock file names, holder records, what the scripts' output means,
// messages, --lock-timeout, and which locks a plan needs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { busyMessage, takeoverMessage, waitingMessage } from '../../src/lock/messages.js';
import { locksForSpec } from '../../src/lock/plan-locks.js';
import { formatRecord, lockName, newLockId, LOCK_ID, parseRecord, type LockRecord } from '../../src/lock/record.js';
import { holdArgs, holdOutcome, parseListing } from '../../src/lock/script.js';
import { parseLockTimeout } from '../../src/lock/timeout.js';
import { permissionNeeds } from '../../src/permissions/needs.js';
import { renderPermissionsText } from '../../src/permissions/render.js';
import { parseSpec } from '../../src/spec/load.js';
import { zfsync } from '../helpers/cli.js';

const HOLDER: LockRecord = {
  id: '0123456789ab',
  role: 'target',
  host: 'nas',
  dataset: 'backup/pve 1:x',
  controller: 'pve1',
  controllerPid: 4242,
  user: 'root',
  started: '2026-11-22T10:00:00.000Z',
  version: '0.1.0',
};

describe('lock: names and records', () => {
  it('names the lock after a hash of the dataset, the same on every run', () => {
    assert.equal(lockName('backup/pve'), lockName('backup/pve'));
    assert.match(lockName('backup/pve 1:x'), /^zfsync-[0-9a-f]{16}$/);
    assert.notEqual(lockName('backup/pve'), lockName('backup/pve/'));
    assert.notEqual(lockName('a'), lockName('b'));
  });

  it('makes ids that force-unlock accepts', () => {
    const ids = new Set(Array.from({ length: 50 }, newLockId));
    assert.equal(ids.size, 50);
    for (const id of ids) assert.match(id, LOCK_ID);
  });

  it('writes one key=value line per field and reads it back, with the holder pid the script adds', () => {
    const lines = formatRecord(HOLDER);
    assert.deepEqual(lines.slice(0, 4), ['id=0123456789ab', 'role=target', 'host=nas', 'dataset=backup/pve 1:x']);
    assert.deepEqual(parseRecord(lines.join('\n')), HOLDER);
    assert.deepEqual(parseRecord([...lines, 'holder_pid=77', ''].join('\n')), { ...HOLDER, holderPid: 77 });
  });

  it('keeps a value with a newline on its own line, and a value with = whole', () => {
    const lines = formatRecord({ ...HOLDER, controller: 'evil\nrole=source', user: 'a=b' });
    assert.equal(lines.length, 9);
    const back = parseRecord(lines.join('\n'))!;
    assert.equal(back.role, 'target');
    assert.equal(back.controller, 'evil role=source');
    assert.equal(back.user, 'a=b');
  });

  it('rejects a damaged record rather than guessing', () => {
    const lines = formatRecord(HOLDER);
    assert.equal(parseRecord(''), undefined);
    assert.equal(parseRecord(lines.filter((l) => !l.startsWith('user=')).join('\n')), undefined);
    assert.equal(parseRecord(lines.map((l) => (l.startsWith('role=') ? 'role=boss' : l)).join('\n')), undefined);
    assert.equal(parseRecord(lines.map((l) => (l.startsWith('controller_pid=') ? 'controller_pid=x' : l)).join('\n')), undefined);
  });
});

describe('lock: script arguments and output', () => {
  it('passes the name, the candidate directories and the record as separate arguments', () => {
    assert.deepEqual(holdArgs('zfsync-00', ['id=1', 'dataset=a b'], ['/run/lock', '/tmp']), ['zfsync-00', '2', '/run/lock', '/tmp', 'id=1', 'dataset=a b']);
  });

  it('reads locked, stale-then-locked, busy, no flock and errors', () => {
    assert.equal(holdOutcome('', false), undefined);
    assert.equal(holdOutcome('@@stale\nid=1\n', false), undefined);
    assert.deepEqual(holdOutcome('@@locked\n', false), { kind: 'locked' });
    assert.deepEqual(holdOutcome('@@stale\nid=1\nrole=target\n@@locked\n', false), { kind: 'locked', stale: 'id=1\nrole=target' });
    assert.deepEqual(holdOutcome('@@busy\nid=1\n', true), { kind: 'busy', record: 'id=1\n' });
    assert.deepEqual(holdOutcome('@@noflock\n', true), { kind: 'no-flock' });
    assert.deepEqual(holdOutcome('@@error no writable lock directory\n', true), { kind: 'error', message: 'no writable lock directory' });
    assert.deepEqual(holdOutcome('', true), { kind: 'error', message: '' });
  });

  it('splits a listing into records with their files', () => {
    const text = '@@record /run/lock/zfsync-aa.info\nid=1\nrole=target\n\n@@record /run/lock/zfsync-bb.info\nid=2\n\n@@end\n';
    assert.deepEqual(parseListing(text), [
      { file: '/run/lock/zfsync-aa.info', text: 'id=1\nrole=target\n\n' },
      { file: '/run/lock/zfsync-bb.info', text: 'id=2\n' },
    ]);
    assert.deepEqual(parseListing('@@end\n'), []);
  });
});

describe('lock: messages', () => {
  const t = { host: 'nas', dataset: 'backup/pve 1:x', role: 'target' as const };
  it('names the holder, how long it waited, and what to do', () => {
    assert.equal(
      busyMessage(t, HOLDER, 30_400),
      'target backup/pve 1:x on nas is locked by root@pve1 pid 4242 since 2026-11-22T10:00:00.000Z (zfsync 0.1.0, lock id 0123456789ab); waited 30s; wait with --lock-timeout, or run zfsync force-unlock 0123456789ab if that apply is gone',
    );
    assert.match(busyMessage(t, undefined, 0), /is locked by another process \(its lock record is missing or unreadable\); waited 0s$/);
  });
  it('says whose stale lock was taken over and that it was not released', () => {
    assert.equal(
      takeoverMessage({ ...t, role: 'source' }, HOLDER),
      'Took over a stale lock on source backup/pve 1:x on nas: zfsync pid 4242 on pve1 (root, started 2026-11-22T10:00:00.000Z, lock id 0123456789ab) ended without releasing it',
    );
    assert.match(waitingMessage(t, HOLDER, 300_000), /^Waiting up to 300s for the lock on target backup\/pve 1:x on nas, held by root@pve1 pid 4242/);
  });
});

describe('lock: --lock-timeout', () => {
  it('takes 0 and durations', () => {
    assert.equal(parseLockTimeout(undefined), 0);
    assert.equal(parseLockTimeout('0'), 0);
    assert.equal(parseLockTimeout('0s'), 0);
    assert.equal(parseLockTimeout('30s'), 30_000);
    assert.equal(parseLockTimeout('5m'), 300_000);
    assert.equal(parseLockTimeout('1h30m'), 5_400_000);
  });
  it('apply refuses a bad one with one line and exit 1, before reading the spec', async () => {
    const r = await zfsync(['apply', '-c', '/nonexistent/zfsync.yaml', '--lock-timeout', '10']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: --lock-timeout must be a duration like 30s, 5m or 1h30m, or 0 to fail at once, not '10'\n");
  });
  it('refuses anything else with one line naming the value', () => {
    for (const bad of ['5', '-1s', 'soon', '1.5m', '']) {
      assert.throws(() => parseLockTimeout(bad), (e: unknown) => e instanceof UsageError && e.message === `--lock-timeout must be a duration like 30s, 5m or 1h30m, or 0 to fail at once, not '${bad}'`);
    }
  });
});

describe('lock: which locks an apply takes', () => {
  const spec = parseSpec(
    `version: 1
hosts:
  nas: { ssh: { host: nas.example.com } }
sources:
  vms: { datasets: [tank/vm, tank/ct], snapshot_every: 1h }
  idle: { datasets: [tank/idle] }
targets:
  bk: { dataset: backup/pve }
  off: { host: nas, dataset: "off site/pve" }
  gone: { dataset: nopool/x }
replicate:
  - { from: vms, to: off }
  - { from: vms, to: bk }
  - { from: idle, to: gone }
`,
    'zfsync.yaml',
  );
  it('locks each target root and each root of a snapshotted source once, sorted by host then dataset', () => {
    assert.deepEqual(locksForSpec(spec, new Set(['local', 'nas'])), [
      { host: 'local', dataset: 'backup/pve', role: 'target' },
      { host: 'local', dataset: 'nopool/x', role: 'target' },
      { host: 'local', dataset: 'tank/ct', role: 'source' },
      { host: 'local', dataset: 'tank/vm', role: 'source' },
      { host: 'nas', dataset: 'off site/pve', role: 'target' },
    ]);
  });

  it('a dataset that is both a target and a snapshotted source is one lock, a target', () => {
    const chain = parseSpec('version: 1\nsources:\n  a: { datasets: [tank/a] }\n  b: { datasets: [bk/a], snapshot_every: 1h }\ntargets:\n  t1: { dataset: bk/a, strip_path: 2 }\n  t2: { dataset: far }\nreplicate:\n  - { from: a, to: t1 }\n  - { from: b, to: t2 }\n', 'zfsync.yaml');
    assert.deepEqual(locksForSpec(chain, new Set(['local'])), [
      { host: 'local', dataset: 'bk/a', role: 'target' },
      { host: 'local', dataset: 'far', role: 'target' },
    ]);
  });

  it('a source with retention but no snapshot_every is locked too: apply destroys its snapshots', () => {
    const pruned = parseSpec('version: 1\nsources:\n  a: { datasets: [tank/a], retention: { last: 3 } }\ntargets:\n  t: { dataset: bk }\nreplicate:\n  - { from: a, to: t }\n', 'zfsync.yaml');
    assert.deepEqual(locksForSpec(pruned, new Set(['local'])), [
      { host: 'local', dataset: 'bk', role: 'target' },
      { host: 'local', dataset: 'tank/a', role: 'source' },
    ]);
  });

  it('takes no lock on a host that could not be connected', () => {
    assert.deepEqual(locksForSpec(spec, new Set(['local'])).map((l) => l.host), ['local', 'local', 'local', 'local']);
  });
});

describe('lock: zfsync permissions', () => {
  it('says that locking needs flock(1) and no permission', () => {
    const spec = parseSpec('version: 1\nsources:\n  vms: { datasets: [tank/vm] }\ntargets:\n  bk: { dataset: backup/pve }\nreplicate:\n  - { from: vms, to: bk }\n', 'zfsync.yaml');
    const text = renderPermissionsText('zfsync.yaml', permissionNeeds(spec, { localUser: 'backup' }));
    assert.match(text, /^- apply locks what it writes with flock\(1\) \(util-linux; FreeBSD: the sysutils\/flock port\) on files in\n {2}\/run\/lock, which every user may write: it needs no permission, only flock on each host it writes to\.$/m);
  });
});
