// Capability probe: one shell round trip per host that prints `zfs version`, the command
// usage and the property table; the flags each command lists tell what this zfs can do.
import type { Capabilities } from '../types.js';

/** Run as `sh -c PROBE_SCRIPT sh <zfs-path>`; the zfs path arrives as $1, never spliced in. */
export const PROBE_SCRIPT = [
  'z="$1"',
  'echo "@@version"; "$z" version 2>&1',
  'echo "@@usage"; "$z" 2>&1',
  'echo "@@props"; "$z" get -? 2>&1',
  'echo "@@end"',
].join('\n');

function sections(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current = '';
  for (const line of output.split('\n')) {
    const m = /^@@(\w+)$/.exec(line);
    if (m) {
      current = m[1]!;
      out[current] = '';
    } else if (current) {
      out[current] += line + '\n';
    }
  }
  return out;
}

/** All option letters a command's usage lines list in `[-abc]` groups, plus its `-x <...>` options. */
function usageOf(usage: string, command: string): { lines: string[]; flags: Set<string> } {
  const lines = usage
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l === command || l.startsWith(command + ' '));
  const flags = new Set<string>();
  for (const line of lines) {
    for (const m of line.matchAll(/\[-([A-Za-z]+)\]/g)) for (const ch of m[1]!) flags.add(ch);
    for (const m of line.matchAll(/(?:^|[\s\[|])-([A-Za-z])\b/g)) flags.add(m[1]!);
  }
  return { lines, flags };
}

export function parseProbe(output: string): Capabilities {
  const s = sections(output);
  const versionLine = (s.version ?? '').split('\n')[0]?.trim() ?? '';
  const openzfs = /^zfs-\d/.test(versionLine);
  const usage = s.usage ?? '';
  const props = s.props ?? '';
  const list = usageOf(usage, 'list');
  const send = usageOf(usage, 'send');
  const recv = usageOf(usage, 'receive');
  const snapshot = usageOf(usage, 'snapshot');
  const hasProp = (name: string) => new RegExp(`^\\s*${name}\\s`, 'm').test(props);
  const caps: Capabilities = {
    implementation: openzfs ? 'openzfs' : 'legacy',
    listParsable: list.flags.has('p'),
    multiSnapshot: snapshot.lines.some((l) => /@\S*\s+\.\.\./.test(l)),
    receiveNoMount: recv.flags.has('u'),
    receiveProperties: recv.flags.has('o') && recv.flags.has('x'),
    resumable: recv.flags.has('s') && send.flags.has('t') && hasProp('receive_resume_token'),
    written: hasProp('written'),
    bookmarks: usageOf(usage, 'bookmark').lines.length > 0,
    // zfs-fuse lists `hold` but cannot run it; trust holds only on OpenZFS.
    holds: openzfs && usageOf(usage, 'hold').lines.length > 0,
    rawSend: send.flags.has('w'),
    compressedSend: send.flags.has('c'),
    largeBlocks: send.flags.has('L') && send.flags.has('e'),
  };
  if (openzfs) caps.version = versionLine.replace(/^zfs-/, '');
  return caps;
}

export function describeCapabilities(c: Capabilities): string {
  if (c.implementation === 'openzfs') return `OpenZFS ${c.version ?? '?'}`;
  const missing = [
    !c.listParsable && 'list -p',
    !c.receiveNoMount && 'recv -u',
    !c.written && 'written',
    !c.multiSnapshot && 'atomic multi-snapshot',
  ].filter(Boolean);
  return `legacy ZFS without ${missing.join(', ')}`;
}
