// POSIX shell quoting. Every string that reaches a shell (remote commands, dry-run output)
// goes through here.

const SAFE = /^[A-Za-z0-9_\/.,:=+@%^-]+$/;

export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
