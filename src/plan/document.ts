// The saved plan: a versioned JSON document with the fingerprints of the state it came from.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { PlanFileError } from '../errors.js';
import type { Fingerprints } from '../state/fingerprint.js';
import type { Action, Plan, PlanDocument, Spec } from '../types.js';
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
  const validate = planValidator();
  if (!validate(raw)) {
    const e = validate.errors?.[0];
    throw new PlanFileError(`${file}: not a valid zfsync plan: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trim());
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
