// A saved plan runs only if it is exactly what this zfsync makes of the spec and the state now,
// planned at the plan's own time: a plan file edited by hand, made from another spec, made by
// another zfsync, or made before the state moved is refused, and nothing runs.
import * as path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { PlanFileError, StalePlanError } from '../errors.js';
import { escapeControl as esc } from '../render/escape.js';
import { actionLabel, renderPlanText } from '../render/plan-text.js';
import { describeChangedFingerprints, fingerprints } from '../state/fingerprint.js';
import type { Action, Plan, PlanDocument, Spec, State } from '../types.js';
import { assertAppliable } from './document.js';
import { plan } from './planner.js';
import { summarize } from './summary.js';

export interface SavedPlanCheck {
  saved: PlanDocument;
  /** The plan file's name, for messages. */
  file: string;
  spec: Spec;
  state: State;
  now: Date;
  /** The plan of the spec and state now, sized like `plan` sizes it: for the stale diff. */
  freshPlan: () => Promise<Plan>;
}

/** Clocks of the machine that planned and the one that applies may differ by this much. */
const CLOCK_SKEW_MS = 10 * 60_000;

/** How many differences the error message names; the details list them all. */
const NAMED_IN_MESSAGE = 5;

/**
 * The plan to run: the saved plan's actions as this zfsync plans them, with the saved size
 * estimates. Throws (and runs nothing) when the saved plan is not that plan.
 */
export async function verifySavedPlan(c: SavedPlanCheck): Promise<Plan> {
  const { saved, file, spec, state } = c;
  assertAppliable(saved, file);
  if (saved.spec.hash !== spec.hash && !sameSpecFile(saved.spec.file, spec.file)) {
    throw new PlanFileError(
      `this plan was made from ${esc(saved.spec.file)} (sha256 ${saved.spec.hash.slice(0, 12)}), not ${spec.file} (sha256 ${spec.hash.slice(0, 12)}): ` +
        `apply it with -c ${esc(saved.spec.file)}, or make a new plan from ${spec.file}. Nothing was applied.`,
    );
  }
  const createdAt = new Date(saved.createdAt);
  if (createdAt.getTime() > c.now.getTime() + CLOCK_SKEW_MS) {
    throw new PlanFileError(`${file} says it was made at ${saved.createdAt}, later than now (${c.now.toISOString()}): check this machine's clock, or make a new plan. Nothing was applied.`);
  }

  const stale: string[] = [];
  if (saved.spec.hash !== spec.hash) stale.push(`the spec ${spec.file} changed since the plan was made`);
  const moved = describeChangedFingerprints(saved.fingerprints, fingerprints(spec, state));
  if (moved.length) stale.push(`${moved.length} dataset(s) changed since the plan was made: ${moved.slice(0, 10).join(', ')}${moved.length > 10 ? ', ...' : ''}`);
  if (stale.length > 0) {
    const fresh = await c.freshPlan();
    const diff = createTwoFilesPatch('saved plan', 'plan now', renderPlanText(saved.plan, { color: false }), renderPlanText(fresh, { color: false }), esc(saved.createdAt), c.now.toISOString());
    throw new StalePlanError(`saved plan is stale: ${stale.join('; ')}. Nothing was applied; run zfsync plan again.`, diff);
  }

  const expected = plan(spec, state, createdAt);
  const differences = compareActions(saved.plan.actions, expected.actions, spec.file);
  if (differences.length > 0) {
    const named = differences.slice(0, NAMED_IN_MESSAGE).map((d) => d.headline);
    const more = differences.length > NAMED_IN_MESSAGE ? `, and ${differences.length - NAMED_IN_MESSAGE} more` : '';
    throw new StalePlanError(
      `saved plan ${file} is not the plan ${spec.file} and the current state give (it was edited, or made differently), so nothing was applied: ` +
        `${named.join('; ')}${more}. Run zfsync plan again.`,
      differences.flatMap((d) => [d.headline, ...d.details.map((l) => `    ${l}`)]).join('\n'),
    );
  }
  const savedById = new Map(saved.plan.actions.map((a) => [a.id, a]));
  const actions = expected.actions.map((a) => withSavedSize(a, savedById.get(a.id)));
  return { actions, notes: expected.notes, summary: summarize(actions) };
}

/** Whether two spellings of a spec path name one file: equal, or one a trailing part of the other (CI checkouts differ in their roots). */
export function sameSpecFile(a: string, b: string): boolean {
  const parts = (p: string) => path.normalize(p).split('/').filter((x) => x !== '' && x !== '.');
  const [x, y] = [parts(a), parts(b)];
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  return short.length > 0 && short.every((s, i) => s === long[long.length - short.length + i]);
}

function withSavedSize(a: Action, saved: Action | undefined): Action {
  if ((a.kind !== 'send' && a.kind !== 'resume') || saved?.kind !== a.kind) return a;
  const out = { ...a };
  delete out.bytes;
  delete out.bytesFrom;
  if (saved.bytes !== undefined) out.bytes = saved.bytes;
  if (saved.bytesFrom !== undefined) out.bytesFrom = saved.bytesFrom;
  return out;
}

/**
 * The part of an action that must match. Left out: a send's or a resume's size estimate (`bytes`,
 * `bytesFrom`: dry run or properties, and a snapshot the plan takes is sized from data still
 * being written; a resume's bytes left come from the same kind of dry run), and a conflict's texts (`reason`, `message`, `resolution`: a conflict never
 * runs, and its texts quote live sizes); everything else, including every other reason, is
 * what was reviewed and must be what runs.
 */
function comparable(a: Action): Record<string, unknown> {
  const c = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
  if (c.kind === 'send' || c.kind === 'resume') {
    delete c.bytes;
    delete c.bytesFrom;
  }
  if (c.kind === 'conflict') {
    delete c.reason;
    delete c.message;
    delete c.resolution;
  }
  return c;
}

interface Difference {
  headline: string;
  details: string[];
}

interface FieldDifference {
  path: string;
  saved: unknown;
  expected: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fieldDifferences(saved: unknown, expected: unknown, at: string, out: FieldDifference[]): void {
  if (isObject(saved) && isObject(expected)) {
    for (const key of [...new Set([...Object.keys(saved), ...Object.keys(expected)])].sort()) {
      fieldDifferences(saved[key], expected[key], at ? `${at}.${key}` : key, out);
    }
  } else if (JSON.stringify(saved) !== JSON.stringify(expected)) {
    out.push({ path: at, saved, expected });
  }
}

const shown = (v: unknown): string => {
  const text = esc(JSON.stringify(v));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

function describeField(d: FieldDifference, specFile: string): string {
  const given = `${specFile} and the state give`;
  if (d.saved === undefined) return `${esc(d.path)}: not in the plan; ${given} ${shown(d.expected)}`;
  if (d.expected === undefined) return `${esc(d.path)}: ${shown(d.saved)} in the plan; ${given} no such field`;
  return `${esc(d.path)}: ${shown(d.saved)} in the plan; ${given} ${shown(d.expected)}`;
}

/** Every way the saved actions differ from the expected ones, by action, in the saved plan's order. */
export function compareActions(saved: readonly Action[], expected: readonly Action[], specFile: string): Difference[] {
  const expectedById = new Map(expected.map((a) => [a.id, a]));
  const savedIds = new Set(saved.map((a) => a.id));
  const out: Difference[] = [];
  for (const a of saved) {
    const e = expectedById.get(a.id);
    if (!e) {
      out.push({ headline: `${actionLabel(a)}: ${specFile} and the state call for no such action`, details: [] });
      continue;
    }
    const fields: FieldDifference[] = [];
    fieldDifferences(comparable(a), comparable(e), '', fields);
    if (fields.length === 0) continue;
    out.push({
      headline: `${actionLabel(a)}: ${fields.map((f) => esc(f.path)).join(', ')} differ${fields.length === 1 ? 's' : ''}`,
      details: fields.map((f) => describeField(f, specFile)),
    });
  }
  for (const e of expected) {
    if (!savedIds.has(e.id)) out.push({ headline: `${actionLabel(e)}: missing from the plan, which ${specFile} and the state call for`, details: [] });
  }
  if (out.length === 0 && saved.map((a) => a.id).join(' ') !== expected.map((a) => a.id).join(' ')) {
    out.push({ headline: `the actions are in another order than ${specFile} and the state give`, details: [`plan: ${esc(saved.map((a) => a.id).join(' '))}`, `expected: ${expected.map((a) => a.id).join(' ')}`] });
  }
  return out;
}
