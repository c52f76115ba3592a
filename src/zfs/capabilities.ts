// Capability probe: one shell round trip per host that prints `zfs version`, the command
// usage, the property table and which transport tools exist; the flags each command lists
// tell what this zfs can do.
import type { Capabilities, HostTools } from '../types.js';

export const TRANSPORT_TOOLS = ['zstd', 'lz4', 'gzip', 'mbuffer', 'pv'] as const;

/** Fed to `sh -s` with the zfs command (maybe behind `sudo -n`) as "$@", never spliced in. */
export const PROBE_SCRIPT = [
  'echo "@@version"; "$@" version 2>&1',
  'echo "@@usage"; "$@" 2>&1',
  'echo "@@props"; "$@" get -? 2>&1',
  'echo "@@tools"',
  `for t in ${[...TRANSPORT_TOOLS, 'rsync'].join(' ')}; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done`,
  'dd if=/dev/null of=/dev/null status=progress 2>/dev/null && echo dd-progress',
  'echo "@@end"',
].join('\n') + '\n';

export const NO_TOOLS: HostTools = { zstd: false, lz4: false, gzip: false, mbuffer: false, pv: false, ddProgress: false, rsync: false };

function parseTools(section: string | undefined): HostTools {
  const found = new Set((section ?? '').split('\n').map((l) => l.trim()));
  const tools: HostTools = { ...NO_TOOLS };
  for (const t of TRANSPORT_TOOLS) tools[t] = found.has(t);
  tools.ddProgress = found.has('dd-progress');
  tools.rsync = found.has('rsync');
  return tools;
}

/** Why the probe could not run zfs at all (missing command, sudo asking for a password), if so. */
export function probeProblem(output: string): string | undefined {
  const s = sections(output);
  const first = (s.version ?? '') + (s.usage ?? '');
  if (/sudo: (a password is required|a terminal is required)/.test(first)) {
    return 'sudo asks for a password to run zfs: add a NOPASSWD rule for zfs only (zfsync permissions prints it)';
  }
  if (/sudo: .*(command not found|not allowed|may not run)/i.test(first) || /is not allowed to execute/.test(first)) {
    return `sudo refuses to run zfs: ${first.split('\n').find((l) => /sudo/.test(l))?.trim()}`;
  }
  if (/(not found|No such file or directory)/.test(first) && !/^\s*(usage:|zfs-)/m.test(first)) {
    return `zfs command not found (${first.split('\n').find((l) => /not found|No such file/.test(l))?.trim()}); set hosts.<name>.zfs to its path`;
  }
  return undefined;
}

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
    // `destroy ... <filesystem|volume>@<snap>[%<snap>][,...]`; zfs-fuse names one `<snapshot>`.
    multiDestroy: usageOf(usage, 'destroy').lines.some((l) => /@<snap>.*,\.\.\./.test(l)),
    rawSend: send.flags.has('w'),
    compressedSend: send.flags.has('c'),
    largeBlocks: send.flags.has('L') && send.flags.has('e'),
    sendEstimate: send.flags.has('n') && send.flags.has('P'),
    encryption: hasProp('encryption') && hasProp('encryptionroot') && hasProp('keystatus'),
    tools: parseTools(s.tools),
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
