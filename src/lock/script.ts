// Every shell line of locking. Each script goes to `sh -s` on stdin and gets its values as
// arguments ("$@"), never spliced into its text. Each picks the lock directory the same way:
// the first existing writable one of the candidates it is given.
import { LOCK_DIRS } from './record.js';

const PICK_DIR = `
  n=$1; shift
  dir=
  while [ "$n" -gt 0 ]; do
    if [ -z "$dir" ] && [ -d "$1" ] && [ -w "$1" ]; then dir=$1; fi
    n=$((n - 1)); shift
  done
  if [ -z "$dir" ]; then echo "@@error no writable lock directory"; exit 3; fi
  if ! command -v flock >/dev/null 2>&1; then echo "@@noflock"; exit 3; fi`;

/**
 * Takes the flock on fd 9 without waiting and keeps it for as long as this shell lives: it
 * waits reading stdin. `release` on stdin removes the record and ends it; stdin closing without
 * `release` (zfsync killed, connection dropped) leaves the record for the next apply to report
 * as stale. The kernel drops the flock whenever the shell ends, however it ends.
 * Args: name, dir count, dirs..., record lines...
 */
export const HOLD_SCRIPT = `zfsync_hold() {
  name=$1; shift${PICK_DIR}
  lock="$dir/$name.lock"; info="$dir/$name.info"
  if [ -e "$lock" ]; then
    exec 9<"$lock"
  else
    # A new lock file names its dataset, so a person (or a test's cleanup) can tell what it is for.
    exec 9>>"$lock"
    for l in "$@"; do case $l in dataset=*) printf '%s\n' "$l" >&9;; esac; done
  fi
  if ! flock -n 9; then echo "@@busy"; cat "$info" 2>/dev/null; exit 75; fi
  if [ -s "$info" ]; then echo "@@stale"; cat "$info"; fi
  tmp="$dir/.$name.$$"
  if ! { printf '%s\\n' "$@"; echo "holder_pid=$$"; } >"$tmp" || ! mv -f "$tmp" "$info"; then
    rm -f "$tmp"; echo "@@error cannot write $info"; exit 3
  fi
  echo "@@locked"
  while IFS= read -r line; do
    if [ "$line" = release ]; then rm -f "$info"; exit 0; fi
  done
  exit 0
}
zfsync_hold "$@"
`;

/** Prints every lock record of the directory. Args: dir count, dirs... */
export const LIST_SCRIPT = `zfsync_list() {${PICK_DIR}
  for f in "$dir"/zfsync-*.info; do
    [ -f "$f" ] || continue
    echo "@@record $f"; cat "$f"; echo
  done
  echo "@@end"
}
zfsync_list "$@"
`;

/**
 * Removes one lock, by name and id: a busy lock's holder shell is ended first (the flock then
 * frees), a stale one only loses its record. The record is removed while holding the flock, so
 * a new holder's record is never the one removed. Args: name, id, dir count, dirs...
 */
export const UNLOCK_SCRIPT = `zfsync_unlock() {
  name=$1; id=$2; shift 2${PICK_DIR}
  lock="$dir/$name.lock"; info="$dir/$name.info"
  if [ ! -e "$lock" ] || ! grep -qx "id=$id" "$info" 2>/dev/null; then echo "@@gone"; exit 0; fi
  exec 9<"$lock"
  if flock -n 9; then
    outcome=stale
  else
    pid=$(sed -n 's/^holder_pid=//p' "$info")
    case $pid in ''|*[!0-9]*) echo "@@error the lock record names no holder process"; exit 3;; esac
    if ! why=$(kill "$pid" 2>&1); then echo "@@error cannot end the holder process $pid: $why"; exit 3; fi
    if ! flock -w 10 9; then echo "@@error process $pid was signalled but the lock is still held after 10s"; exit 3; fi
    outcome="killed $pid"
  fi
  if grep -qx "id=$id" "$info" 2>/dev/null; then rm -f "$info"; fi
  echo "@@$outcome"
}
zfsync_unlock "$@"
`;

/** The argv running one of these scripts (fed on stdin) with its arguments. */
export const lockScriptArgv = (args: readonly string[]): string[] => ['sh', '-s', '--', ...args];

const dirArgs = (dirs: readonly string[]) => [String(dirs.length), ...dirs];

export const holdArgs = (name: string, record: readonly string[], dirs: readonly string[] = LOCK_DIRS): string[] => [name, ...dirArgs(dirs), ...record];
export const listArgs = (dirs: readonly string[] = LOCK_DIRS): string[] => dirArgs(dirs);
export const unlockArgs = (name: string, id: string, dirs: readonly string[] = LOCK_DIRS): string[] => [name, id, ...dirArgs(dirs)];

/** What a finished (or `@@locked`) hold script said. */
export type HoldOutcome =
  | { kind: 'locked'; stale?: string }
  | { kind: 'busy'; record: string }
  | { kind: 'no-flock' }
  | { kind: 'error'; message: string };

/** Parses the hold script's stdout; undefined while it is not yet conclusive. */
export function holdOutcome(stdout: string, ended: boolean): HoldOutcome | undefined {
  const lines = stdout.split('\n');
  const at = (tag: string) => lines.findIndex((l) => l === tag || l.startsWith(`${tag} `));
  const locked = at('@@locked');
  if (locked >= 0) {
    const stale = at('@@stale');
    return stale >= 0 && stale < locked ? { kind: 'locked', stale: lines.slice(stale + 1, locked).join('\n') } : { kind: 'locked' };
  }
  if (!ended) return undefined;
  const busy = at('@@busy');
  if (busy >= 0) return { kind: 'busy', record: lines.slice(busy + 1).join('\n') };
  if (at('@@noflock') >= 0) return { kind: 'no-flock' };
  const error = lines[at('@@error')];
  if (error !== undefined) return { kind: 'error', message: error.slice('@@error '.length) };
  return { kind: 'error', message: '' };
}

/** Records printed by LIST_SCRIPT, with the file each came from. */
export function parseListing(stdout: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const block of stdout.split(/^@@record /m).slice(1)) {
    const nl = block.indexOf('\n');
    out.push({ file: block.slice(0, nl), text: block.slice(nl + 1).replace(/\n@@end\n?$/, '') });
  }
  return out;
}
