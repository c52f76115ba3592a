// Host-key checking the way OpenSSH does it: known_hosts files (plain, wildcard, negated,
// `[host]:port` and hashed host fields, `@revoked` and `@cert-authority` markers) or a pinned
// SHA256 fingerprint. Everything but readKnownHosts is pure, so ssh2's synchronous
// hostVerifier can call verifyHostKey directly.
import { createHash, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { HostError } from '../../errors.js';

export type HostPattern = { pattern: string; negated: boolean };

export interface KnownHostsEntry {
  file: string;
  /** 1-based. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written (`host1,host2`, `[h]:2222`, `|1|salt|hash`). */
  hostField: string;
  /** Set for `|1|salt|hash` fields; `patterns` is then empty. */
  hashed?: { salt: Buffer; hash: Buffer };
  patterns: HostPattern[];
  keyType: string;
  /** The public key in SSH wire format (the decoded base64 field). */
  keyBlob: Buffer;
  comment?: string;
}

export type HostKeyVerdict =
  | { ok: true; how: string }
  | { ok: false; kind: 'unknown' | 'changed' | 'revoked' | 'pin-mismatch'; message: string };

export interface VerifyHostKeyInput {
  host: string;
  port: number;
  /** The server's public key in SSH wire format, as ssh2's hostVerifier receives it. */
  keyBlob: Buffer;
  entries: KnownHostsEntry[];
  /** `SHA256:...` as `ssh-keygen -lf` prints it; when set it alone decides (after @revoked). */
  pinned?: string;
  /** OpenSSH's HostKeyAlias: known_hosts is searched for this name instead of host/`[host]:port`. */
  hostAlias?: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key type string at the start of an SSH wire-format public key (e.g. `ssh-ed25519`). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) throw new Error('malformed SSH public key: shorter than its type field');
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) throw new Error('malformed SSH public key: bad type field length');
  const type = keyBlob.subarray(4, 4 + len).toString('latin1');
  if (!/^[\x21-\x7e]+$/.test(type)) throw new Error('malformed SSH public key: type is not printable');
  return type;
}

/** `SHA256:<unpadded base64>` of a wire-format public key, exactly as `ssh-keygen -lf` prints it. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

function parseHostField(field: string): Pick<KnownHostsEntry, 'hashed' | 'patterns'> | undefined {
  if (field.startsWith('|')) {
    // Only `|1|` (HMAC-SHA1) exists; OpenSSH rejects anything else.
    const m = /^\|1\|([A-Za-z0-9+/]+={0,2})\|([A-Za-z0-9+/]+={0,2})$/.exec(field);
    if (!m) return undefined;
    const salt = Buffer.from(m[1]!, 'base64');
    const hash = Buffer.from(m[2]!, 'base64');
    if (salt.length !== 20 || hash.length !== 20) return undefined;
    return { hashed: { salt, hash }, patterns: [] };
  }
  const patterns: HostPattern[] = [];
  for (const part of field.split(',')) {
    const negated = part.startsWith('!');
    const pattern = (negated ? part.slice(1) : part).toLowerCase();
    if (pattern) patterns.push({ pattern, negated });
  }
  return patterns.length ? { patterns } : undefined;
}

/** Parses known_hosts text; comments, blank and malformed lines are skipped (as OpenSSH does). */
export function parseKnownHosts(text: string, file: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw || raw.startsWith('#')) continue;
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostsEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hostField, keyType, b64, ...rest] = fields;
    if (!hostField || !keyType || !b64 || !BASE64.test(b64)) continue;
    const hosts = parseHostField(hostField);
    if (!hosts) continue;
    const keyBlob = Buffer.from(b64, 'base64');
    let blobType: string;
    try {
      blobType = keyTypeOf(keyBlob);
    } catch {
      continue;
    }
    if (blobType !== keyType) continue;
    const entry: KnownHostsEntry = { file, line: i + 1, hostField, ...hosts, keyType, keyBlob };
    if (marker) entry.marker = marker;
    if (rest.length) entry.comment = rest.join(' ');
    entries.push(entry);
  }
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, 's');
}

/** OpenSSH's match_hostname: any negated match excludes, else at least one positive match. */
function patternsMatch(patterns: HostPattern[], name: string): boolean {
  let positive = false;
  for (const { pattern, negated } of patterns) {
    if (!globToRegExp(pattern).test(name)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}

function entryMatches(entry: KnownHostsEntry, name: string): boolean {
  if (entry.hashed) return createHmac('sha1', entry.hashed.salt).update(name).digest().equals(entry.hashed.hash);
  return patternsMatch(entry.patterns, name);
}

/** The string known_hosts stores for a host: `host` on port 22, `[host]:port` otherwise, or the alias. */
function lookupName(host: string, port: number, hostAlias?: string): string {
  if (hostAlias !== undefined) return hostAlias.toLowerCase();
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

const display = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

const hostEntries = (name: string, entries: KnownHostsEntry[]) => entries.filter((e) => entryMatches(e, name));

// OpenSSH's default HostKeyAlgorithms order; known types are offered first in this order.
const PREFERENCE = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-rsa',
];

/** Host-key algorithms to ask the server for first, from the key types known_hosts holds for this host. */
export function knownKeyTypes(host: string, port: number, entries: KnownHostsEntry[], hostAlias?: string): string[] {
  const types: string[] = [];
  for (const e of hostEntries(lookupName(host, port, hostAlias), entries)) {
    if (e.marker === undefined && !types.includes(e.keyType)) types.push(e.keyType);
  }
  const rank = (t: string) => {
    const i = PREFERENCE.indexOf(t);
    return i === -1 ? PREFERENCE.length : i;
  };
  // Stable sort: types OpenSSH does not rank keep their file order, after the ranked ones.
  types.sort((a, b) => rank(a) - rank(b));
  return types.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
}

const unpadded = (fp: string) => fp.trim().replace(/=+$/, '');

/** Decides whether the server's host key may be trusted: @revoked, then a pin, then known_hosts. */
export function verifyHostKey(input: VerifyHostKeyInput): HostKeyVerdict {
  const { host, port, keyBlob, entries, pinned, hostAlias } = input;
  const type = keyTypeOf(keyBlob);
  const fp = sha256Fingerprint(keyBlob);
  const name = lookupName(host, port, hostAlias);
  const where = hostAlias !== undefined ? `${display(host, port)} (host key alias ${hostAlias})` : display(host, port);
  const matching = hostEntries(name, entries);

  const revoked = matching.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob));
  if (revoked) {
    return {
      ok: false,
      kind: 'revoked',
      message: `REVOKED HOST KEY for ${where}: its ${type} key ${fp} is marked @revoked in ${revoked.file}:${revoked.line}; refusing to connect, nothing was run on the host.`,
    };
  }

  if (pinned !== undefined) {
    if (unpadded(pinned) === fp) return { ok: true, how: `pinned fingerprint ${fp}` };
    return {
      ok: false,
      kind: 'pin-mismatch',
      message:
        `HOST KEY MISMATCH for ${where}: the server presents ${type} ${fp} but host_key pins ${pinned.trim()}; nothing was run on the host.\n` +
        `Someone may be intercepting the connection, or the host was reinstalled; update host_key only after checking the new fingerprint on the host itself.`,
    };
  }

  const sameType = matching.filter((e) => e.marker === undefined && e.keyType === type);
  const known = sameType.find((e) => e.keyBlob.equals(keyBlob));
  if (known) return { ok: true, how: `known_hosts ${known.file}:${known.line}` };

  const old = sameType[0];
  if (old) {
    const removeArg = port === 22 || hostAlias !== undefined ? name : `'${name}'`;
    return {
      ok: false,
      kind: 'changed',
      message:
        `HOST KEY CHANGED for ${where}: the server presents ${type} ${fp}, but ${old.file}:${old.line} holds ${sha256Fingerprint(old.keyBlob)}; nothing was run on the host.\n` +
        `Someone may be intercepting the connection, or the host was reinstalled; if the change is expected, remove the old key with: ssh-keygen -R ${removeArg} -f ${old.file}`,
    };
  }

  const others = [...new Set(matching.filter((e) => e.marker === undefined).map((e) => e.keyType))];
  const why = others.length ? `known_hosts has only ${others.join(', ')} keys for it` : 'known_hosts has no key for it';
  return {
    ok: false,
    kind: 'unknown',
    message:
      `UNKNOWN HOST KEY for ${where}: the server presents ${type} ${fp} and ${why}. ` +
      `After checking that fingerprint on the host itself, pin it with "host_key: ${fp}" or add this line to known_hosts:\n` +
      `${name} ${type} ${keyBlob.toString('base64')}`,
  };
}

function expandTilde(file: string): string {
  if (file === '~') return homedir();
  return file.startsWith('~/') ? path.join(homedir(), file.slice(2)) : file;
}

/** Reads and parses known_hosts files in order; missing files count as empty, other read errors throw. */
export async function readKnownHosts(files: string[]): Promise<KnownHostsEntry[]> {
  const all: KnownHostsEntry[] = [];
  for (const f of files) {
    const file = expandTilde(f);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new HostError(`cannot read known_hosts file ${file}: ${code ?? (e as Error).message}`);
    }
    all.push(...parseKnownHosts(text, file));
  }
  return all;
}
