// Errors of the operating system (a file that cannot be written, a directory given for a file)
// are the user's to fix, not bugs: one line naming the file and what is wrong with it.
import { access, constants, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EEXIST: 'already exists',
};

const VERBS: Record<string, string> = { open: 'open', read: 'read', write: 'write', mkdir: 'create', rename: 'rename', unlink: 'remove', stat: 'read', scandir: 'read' };

export function systemErrorLine(e: unknown): string | undefined {
  const x = e as NodeJS.ErrnoException | undefined;
  if (!(x instanceof Error) || typeof x.code !== 'string' || typeof x.syscall !== 'string' || typeof x.path !== 'string') return undefined;
  const reason = REASONS[x.code] ?? x.code;
  return `cannot ${VERBS[x.syscall] ?? x.syscall} ${x.path}: ${x.code} (${reason})`;
}

/** `--out FILE` must be a file zfsync can create or replace: checked before any host is read. */
export async function checkOutputFile(file: string, flag: string): Promise<void> {
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`${flag} ${file}: is a directory; give a file name`);
  const dir = dirname(file);
  const parent = await stat(dir).catch(() => undefined);
  if (!parent) throw new UsageError(`${flag} ${file}: the directory ${dir} does not exist`);
  if (!parent.isDirectory()) throw new UsageError(`${flag} ${file}: ${dir} is not a directory`);
  if (!(await access(dir, constants.W_OK).then(() => true, () => false))) throw new UsageError(`${flag} ${file}: cannot write in ${dir} (permission denied)`);
}
