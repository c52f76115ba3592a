// Reading a spec file: YAML -> schema -> `Spec` -> semantic checks. Every problem found
// is reported at once, in file order, as one SpecError.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, parseDocument, type YAMLError } from 'yaml';
import { SpecError, type SpecProblem } from '../errors.js';
import type { Spec } from '../types.js';
import { normalise, type RawSpec } from './normalise.js';
import { formatPath, SpecLocator } from './positions.js';
import { schemaProblems } from './schema.js';
import { semanticProblems } from './semantic.js';

export async function loadSpec(file: string): Promise<Spec> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new SpecError(file, [{ path: '', message: `cannot read spec: ${(err as Error).message}` }]);
  }
  return parse(bytes.toString('utf8'), file, sha256(bytes));
}

export function parseSpec(text: string, file: string): Spec {
  return parse(text, file, sha256(text));
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function parse(text: string, file: string, hash: string): Spec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = new SpecLocator(doc, lineCounter, file);
  const failure = (problems: SpecProblem[]) => new SpecError(file, sortByPosition(problems));

  if (doc.errors.length > 0) throw failure(doc.errors.map((e) => yamlProblem(e, at)));
  if (doc.contents === null) throw failure([{ pos: at.at(0), path: '', message: 'the spec is empty' }]);
  if (!isMap(doc.contents)) {
    throw failure([{ pos: at.value([]), path: '', message: 'the spec must be a mapping of keys' }]);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // yaml refuses documents whose aliases expand too far ("billion laughs").
    throw failure([{ pos: at.at(0), path: '', message: `cannot read YAML: ${(err as Error).message}` }]);
  }
  const invalid = schemaProblems(data, at);
  if (invalid.length > 0) throw failure(invalid);

  const raw = data as RawSpec;
  const spec = normalise(raw, file, hash);
  const problems = semanticProblems(spec, raw.rebase, at);
  if (problems.length > 0) throw failure(problems);
  return spec;
}

function yamlProblem(error: YAMLError, at: SpecLocator): SpecProblem {
  const offset = error.pos[0];
  const pos = at.at(offset);
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      const path = at.pathAt(offset);
      const key = path.pop();
      return { pos, path: formatPath(path), message: `duplicate key '${String(key)}'` };
    }
    case 'MULTIPLE_DOCS':
      return { pos, path: '', message: 'the spec must be a single YAML document (remove the second ---)' };
    default:
      return { pos, path: '', message: `YAML syntax error: ${lowerFirst(error.message)}` };
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function sortByPosition(problems: SpecProblem[]): SpecProblem[] {
  const rank = (p: SpecProblem) => (p.pos ? p.pos.line * 1e6 + p.pos.col : Number.MAX_SAFE_INTEGER);
  return [...problems].sort((a, b) => rank(a) - rank(b));
}
