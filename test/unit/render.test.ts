import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { useColor, type Io } from '../../src/cli/io.js';
import { summarize } from '../../src/plan/summary.js';
import { formatEta, progressText } from '../../src/render/apply-lines.js';
import { renderPlanText, summaryLine, totalLine } from '../../src/render/plan-text.js';
import type { Plan, SendAction } from '../../src/types.js';

function io(tty: boolean, env: NodeJS.ProcessEnv = {}): Io {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  return { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env, now: () => new Date(0) };
}

describe('colour', () => {
  it('only on a terminal, never with NO_COLOR or --no-color', () => {
    assert.equal(useColor(io(true), undefined), true);
    assert.equal(useColor(io(false), undefined), false);
    assert.equal(useColor(io(true, { NO_COLOR: '1' }), undefined), false);
    assert.equal(useColor(io(true), false), false);
  });

  it('a plan rendered without colour has no escape codes; with colour it has', () => {
    const plan: Plan = {
      actions: [{ id: 'a1', kind: 'create', host: 'local', dataset: 'b/x', properties: { canmount: 'off' }, pair: 'a -> b', reason: 'missing parent', dependsOn: [] }],
      notes: [],
      summary: { sends: 0, sendBytes: 0, sendsWithoutSize: 0, snapshots: 0, creates: 1, destroys: 0, rollbacks: 0, conflicts: 0 },
    };
    const plain = renderPlanText(plan, { color: false });
    assert.doesNotMatch(plain, /\x1b\[/);
    assert.match(plain, /^a -> b\n\s+\+ create\s+local: b\/x  \(canmount=off\)\n\s+missing parent\n\nPlan: 0 to send, 0 snapshots, 1 to create, 0 to destroy, 0 conflicts\.\n$/);
    assert.match(renderPlanText(plan, { color: true }), /\x1b\[/);
  });
});

describe('summary line', () => {
  it('reads like the design: counts, rollbacks only when present (sizes are on the Total line)', () => {
    assert.equal(
      summaryLine({ sends: 3, sendBytes: 1.2 * 1024 ** 3, sendsWithoutSize: 0, snapshots: 1, creates: 1, destroys: 4, rollbacks: 0, conflicts: 1 }),
      'Plan: 3 to send, 1 snapshot, 1 to create, 4 to destroy, 1 conflict.',
    );
    assert.equal(
      summaryLine({ sends: 2, sendBytes: 0, sendsWithoutSize: 2, snapshots: 0, creates: 0, destroys: 1, rollbacks: 1, conflicts: 0 }),
      'Plan: 2 to send, 0 snapshots, 0 to create, 1 to roll back, 1 to destroy, 0 conflicts.',
    );
  });
});

function send(id: string, bytes?: number, bytesFrom?: SendAction['bytesFrom']): SendAction {
  const a: SendAction = {
    id, kind: 'send', mode: 'full', pair: 'a -> b', reason: 'target does not exist', dependsOn: [],
    source: { host: 'local', dataset: `tank/${id}` }, target: { host: 'local', dataset: `bk/${id}` },
    to: { name: 's1', guid: '1' }, intermediates: false, snapshotCount: 1,
    receive: { readonly: true, mount: false, force: false },
  };
  if (bytes !== undefined) a.bytes = bytes;
  if (bytesFrom !== undefined) a.bytesFrom = bytesFrom;
  return a;
}

describe('sizes: ~ on every estimate, and a total line across all sends', () => {
  it('adds up every known size and says where the estimates came from', () => {
    const GiB = 1024 ** 3;
    assert.equal(
      totalLine([send('a1', 3 * GiB, 'dry-run'), send('a2', 0.4 * GiB, 'dry-run'), send('a3', 1024, 'properties'), send('a4'), send('a5')]),
      'Total: 5 sends, ~3.4 GiB (2 by zfs send -n -P, 1 from snapshot sizes, 2 of unknown size)',
    );
    assert.equal(totalLine([send('a1', 2048)]), 'Total: 1 send, ~2.0 KiB (1 from snapshot sizes)', 'no bytesFrom: a plan made without estimates');
    assert.equal(totalLine([send('a1'), send('a2')]), 'Total: 2 sends, size unknown');
    assert.equal(totalLine([]), undefined);
  });

  it('the plan text: ~size per send, size unknown, the total before the summary', () => {
    const actions = [send('a1', 5 * 1024 ** 2, 'dry-run'), send('a2')];
    const text = renderPlanText({ actions, notes: [], summary: summarize(actions) }, { color: false });
    assert.match(text, /tank\/a1 @s1 => bk\/a1  \(full stream, ~5\.0 MiB\)/);
    assert.match(text, /tank\/a2 @s1 => bk\/a2  \(full stream, size unknown\)/);
    assert.match(text, /\nTotal: 2 sends, ~5\.0 MiB \(1 by zfs send -n -P, 1 of unknown size\)\nPlan: 2 to send, 0 snapshots, /);
  });
});

describe('apply progress', () => {
  it('with an estimate: done of ~expected, percent, rate and ~ETA', () => {
    assert.equal(progressText(1024 ** 3, 64 * 1024 ** 2, 3 * 1024 ** 3), '1.0 GiB of ~3.0 GiB (33%), 64 MiB/s, ETA ~32s');
    assert.equal(progressText(0, 1024 ** 2, 200 * 1024 ** 2), '0 B of ~200 MiB (0%), 1.0 MiB/s, ETA ~3m20s');
    assert.equal(progressText(0, 1024, 8 * 1024 ** 2), '0 B of ~8.0 MiB (0%), 1.0 KiB/s, ETA ~2h16m');
  });

  it('past the estimate: 100%, no ETA; without one (the host cannot estimate): bytes and rate only', () => {
    assert.equal(progressText(2 * 1024 ** 2, 1024 ** 2, 1024 ** 2), '2.0 MiB of ~1.0 MiB (100%), 1.0 MiB/s');
    assert.equal(progressText(5 * 1024 ** 2, 1024 ** 2), '5.0 MiB, 1.0 MiB/s');
    assert.equal(progressText(1000, 333.333), '1000 B, 333 B/s', 'whole bytes');
  });

  it('formatEta', () => {
    assert.deepEqual([0, 59.4, 60, 3599, 3600, 86399, 86400, 8388608].map(formatEta), ['0s', '59s', '1m00s', '59m59s', '1h00m', '23h59m', '1d00h', '97d02h']);
  });
});
