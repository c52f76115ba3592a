// `--lock-timeout`: how long apply waits for a lock another apply holds.
import { UsageError } from '../errors.js';
import { parseDuration } from '../spec/duration.js';
import { LOCK_TIMEOUT_HELP } from './messages.js';

/** Milliseconds; `0` (the default) fails at once. */
export function parseLockTimeout(flag: string | undefined): number {
  const value = (flag ?? '0').trim();
  if (value === '0') return 0;
  const seconds = parseDuration(value);
  if (seconds === undefined) throw new UsageError(`--lock-timeout must be ${LOCK_TIMEOUT_HELP}, not '${flag}'`);
  return seconds * 1000;
}
