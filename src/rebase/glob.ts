// Member patterns of a rebase group: `*` and `?` stay within one dataset name component, and a
// pattern names exactly the datasets it matches (unlike excludes, never what lies below them).

export const isMemberGlob = (pattern: string): boolean => /[*?]/.test(pattern);

export function compileMemberGlob(pattern: string): (name: string) => boolean {
  let body = '';
  for (const ch of pattern) {
    if (ch === '*') body += '[^/]*';
    else if (ch === '?') body += '[^/]';
    else body += ch.replace(/[\\^$.+()[\]{}|/-]/g, '\\$&');
  }
  const re = new RegExp(`^${body}$`);
  return (name) => re.test(name);
}

/** The pool a pattern's datasets are in, or undefined when the pool part itself is a glob. */
export function poolOf(pattern: string): string | undefined {
  const pool = pattern.split(/[/@]/)[0]!;
  return isMemberGlob(pool) ? undefined : pool;
}
