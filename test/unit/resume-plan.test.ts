// Planning a target that holds a receive_resume_token: `~ resume` when the token still fits,
// `-/+ abort partial receive` then the normal steps when it is stale. The tokens are real ones
// recorded from OpenZFS 2.1 (test/fixtures/openzfs-2.1/resume-tokens.txt); the source snapshots
// get the guids they name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { actionSteps, type PipeStep } from '../../src/apply/steps.js';
import { parsePlanDocument, planDocument } from '../../src/plan/document.js';
import { estimateRequests } from '../../src/plan/estimate.js';
import { plan } from '../../src/plan/planner.js';
import { compareActions } from '../../src/plan/verify-saved.js';
import { interruptedText } from '../../src/render/interrupted.js';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { parseSpec } from '../../src/spec/load.js';
import { fingerprints } from '../../src/state/fingerprint.js';
import type { AbortAction, Plan, ResumeAction, SendAction } from '../../src/types.js';
import { estimateScript, parseEstimates } from '../../src/zfs/estimate.js';
import { HostBuilder, LEGACY, OPENZFS, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const FIXTURE = readFileSync(new URL('../fixtures/openzfs-2.1/resume-tokens.txt', import.meta.url), 'utf8');
const section = (name: string): string[] => {
  const lines = FIXTURE.split('\n');
  const start = lines.indexOf(`@@${name}`);
  assert.ok(start >= 0, name);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('@@'));
  return lines.slice(start + 1, end);
};
const TOKEN = { full: section('full-token')[0]!, inc: section('inc-token')[0]!, incI: section('incI-token')[0]! };
// vmtank/resume-rec/src@s1..s3 as recorded (3 MiB of random data each).
const GUID = { s1: '4655945012494426470', s2: '206319155269012638', s3: '1709063069471940920' };

const spec = (target = '', hosts = '') =>
  parseSpec(`version: 1\n${hosts}sources:\n  vms:\n    datasets: [tank/vm]\n${hosts ? '    host: pve\n' : ''}targets:\n  bk:\n    dataset: backup/r\n${target}replicate:\n  - { from: vms, to: bk }\n`, 'zfsync.yaml');

const T = 'backup/r/tank/vm';

function world(opts: { sourceSnaps?: (keyof typeof GUID)[]; sourceCaps?: typeof OPENZFS } = {}) {
  const src = new HostBuilder(opts.sourceCaps ? 'pve' : 'local', opts.sourceCaps ?? OPENZFS);
  src.fs('tank/vm');
  for (const s of opts.sourceSnaps ?? ['s1', 's2', 's3']) src.snap('tank/vm', s, { guid: GUID[s], referenced: 3_252_224, written: 3_162_112 });
  const tgt = opts.sourceCaps ? new HostBuilder('local', OPENZFS) : src;
  tgt.fs('backup/r/tank');
  return { src, tgt };
}

// Hold moves (plan/protect.ts) follow every settled pair on OpenZFS; they are tested in protect.test.ts.
const kinds = (p: Plan) => p.actions.filter((a) => a.kind !== 'hold').map((a) => (a.kind === 'send' ? `send-${a.mode}` : a.kind));
const only = <K extends 'resume' | 'abort' | 'send'>(p: Plan, k: K) => p.actions.filter((a) => a.kind === k) as (K extends 'resume' ? ResumeAction : K extends 'abort' ? AbortAction : SendAction)[];
const info = () => ({ zfs: 'zfs', capabilities: OPENZFS });

describe('resume: a token that still fits is resumed with zfs send -t alone', () => {
  it('a partial full stream: resume @s1, then the incremental to the newest, after it', () => {
    const { src, tgt } = world();
    tgt.fs(T, { resumeToken: TOKEN.full, written: 196_608 });
    const p = plan(spec(), stateOf(src), NOW);
    assert.deepEqual(kinds(p), ['resume', 'send-incremental']);
    const [r] = only(p, 'resume');
    const [inc] = only(p, 'send');
    assert.equal(r!.to.name, 's1');
    assert.equal(r!.to.guid, GUID.s1);
    assert.equal(r!.from, undefined);
    assert.equal(r!.receivedBytes, 922_248);
    assert.equal(r!.bytes, 3_252_224 - 922_248, 'referenced of @s1 less what arrived');
    assert.deepEqual(r!.flags, []);
    assert.equal(inc!.from!.name, 's1');
    assert.equal(inc!.to.name, 's3');
    assert.deepEqual(inc!.dependsOn, [r!.id]);
    assert.equal(inc!.receive.resumable, true, 'receives run with -s where both ends resume');
    assert.match(renderPlanText(p, { color: false }), /~ resume +local: tank\/vm @s1 => backup\/r\/tank\/vm {2}\(901 KiB received, ~2\.2 MiB left, zfs send -t \(token flags: none\)\)/);

    const [pipe, guids] = actionSteps(r!, info) as [PipeStep, { kind: 'guids'; snapshots: string[] }];
    assert.deepEqual(pipe.send.stages.map((s) => s.argv), [['zfs', 'send', '-t', TOKEN.full]]);
    assert.deepEqual(pipe.receive.stages.map((s) => s.argv), [['zfs', 'receive', '-s', '-u', '-o', 'readonly=on', '-o', 'canmount=noauto', T]]);
    assert.deepEqual(guids.snapshots, [`${T}@s1`]);
  });

  it('a partial incremental: resume @s1 -> @s2 (no -o), then @s2 -> @s3', () => {
    const { src, tgt } = world();
    tgt.received(T, src, 'tank/vm', ['s1']).fs(T, { resumeToken: TOKEN.inc, written: 0 });
    const p = plan(spec(), stateOf(src), NOW);
    assert.deepEqual(kinds(p), ['resume', 'send-incremental']);
    const [r] = only(p, 'resume');
    assert.deepEqual([r!.from?.name, r!.to.name, r!.receivedBytes, r!.bytes], ['s1', 's2', 1_451_704, 3_162_112 - 1_451_704]);
    assert.equal(only(p, 'send')[0]!.from!.name, 's2');
    const [pipe] = actionSteps(r!, info) as [PipeStep];
    assert.deepEqual(pipe.receive.stages.map((s) => s.argv), [['zfs', 'receive', '-s', '-u', T]]);
    assert.match(renderPlanText(p, { color: false }), /~ resume +local: tank\/vm @s1 -> @s2 => backup\/r\/tank\/vm/);
  });

  it('-I cut inside its second snapshot: @s2 arrived, the token resumes @s2 -> @s3 and nothing follows', () => {
    const { src, tgt } = world();
    tgt.received(T, src, 'tank/vm', ['s1', 's2']).fs(T, { resumeToken: TOKEN.incI, written: 0 });
    const p = plan(spec(), stateOf(src), NOW);
    assert.deepEqual(kinds(p), ['resume']);
    assert.equal(p.summary.sends, 1);
  });

  it('across hosts the resume gets the pair transport; its dry run is zfs send -n -P -t, read from recorded output', () => {
    const { src, tgt } = world({ sourceCaps: OPENZFS });
    tgt.received(T, src, 'tank/vm', ['s1']).fs(T, { resumeToken: TOKEN.inc });
    const hosts = 'hosts:\n  pve:\n    ssh: { host: pve.example }\n';
    const p = plan(spec('', hosts), stateOf(src, tgt), NOW);
    const [r] = only(p, 'resume');
    assert.ok(r!.transport, 'compressed and buffered like a send');
    const [req] = estimateRequests(p, stateOf(src, tgt));
    assert.deepEqual(req!.sends[0], { dataset: 'tank/vm', to: 's2', intermediates: false, token: TOKEN.inc });
    assert.match(estimateScript(req!.sends), /"\$@" send -n -P -t 1-d37c8a532-/);
    const out = ['@@est 0', ...section('inc-nPt'), '@@status 0 0', '@@est 1', ...section('full-nPt'), '@@status 1 0', '@@end'].join('\n');
    assert.deepEqual(parseEstimates(out, 2).map((e) => e.bytes), [1_735_928, 2_275_624]);
  });

  it('a saved plan with a resume passes the plan schema and a re-plan reproduces it; another token does not', () => {
    const s = spec();
    const { src, tgt } = world();
    tgt.fs(T, { resumeToken: TOKEN.full });
    const state = stateOf(src);
    const p = plan(s, state, NOW);
    const doc = parsePlanDocument(JSON.stringify(planDocument(s, p, fingerprints(s, state), NOW)), 'plan.json');
    const again = plan(s, state, NOW);
    (again.actions[0] as ResumeAction).bytes = 1; // an estimate is not what was reviewed
    assert.deepEqual(compareActions(doc.plan.actions, again.actions, 'zfsync.yaml'), []);
    (doc.plan.actions[0] as ResumeAction).token = TOKEN.inc;
    assert.match(compareActions(doc.plan.actions, again.actions, 'zfsync.yaml')[0]!.headline, /token differs/);
  });
});

describe('resume: a stale token is aborted, then the pair goes on as if it were not there', () => {
  it("the token's snapshot is gone from the source: abort (the partial dataset goes with it), then a full send", () => {
    const { src, tgt } = world({ sourceSnaps: ['s2', 's3'] });
    tgt.fs(T, { resumeToken: TOKEN.full });
    const p = plan(spec(), stateOf(src), NOW);
    assert.deepEqual(kinds(p), ['abort', 'send-full']);
    const [a] = only(p, 'abort');
    const [full] = only(p, 'send');
    assert.equal(a!.full, true);
    assert.equal(a!.dataset, T);
    assert.match(a!.reason, /^stale resume token: its snapshot vmtank\/resume-rec\/src@s1 \(guid 4655945012494426470\) is no longer on tank\/vm$/);
    assert.equal(full!.to.name, 's3');
    assert.deepEqual(full!.dependsOn, [a!.id]);
    assert.deepEqual(actionSteps(a!, info), [{ kind: 'run', host: 'local', argv: ['zfs', 'receive', '-A', T] }]);
    assert.match(renderPlanText(p, { color: false }), /-\/\+ abort partial receive +local: backup\/r\/tank\/vm {2}\(discards 901 KiB received of vmtank\/resume-rec\/src@s1 \(a full stream: backup\/r\/tank\/vm goes with it\)\)/);
    assert.match(renderPlanText(p, { color: false }), /1 to abort/);
    assert.match(renderPlanMarkdown(p), /\| to roll back \| to abort \| to destroy \|/);
  });

  it("the token's snapshot is gone, incremental: abort, then the incremental from the common snapshot", () => {
    const { src, tgt } = world({ sourceSnaps: ['s1', 's3'] });
    tgt.received(T, src, 'tank/vm', ['s1']).fs(T, { resumeToken: TOKEN.inc, written: 0 });
    const p = plan(spec(), stateOf(src), NOW);
    assert.deepEqual(kinds(p), ['abort', 'send-incremental']);
    assert.equal(only(p, 'abort')[0]!.full, false);
    assert.deepEqual([only(p, 'send')[0]!.from?.name, only(p, 'send')[0]!.to.name], ['s1', 's3']);
  });

  it('the target has a newer snapshot than the token\'s base: abort, then what the divergence calls for', () => {
    const { src, tgt } = world();
    tgt.received(T, src, 'tank/vm', ['s1']).snap(T, 'local-x').fs(T, { resumeToken: TOKEN.inc, written: 0 });
    const refuse = plan(spec(), stateOf(src), NOW);
    assert.deepEqual(kinds(refuse), ['abort', 'conflict']);
    assert.match(only(refuse, 'abort')[0]!.reason, /its base @s1 is no longer the newest snapshot of backup\/r\/tank\/vm/);
    const rollback = plan(spec('    on_divergence: rollback\n'), stateOf(src), NOW);
    assert.deepEqual(kinds(rollback), ['abort', 'rollback', 'send-incremental']);
  });

  it('data written on the target since the base: the resume could not land, so abort', () => {
    const { src, tgt } = world();
    tgt.received(T, src, 'tank/vm', ['s1']).fs(T, { resumeToken: TOKEN.inc, written: 8192 });
    const p = plan(spec('    on_divergence: rollback\n'), stateOf(src), NOW);
    assert.deepEqual(kinds(p), ['abort', 'rollback', 'send-incremental']);
    assert.match(only(p, 'abort')[0]!.reason, /the pair cannot go on from @s2: target has diverged/);
  });

  it('a source host that cannot send -t: abort, and its receives run without -s', () => {
    const { src, tgt } = world({ sourceCaps: LEGACY });
    tgt.received(T, src, 'tank/vm', ['s1']).fs(T, { resumeToken: TOKEN.inc });
    const p = plan(spec('', 'hosts:\n  pve:\n    ssh: { host: pve.example }\n'), stateOf(src, tgt), NOW);
    assert.deepEqual(kinds(p), ['abort', 'send-incremental']);
    assert.match(only(p, 'abort')[0]!.reason, /cannot resume sends/);
    assert.equal(only(p, 'send')[0]!.receive.resumable, undefined);
  });

  it('a saved plan with an abort passes the plan schema and a re-plan reproduces it', () => {
    const s = spec();
    const { src, tgt } = world({ sourceSnaps: ['s2', 's3'] });
    tgt.fs(T, { resumeToken: TOKEN.full });
    const state = stateOf(src);
    const p = plan(s, state, NOW);
    const doc = parsePlanDocument(JSON.stringify(planDocument(s, p, fingerprints(s, state), NOW)), 'plan.json');
    assert.deepEqual(compareActions(doc.plan.actions, plan(s, state, NOW).actions, 'zfsync.yaml'), []);
  });

  it('an unreadable token is a conflict for that dataset, nothing else', () => {
    const { src, tgt } = world();
    const at = TOKEN.full.length - 40; // inside a 32-bit word the checksum covers
    tgt.fs(T, { resumeToken: TOKEN.full.slice(0, at) + (TOKEN.full[at] === '0' ? '1' : '0') + TOKEN.full.slice(at + 1) });
    const p = plan(spec(), stateOf(src), NOW);
    assert.deepEqual(kinds(p), ['conflict']);
    const c = p.actions[0]!;
    assert.ok(c.kind === 'conflict');
    assert.match(c.message, /receive_resume_token cannot be read: resume token checksum mismatch/);
    assert.match(c.resolution, /zfs receive -A backup\/r\/tank\/vm/);
  });
});

describe('resume: apply output after an interrupted receive with -s', () => {
  it('names the stopped receives the next plan resumes', () => {
    const text = interruptedText({ type: 'apply-interrupted', signal: 'SIGTERM', stopped: ['a2'], notStarted: ['a3'], resumable: ['a2'], done: 1, failed: 0, skipped: 0, conflicts: 0 }, (id) => (id === 'a2' ? 'send full tank/vm @s1 => backup/vm' : undefined));
    assert.equal(text, 'Interrupted (SIGTERM): 1 done; a2 send full tank/vm @s1 => backup/vm stopped; a3 not started. The next apply resumes from the state it finds. a2 received with zfs receive -s: zfs keeps what arrived, and the next plan resumes it (~ resume, zfs send -t) instead of starting over.');
  });
});
