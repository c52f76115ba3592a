// Exclude patterns. `*` and `?` stay within one dataset name component, `**` crosses
// components; a pattern matches the datasets it names and everything below them.

const GLOB_CHAR = /^[A-Za-z0-9_.: *?-]$/;

export function hasGlobChars(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function globBody(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*' && pattern[i + 1] === '*') {
      const atStart = i === 0 || pattern[i - 1] === '/';
      const next = pattern[i + 2];
      i++;
      if (atStart && next === '/') {
        out += '(?:[^/]+/)*'; // `**/`: zero or more whole components
        i++;
      } else if (atStart && next === undefined) {
        out += '.+'; // trailing `/**`: at least one component below
      } else {
        out += '.*';
      }
    } else if (ch === '*') {
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else {
      out += escapeRegExp(ch);
    }
  }
  return out;
}

export function compileGlob(pattern: string): (dataset: string) => boolean {
  const re = new RegExp(`^${globBody(pattern)}(?:/.*)?$`, 's');
  return (dataset) => re.test(dataset);
}

/** Why `pattern` cannot be an exclude pattern, or undefined. */
export function globPatternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'empty pattern';
  if (pattern.startsWith('/')) return `pattern must not start with '/'`;
  if (pattern.endsWith('/')) return `pattern must not end with '/'`;
  for (const ch of pattern.replaceAll('/', '')) {
    if (!GLOB_CHAR.test(ch)) return `invalid character '${ch}' in pattern`;
  }
  if (pattern.split('/').includes('')) return 'empty component in pattern';
  return undefined;
}
