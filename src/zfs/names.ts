// ZFS name rules (after OpenZFS zfs_namecheck.c). Each check returns a message for the
// first problem found, or undefined for a valid name.

/** Longest full name ZFS accepts (ZFS_MAX_DATASET_NAME_LEN includes the trailing NUL). */
export const MAX_NAME_LENGTH = 255;

const NAME_CHAR = /^[A-Za-z0-9_.: -]$/;
const USER_PROPERTY_CHAR = /^[a-z0-9:_.-]$/;

function show(ch: string): string {
  return /^[\x20-\x7e]$/.test(ch) ? ch : JSON.stringify(ch).slice(1, -1);
}

function invalidChar(text: string, allowed: RegExp, what: string): string | undefined {
  for (const ch of text) if (!allowed.test(ch)) return `invalid character '${show(ch)}' in ${what}`;
  return undefined;
}

function poolNameProblem(pool: string): string | undefined {
  if (!/^[A-Za-z]/.test(pool)) return `pool name '${pool}' must start with a letter`;
  if (/^(mirror|spare|log)$|^raidz|^draid/.test(pool)) return `pool name '${pool}' is reserved`;
  if (/^c[0-9]/.test(pool)) return `pool name '${pool}' looks like a disk name (c<digit>...)`;
  return undefined;
}

export function datasetNameProblem(name: string): string | undefined {
  if (name === '') return 'empty dataset name';
  if (name.startsWith('/')) return `dataset name must not start with '/'`;
  if (name.endsWith('/')) return `dataset name must not end with '/'`;
  const charProblem = invalidChar(name.replaceAll('/', ''), NAME_CHAR, 'dataset name');
  if (charProblem) return charProblem;
  const components = name.split('/');
  if (components.includes('')) return 'empty component in dataset name';
  const dots = components.find((c) => c === '.' || c === '..');
  if (dots) return `component '${dots}' is not allowed in dataset name`;
  const poolProblem = poolNameProblem(components[0] ?? '');
  if (poolProblem) return poolProblem;
  if (name.length > MAX_NAME_LENGTH) return `dataset name is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

/** The part after `@`. */
export function snapshotNameProblem(shortName: string): string | undefined {
  if (shortName === '') return 'empty snapshot name';
  const charProblem = invalidChar(shortName, NAME_CHAR, 'snapshot name');
  if (charProblem) return charProblem;
  if (shortName === '.' || shortName === '..') return `snapshot name '${shortName}' is not allowed`;
  if (shortName.length > MAX_NAME_LENGTH) return `snapshot name is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

/** A full `dataset@snapshot` name. */
export function snapshotRefProblem(ref: string): string | undefined {
  const at = ref.indexOf('@');
  if (at < 0) return `must be dataset@snapshot`;
  const problem = datasetNameProblem(ref.slice(0, at)) ?? snapshotNameProblem(ref.slice(at + 1));
  if (problem) return problem;
  if (ref.length > MAX_NAME_LENGTH) return `snapshot name is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

/** A ZFS user property (`module:name`), as used for `zfs get`/`zfs set`. */
export function userPropertyProblem(name: string): string | undefined {
  if (name === '') return 'empty property name';
  const charProblem = invalidChar(name, USER_PROPERTY_CHAR, 'user property name');
  if (charProblem) return `${charProblem} (allowed: lowercase letters, digits, ':', '_', '-', '.')`;
  if (!name.includes(':')) return `user property name must contain ':' (e.g. zfsync:${name})`;
  if (name.length > MAX_NAME_LENGTH) return `user property name is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}
