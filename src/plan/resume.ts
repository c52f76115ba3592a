// A target holding a receive_resume_token (an interrupted `recv -s`): resume it, or discard it.
// Resumed only when the token still fits: both ends can resume, its snapshots are on the source
// (by GUID), its base is the target's newest snapshot (none for a full stream), and the pair's
// steps after it, planned as if the target already had the token's snapshot, need no rollback
// and have no conflict. Otherwise it is stale (zrepl #644: a stale token must not block the
// dataset forever): `recv -A`, then the steps planned as if the partial receive were not there.
// The resume is `zfs send -t <token>` alone, never with send flags of our own (zrepl #546).
import type { AbortAction, DatasetRef, Dataset, ReceiveOptions, ResumeAction, SendTransport, Snapshot, SnapRef } from '../types.js';
import { decodeResumeToken, TokenError, type ResumeToken } from '../zfs/resume-token.js';
import { formatBytes } from './format.js';
import type { PairInput, PairStep, PlannedSnapshot } from './replicate.js';

export interface ResumeStep {
  kind: 'resume';
  token: string;
  from?: SnapRef;
  to: PlannedSnapshot;
  receivedBytes: number;
  /** Bytes left, from the snapshots' sizes (the estimate step may refine it with `send -n -P -t`). */
  bytes?: number;
  flags: string[];
  /** The token is of a full stream (the target has no snapshot yet). */
  full: boolean;
  reason: string;
}

export interface AbortStep {
  kind: 'abort';
  partial: string;
  receivedBytes: number;
  full: boolean;
  reason: string;
}

const ref = (s: PlannedSnapshot): SnapRef => {
  const r: SnapRef = { name: s.name };
  if (s.guid !== undefined) r.guid = s.guid;
  if (s.createtxg !== undefined) r.createtxg = s.createtxg;
  return r;
};

/** The steps for a target with a token; `normal` is the pair diff of a target without one. */
export function resumeOrAbort(p: PairInput, t: Dataset, token: string, normal: (p: PairInput) => PairStep[]): PairStep[] {
  let tok: ResumeToken;
  try {
    tok = decodeResumeToken(token);
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    return [{
      kind: 'conflict',
      message: `${p.targetName} holds an interrupted receive whose receive_resume_token cannot be read: ${err.message}`,
      resolution: `discard the partial receive with \`zfs receive -A ${p.targetName}\` and run apply again`,
    }];
  }
  const full = tok.fromguid === undefined;
  const decision = fits(p, t, tok);
  if (decision.ok) {
    const { to, from } = decision;
    const asIfReceived: Dataset = { ...t, snapshots: [...t.snapshots, received(to)] };
    delete asIfReceived.resumeToken;
    if (full) asIfReceived.written = 0;
    const after = normal({ ...p, target: asIfReceived });
    const blocker = after.find((s) => s.kind === 'conflict' || s.kind === 'rollback');
    if (!blocker) {
      const step: ResumeStep = {
        kind: 'resume',
        token,
        to,
        receivedBytes: tok.bytes,
        flags: tok.flags,
        full,
        reason: `an interrupted receive of @${to.name} holds ${formatBytes(tok.bytes)}; zfs send -t resumes it where it stopped`,
      };
      if (from) step.from = ref(from);
      const left = bytesLeft(p.sourceSnapshots, from, to, tok.bytes);
      if (left !== undefined) step.bytes = left;
      return [step, ...after];
    }
    return abortThen(p, t, tok, `the pair cannot go on from @${to.name}: ${blocker.kind === 'conflict' ? blocker.message : blocker.reason}`, normal);
  }
  return abortThen(p, t, tok, decision.why, normal);
}

type Fit = { ok: true; to: PlannedSnapshot; from?: PlannedSnapshot } | { ok: false; why: string };

function fits(p: PairInput, t: Dataset, tok: ResumeToken): Fit {
  const what = tok.toname ?? `guid ${tok.toguid}`;
  if (p.sourceCaps && !p.sourceCaps.resumable) return { ok: false, why: `the source host cannot resume sends (no zfs send -t)` };
  const byGuid = (guid: string) => p.sourceSnapshots.find((s) => s.guid === guid);
  const to = byGuid(tok.toguid);
  if (!to) return { ok: false, why: `its snapshot ${what} (guid ${tok.toguid}) is no longer on ${p.sourceName}` };
  const newest = t.snapshots[t.snapshots.length - 1];
  if (tok.fromguid === undefined) {
    if (newest) return { ok: false, why: `it is a full stream, but ${p.targetName} has snapshots now` };
    return { ok: true, to };
  }
  const from = byGuid(tok.fromguid);
  if (!from) return { ok: false, why: `its base (guid ${tok.fromguid}) is no longer on ${p.sourceName}` };
  if (newest?.guid !== tok.fromguid) return { ok: false, why: `its base @${from.name} is no longer the newest snapshot of ${p.targetName}` };
  return { ok: true, to, from };
}

function abortThen(p: PairInput, t: Dataset, tok: ResumeToken, why: string, normal: (p: PairInput) => PairStep[]): PairStep[] {
  const full = tok.fromguid === undefined;
  const abort: AbortStep = {
    kind: 'abort',
    partial: tok.toname ?? `guid ${tok.toguid}`,
    receivedBytes: tok.bytes,
    full,
    reason: `stale resume token: ${why}`,
  };
  // Aborting a partial full stream into a new dataset destroys that dataset; one received into a
  // placeholder (or an incremental) leaves the target as it was before the receive.
  let rest: Dataset | undefined = { ...t };
  delete rest.resumeToken;
  if (full && !t.placeholder && t.snapshots.length === 0) rest = undefined;
  return [abort, ...normal({ ...p, target: rest })];
}

/** A source snapshot as the target holds it once received. */
function received(s: PlannedSnapshot): Snapshot {
  const snap: Snapshot = { name: s.name, guid: s.guid!, createtxg: s.createtxg ?? 0, creation: 0 };
  if (s.referenced !== undefined) snap.referenced = s.referenced;
  return snap;
}

/** The stream's size from the snapshots' sizes (a full: `referenced`; an incremental: the `written` it spans), less what arrived. */
function bytesLeft(snaps: readonly PlannedSnapshot[], from: PlannedSnapshot | undefined, to: PlannedSnapshot, done: number): number | undefined {
  let total: number | undefined;
  if (!from) total = to.referenced;
  else {
    const i = snaps.indexOf(from);
    const j = snaps.indexOf(to);
    total = 0;
    for (let k = i + 1; k <= j && total !== undefined; k++) total = snaps[k]!.written === undefined ? undefined : total + snaps[k]!.written!;
  }
  return total === undefined ? undefined : Math.max(0, total - done);
}

export interface StreamContext {
  pair: string;
  source: DatasetRef;
  target: DatasetRef;
  receive: ReceiveOptions;
  transport: SendTransport | undefined;
  deps: string[];
}

/** The plan action of a resume step. */
export function resumeAction(step: ResumeStep, c: StreamContext): Omit<ResumeAction, 'id'> {
  const a: Omit<ResumeAction, 'id'> = {
    kind: 'resume',
    pair: c.pair,
    source: c.source,
    target: c.target,
    token: step.token,
    to: ref(step.to),
    receivedBytes: step.receivedBytes,
    flags: step.flags,
    // A resumed stream is received like the one it continues; -s again, so a second interruption keeps what arrived.
    receive: { readonly: c.receive.readonly, mount: c.receive.mount, force: false, resumable: true },
    reason: step.reason,
    dependsOn: c.deps,
  };
  if (step.from) a.from = step.from;
  if (step.bytes !== undefined) a.bytes = step.bytes;
  if (c.transport) a.transport = c.transport;
  return a;
}

export function abortAction(step: AbortStep, c: StreamContext): Omit<AbortAction, 'id'> {
  return { kind: 'abort', pair: c.pair, host: c.target.host, dataset: c.target.dataset, partial: step.partial, receivedBytes: step.receivedBytes, full: step.full, reason: step.reason, dependsOn: c.deps };
}
