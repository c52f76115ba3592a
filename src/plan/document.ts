// The saved plan: a versioned JSON document with the fingerprints of the state it came from.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { PlanFileError } from '../errors.js';
import type { Fingerprints } from '../state/fingerprint.js';
import type { Action, Plan, PlanDocument, Spec } from '../types.js';
import { escapeControl } from '../render/escape.js';
import { VERSION } from '../version.js';

export function planDocument(spec: Spec, plan: Plan, fingerprints: Fingerprints, now: Date): PlanDocument {
  return {
    format: 'zfsync-plan',
    version: 1,
    zfsync: VERSION,
    createdAt: now.toISOString(),
    spec: { file: spec.file, hash: spec.hash },
    fingerprints,
    plan,
  };
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

let compiled: ValidateFunction | undefined;
function planValidator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8')) as object;
    compiled = new Ajv2020({ allErrors: false, strict: false }).compile(schema);
  }
  return compiled;
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** `major.minor.patch` of a version string (a pre-release or build suffix is ignored). */
export function versionParts(v: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** A newer zfsync may write what this one would misread: such a plan is neither shown nor applied. */
function assertNotNewer(made: unknown, file: string): void {
  const parts = typeof made === 'string' ? versionParts(made) : undefined;
  if (!parts) throw new PlanFileError(`${file}: not a valid zfsync plan: /zfsync ${escapeControl(JSON.stringify(made) ?? 'undefined')} is not a zfsync version`);
  if (compareVersions(parts, versionParts(VERSION)!) > 0) {
    throw new PlanFileError(`${file} was made by zfsync ${made as string}, which is newer than this zfsync ${VERSION}: use zfsync ${made as string} or later, or make a new plan with this one`);
  }
}

/**
 * Applying needs a plan of this zfsync's major.minor (an older patch release is fine: the
 * re-plan comparison catches any difference its planner made); newer ones are refused on reading.
 */
export function assertAppliable(doc: PlanDocument, file: string): void {
  const made = versionParts(doc.zfsync)!;
  const mine = versionParts(VERSION)!;
  if (made[0] !== mine[0] || made[1] !== mine[1]) {
    throw new PlanFileError(`${file} was made by zfsync ${doc.zfsync}; this zfsync ${VERSION} applies plans made by ${mine[0]}.${mine[1]}.x only: run zfsync plan again`);
  }
}

export function parsePlanDocument(text: string, file: string): PlanDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec(String(err));
    const where = m ? `${file}:${lineCol(text, Number(m[1]))}` : file;
    // JSON.parse quotes the text it choked on: never echo a file's bytes (binary, escapes) back.
    const msg = (err as Error).message;
    const why = text.trim() === '' ? 'the file is empty' : /end of JSON input/.test(msg) ? 'it ends too early' : /^[ -~]*$/.test(msg) && !msg.includes('"') ? msg : 'this is not JSON text';
    throw new PlanFileError(`${where}: not valid JSON: ${why}`);
  }
  if (!isObj(raw) || raw.format !== 'zfsync-plan') throw new PlanFileError(`${file}: not a zfsync plan ("format" is not "zfsync-plan")`);
  if (raw.version !== 1) throw new PlanFileError(`${file}: plan format version ${JSON.stringify(raw.version)} is not supported (this zfsync reads version 1)`);
  assertNotNewer(raw.zfsync, file);
  const validate = planValidator();
  if (!validate(raw)) {
    const e = validate.errors?.[0];
    throw new PlanFileError(`${file}: not a valid zfsync plan: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trim());
  }
  if (Number.isNaN(Date.parse(raw.createdAt as string)) || !ISO_TIME.test(raw.createdAt as string)) {
    throw new PlanFileError(`${file}: not a valid zfsync plan: /createdAt ${JSON.stringify(raw.createdAt)} is not an ISO 8601 UTC time`);
  }
  const ids = new Set<string>();
  const actions = (raw.plan as { actions: Action[] }).actions;
  actions.forEach((a, i) => {
    for (const d of a.dependsOn) {
      if (!ids.has(d)) throw new PlanFileError(`${file}: not a valid zfsync plan: /plan/actions/${i} depends on unknown action ${JSON.stringify(d)}`);
    }
    if (ids.has(a.id)) throw new PlanFileError(`${file}: not a valid zfsync plan: duplicate action id ${JSON.stringify(a.id)}`);
    ids.add(a.id);
  });
  return raw as unknown as PlanDocument;
}

export async function readPlanFile(file: string): Promise<PlanDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PlanFileError(`cannot read plan file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePlanDocument(text, file);
}
