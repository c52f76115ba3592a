import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { useColor, type Io } from '../../src/cli/io.js';
import { renderPlanText, summaryLine } from '../../src/render/plan-text.js';
import type { Plan } from '../../src/types.js';

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
  it('reads like the design: sizes, unknown sizes, rollbacks only when present', () => {
    assert.equal(
      summaryLine({ sends: 3, sendBytes: 1.2 * 1024 ** 3, sendsWithoutSize: 0, snapshots: 1, creates: 1, destroys: 4, rollbacks: 0, conflicts: 1 }),
      'Plan: 3 to send (1.2 GiB), 1 snapshot, 1 to create, 4 to destroy, 1 conflict.',
    );
    assert.equal(
      summaryLine({ sends: 2, sendBytes: 0, sendsWithoutSize: 2, snapshots: 0, creates: 0, destroys: 1, rollbacks: 1, conflicts: 0 }),
      'Plan: 2 to send (2 of unknown size), 0 snapshots, 0 to create, 1 to roll back, 1 to destroy, 0 conflicts.',
    );
  });
});
