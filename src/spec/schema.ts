// The JSON schema (schemas/zfsync.schema.json) and its errors, in the spec's own words.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { SpecProblem } from '../errors.js';
import { datasetNameProblem, snapshotRefProblem, userPropertyProblem } from '../zfs/names.js';
import { durationProblem } from './duration.js';
import { globPatternProblem } from './glob.js';
import { formatPath, type PathSegment, type SpecLocator } from './positions.js';
import { didYouMean } from './suggest.js';

// From src/spec/ (tsx) and from dist/spec/ (built) alike.
const SCHEMA_URL = new URL('../../schemas/zfsync.schema.json', import.meta.url);

type Schema = Record<string, any>;

const NAME_RULE = `must start with a letter or digit and contain only letters, digits, '_', '.' and '-'`;
const PREFIX_RULE = `must start with a letter or digit and contain only letters, digits, '_', '.', ':' and '-'`;

interface Compiled {
  schema: Schema;
  validate: ValidateFunction;
  /** Sub-schema -> the message for a value that fails its pattern or length. */
  messages: Map<object, (value: string) => string>;
}

let compiled: Compiled | undefined;

export function loadSchema(): Schema {
  return JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Schema;
}

function compile(): Compiled {
  if (compiled) return compiled;
  const schema = loadSchema();
  const ajv = new Ajv2020({ allErrors: true, strict: true, useDefaults: true, verbose: true });
  const validate = ajv.compile(schema);
  const defs = schema.$defs as Schema;
  const messages = new Map<object, (value: string) => string>([
    [defs.datasetName, (v) => datasetNameProblem(v) ?? 'invalid dataset name'],
    [defs.snapshotRef, (v) => snapshotRefProblem(v) ?? 'invalid snapshot name'],
    [defs.excludePattern, (v) => globPatternProblem(v) ?? 'invalid pattern'],
    [defs.duration, (v) => durationProblem(v) ?? 'invalid duration'],
    [defs.userProperty, (v) => userPropertyProblem(v) ?? 'invalid user property name'],
    [
      defs.zfsProperty,
      () => `must be a ZFS property name: lowercase letters, digits, ':', '_', '-' and '.'`,
    ],
    [
      schema.properties.snapshots.properties.prefix,
      (v) => (v.length > 64 ? 'must be at most 64 characters' : PREFIX_RULE),
    ],
    [
      defs.remoteHost.properties.ssh.properties.host,
      (v) =>
        v.includes('@')
          ? `must be a host name or address; put the user name in 'user'`
          : `must be a host name or address (letters, digits, '.', '-', ':', '_'), not starting with '-'`,
    ],
    [
      defs.remoteHost.properties.ssh.properties.user,
      () => `must start with a letter, digit or '_' and contain only letters, digits, '_', '.' and '-'`,
    ],
    [defs.pair.properties.snapshots.items, () => `must be a snapshot name pattern: letters, digits, space, '_', '.', ':', '-', and the wildcards '*' and '?' (no '@' or '/')`],
    [defs.target.properties.receive.properties.properties.additionalProperties, () => 'must not contain control characters'],
    [defs.rebaseGroup.properties.suffix, () => `must contain only letters, digits, '_', '.', ':' and '-'`],
  ]);
  compiled = { schema, validate, messages };
  return compiled;
}

function resolveRef(schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/$defs/')) return schema;
  return compile().schema.$defs[ref.slice('#/$defs/'.length)] as Schema;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'empty',
};

function pathOf(error: ErrorObject, data: unknown): PathSegment[] {
  const path: PathSegment[] = [];
  let node = data;
  for (const raw of error.instancePath.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const index = Array.isArray(node) ? Number(seg) : undefined;
    path.push(index ?? seg);
    node = (node as Record<string | number, unknown> | undefined)?.[index ?? seg];
  }
  return path;
}

/**
 * Validates `data` (filling in the schema's defaults) and returns its problems.
 * `data` may then be read as the raw spec when the list is empty.
 */
export function schemaProblems(data: unknown, at: SpecLocator): SpecProblem[] {
  const { validate } = compile();
  if (validate(data)) return [];
  const problems: SpecProblem[] = [];
  const typeErrorPaths = new Set<string>();
  const errors = validate.errors ?? [];
  // A file written for another version fails everywhere else too; only the version matters.
  const wrongVersion = errors.find(
    (e) => e.keyword === 'const' && e.instancePath === '/version' && Number.isInteger(e.data),
  );
  if (wrongVersion) return [toProblem(wrongVersion, ['version'], at)];
  for (const error of errors) {
    if (error.keyword === 'type') typeErrorPaths.add(error.instancePath);
  }
  for (const error of errors) {
    // A value of the wrong type fails its other keywords too; the type says it all.
    if (error.keyword !== 'type' && typeErrorPaths.has(error.instancePath)) continue;
    // propertyNames reports its inner failure as well; keep the outer one.
    if (error.propertyName !== undefined && error.keyword !== 'propertyNames') continue;
    const problem = toProblem(error, pathOf(error, data), at);
    if (!problems.some((p) => p.path === problem.path && p.message === problem.message)) problems.push(problem);
  }
  return problems;
}

function toProblem(error: ErrorObject, path: PathSegment[], at: SpecLocator): SpecProblem {
  const { messages } = compile();
  const params = error.params as Record<string, any>;
  const here = (message: string, where = at.value(path)): SpecProblem => ({ pos: where, path: formatPath(path), message });
  const value: unknown = error.data;
  switch (error.keyword) {
    case 'type': {
      // `snapshot_every: 3600` reads as a number; say what is missing rather than "must be a string".
      if (typeof value === 'number' && error.parentSchema === compile().schema.$defs.duration) {
        return here(durationProblem(String(value)) ?? 'must be a string');
      }
      const wanted = String(params.type);
      return here(`must be ${TYPE_NAMES[wanted] ?? wanted}`);
    }
    case 'required':
      return here(`missing required key '${params.missingProperty}'`, at.key(path));
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      // Keys declared only to be refused (`ssh` on local) are no suggestion.
      const declared = Object.entries((error.parentSchema as Schema).properties ?? {}) as [string, Schema][];
      const known = declared.filter(([, sub]) => sub.not === undefined).map(([name]) => name);
      return here(`unknown key '${key}'${didYouMean(key, known)}`, at.key([...path, key]));
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const rule = messages.get(resolveRef(error.schema as Schema));
      const message = rule ? `invalid property name '${name}': ${rule(name)}` : `invalid name '${name}': ${NAME_RULE}`;
      return here(message, at.key([...path, name]));
    }
    case 'const':
      if (path.length === 1 && path[0] === 'version') {
        return here(`unsupported spec version ${JSON.stringify(value)} (this zfsync reads version 1)`);
      }
      return here(`must be ${JSON.stringify(params.allowedValue)}`);
    case 'enum':
      return here(`must be one of: ${(params.allowedValues as unknown[]).join(', ')}`);
    case 'pattern':
    case 'minLength':
    case 'maxLength': {
      const custom = messages.get(error.parentSchema as object);
      if (custom) return here(custom(String(value)));
      if (error.keyword === 'minLength' && params.limit === 1) return here('must not be empty');
      if (error.keyword === 'maxLength') return here(`must be at most ${params.limit} characters`);
      if (error.keyword === 'minLength') return here(`must be at least ${params.limit} characters`);
      return here(`must match ${params.pattern}`);
    }
    case 'minimum':
      return here(`must be at least ${params.limit}`);
    case 'maximum':
      return here(`must be at most ${params.limit}`);
    case 'minItems':
    case 'minProperties':
      if (path.length === 1 && path[0] === 'sources') return here('must define at least one source');
      return here(params.limit === 1 ? 'must not be empty' : `must have at least ${params.limit} entries`);
    case 'uniqueItems': {
      const later = Math.max(params.i, params.j);
      const item = [...path, later];
      const listed = Array.isArray(value) ? value[later] : undefined;
      return { pos: at.value(item), path: formatPath(item), message: `'${String(listed)}' is listed twice` };
    }
    case 'not':
      if (formatPath(path) === 'hosts.local.ssh') {
        return here(`not allowed: 'local' is this machine; define another host to use SSH`, at.key(path));
      }
      return here('not allowed here', at.key(path));
    default:
      return here(error.message ?? `fails ${error.keyword}`);
  }
}
