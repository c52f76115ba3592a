// Opens one verified ssh2 connection to a host: the host key is checked (known_hosts or a
// pinned fingerprint) before any command can run, and every failure becomes one line that
// names the host.
import { Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import * as path from 'node:path';
import { Client, type AnyAuthMethod, type AuthenticationType, type ConnectConfig } from 'ssh2';
import { HostError } from '../../errors.js';
import type { HostSpec } from '../../types.js';
import { knownKeyTypes, readKnownHosts, verifyHostKey, type HostKeyVerdict } from './known-hosts.js';
import { loadSshConfig } from './ssh-config.js';

export const DEFAULT_CONNECT_TIMEOUT_S = 10;
/** Keepalives every 5 s, 3 unanswered: a dead link fails its actions within ~20 s. */
const KEEPALIVE_MS = 5000;
const KEEPALIVE_COUNT = 3;

export interface ResolvedSsh {
  /** The spec's host name (`nas`). */
  name: string;
  /** What is connected to, after ~/.ssh/config (HostName). */
  hostName: string;
  port: number;
  user: string;
  identityFiles: string[];
  knownHostsFiles: string[];
  pinned?: string;
  /** ~/.ssh/config's HostKeyAlias: the name looked up in known_hosts. */
  hostKeyAlias?: string;
  connectTimeoutS: number;
  ciphers?: string[];
}

const expandHome = (p: string) => (p === '~' ? homedir() : p.startsWith('~/') ? path.join(homedir(), p.slice(2)) : p);

const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
const DEFAULT_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2', '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

/** The spec's ssh settings, completed from ~/.ssh/config (the spec wins) and OpenSSH's defaults. */
export async function resolveSsh(h: HostSpec, configFile?: string): Promise<ResolvedSsh> {
  const ssh = h.ssh!;
  const cfg = await loadSshConfig(ssh.host, configFile);
  const r: ResolvedSsh = {
    name: h.name,
    hostName: cfg.hostName || ssh.host,
    port: ssh.port ?? cfg.port ?? 22,
    user: ssh.user ?? cfg.user ?? userInfo().username,
    identityFiles: (ssh.identity ? [ssh.identity] : cfg.identityFiles.length ? cfg.identityFiles : []).map(expandHome),
    knownHostsFiles: (ssh.knownHosts ? [ssh.knownHosts] : cfg.userKnownHostsFiles ?? DEFAULT_KNOWN_HOSTS).map(expandHome),
    connectTimeoutS: ssh.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S,
  };
  if (ssh.hostKey) r.pinned = ssh.hostKey;
  if (ssh.ciphers) r.ciphers = ssh.ciphers;
  if (cfg.hostKeyAlias) r.hostKeyAlias = cfg.hostKeyAlias;
  if (cfg.proxyJump) {
    throw new HostError(`${h.name}: ~/.ssh/config gives ${ssh.host} a ProxyJump (${cfg.proxyJump}), which zfsync does not support yet; reach the host directly or through a tunnel`);
  }
  return r;
}

const where = (r: ResolvedSsh) => `${r.user}@${r.hostName}:${r.port}`;

interface Login {
  method: AnyAuthMethod;
  label: string;
}

/** Each way to log in, in the order OpenSSH tries them: named keys (then the agent), or the agent then the default key files. */
async function logins(r: ResolvedSsh): Promise<{ logins: Login[]; problems: string[] }> {
  const out: Login[] = [];
  const problems: string[] = [];
  const agent = process.env.SSH_AUTH_SOCK;
  const explicit = r.identityFiles.length > 0;
  const viaAgent = (): Login => ({ method: { type: 'agent', username: r.user, agent: agent! }, label: 'ssh-agent' });
  if (!explicit && agent) out.push(viaAgent());
  for (const file of explicit ? r.identityFiles : DEFAULT_IDENTITIES.map(expandHome)) {
    try {
      out.push({ method: { type: 'publickey', username: r.user, key: await readFile(file) }, label: `key ${file}` });
    } catch (e) {
      if (explicit) problems.push(`cannot read identity ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (explicit && agent) out.push(viaAgent());
  return { logins: out, problems };
}

/** Connects and verifies; resolves with a ready client, or rejects with a one-line HostError. */
/** The ssh2 client and the TCP socket under it (the runner corks it around large writes). */
export interface SshConnection {
  client: Client;
  socket: Socket;
}

export async function connectSsh(r: ResolvedSsh): Promise<SshConnection> {
  const entries = await readKnownHosts(r.knownHostsFiles);
  const { logins: queue, problems } = await logins(r);
  if (queue.length === 0) {
    throw new HostError(`${r.name}: no way to log in to ${where(r)}: ${problems.join('; ') || 'no identity file and no ssh-agent (SSH_AUTH_SOCK)'}`);
  }
  const tried: string[] = [];
  let verdict: HostKeyVerdict | undefined;
  const client = new Client();
  const socket = new Socket();

  const hostTypes = knownKeyTypes(r.hostName, r.port, entries, r.hostKeyAlias);
  const config: ConnectConfig = {
    sock: socket,
    username: r.user,
    readyTimeout: r.connectTimeoutS * 1000,
    keepaliveInterval: KEEPALIVE_MS,
    keepaliveCountMax: KEEPALIVE_COUNT,
    hostVerifier: (key: Buffer) => {
      const input: Parameters<typeof verifyHostKey>[0] = { host: r.hostName, port: r.port, keyBlob: key, entries };
      if (r.pinned) input.pinned = r.pinned;
      if (r.hostKeyAlias) input.hostAlias = r.hostKeyAlias;
      verdict = verifyHostKey(input);
      return verdict.ok;
    },
    authHandler: (_left: AuthenticationType[], _partial: boolean, next) => {
      const login = queue.shift();
      if (!login) return next(false as never);
      tried.push(login.label);
      next(login.method);
    },
  };
  if (hostTypes.length) config.algorithms = { serverHostKey: preferHostKeys(hostTypes) as never };
  if (r.ciphers) config.algorithms = { ...config.algorithms, cipher: r.ciphers as never };

  return new Promise<SshConnection>((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(new HostError(`${r.name}: ${message}`));
    };
    client.once('ready', () => {
      settled = true;
      resolve({ client, socket });
    });
    client.on('error', (e: Error & { level?: string; code?: string }) => {
      if (verdict && !verdict.ok) return fail(verdict.message);
      if (e.level === 'client-authentication') {
        return fail(`authentication failed as ${where(r)} (tried ${tried.join(', ') || 'nothing'})${problems.length ? `; ${problems.join('; ')}` : ''}`);
      }
      if (e.level === 'client-timeout' || /Timed out while waiting for handshake/.test(e.message)) {
        return fail(`timed out connecting to ${where(r)} after ${r.connectTimeoutS}s (hosts.${r.name}.ssh.connect_timeout)`);
      }
      if (e.code === 'ECONNREFUSED') return fail(`connection refused by ${r.hostName}:${r.port}`);
      if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return fail(`cannot resolve host name ${r.hostName} (DNS: ${e.code})`);
      if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return fail(`${r.hostName}:${r.port} is unreachable (${e.code})`);
      fail(`cannot connect to ${where(r)}: ${e.message}`);
    });
    client.on('close', () => fail(verdict && !verdict.ok ? verdict.message : `connection to ${where(r)} closed during the handshake`));
    client.connect(config);
    socket.connect({ host: r.hostName, port: r.port });
  });
}

/** Server host-key algorithms for the key types known_hosts has, first (as OpenSSH orders them), then the rest. */
function preferHostKeys(known: string[]): string[] {
  const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [...known.filter((k) => all.includes(k)), ...all.filter((k) => !known.includes(k))];
}
