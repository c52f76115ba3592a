// Resolves a host alias through ~/.ssh/config. Parsing and Host/Match matching are the
// `ssh-config` package's (first obtained value wins, IdentityFile accumulates); this module
// only turns its computed values into typed ones and expands `~` and %-tokens as ssh does.
import { readFile } from 'node:fs/promises';
import { homedir, hostname, userInfo } from 'node:os';
import * as path from 'node:path';
import SSHConfig from 'ssh-config';
import { ZfsyncError } from '../../errors.js';

export interface ResolvedSshConfig {
  /** HostName (with %h expanded), else the alias itself. */
  hostName: string;
  port?: number;
  user?: string;
  /** Every IdentityFile that applies, in order, expanded. */
  identityFiles: string[];
  proxyJump?: string;
  /** Expanded; `[]` for `UserKnownHostsFile none`, unset when the config does not say. */
  userKnownHostsFiles?: string[];
  hostKeyAlias?: string;
}

export interface SshConfigOptions {
  home: string;
  localUser: string;
  /** Names the config in error messages. */
  file?: string;
}

/** A Port, %-token or similar in ~/.ssh/config that ssh itself would refuse. */
export class SshConfigError extends ZfsyncError {
  override name = 'SshConfigError';
}

function expandTilde(value: string, home: string): string {
  if (value === '~') return home;
  return value.startsWith('~/') ? path.join(home, value.slice(2)) : value;
}

/** OpenSSH's percent_expand: every `%x` must be a known token, `%%` is a literal `%`. */
function percentExpand(value: string, tokens: Record<string, string>, what: string): string {
  return value.replace(/%(.?)/gs, (_, key: string) => {
    const v = key === '%' ? '%' : tokens[key];
    if (v === undefined) throw new SshConfigError(`${what}: ${key ? `unsupported token %${key}` : 'a lone % at the end'} in '${value}'`);
    return v;
  });
}

const str = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Resolves `alias` against ssh_config text as ssh would (Host/Match blocks, first value wins, tokens expanded). */
export function resolveSshConfig(alias: string, configText: string, opts: SshConfigOptions): ResolvedSshConfig {
  const where = `${opts.file ?? 'ssh config'}: Host ${alias}`;
  // matchExec: false, because resolving a name must not run commands from the config.
  const computed = SSHConfig.parse(configText).compute(alias, { ignoreCase: true, matchExec: false });

  const hostNameRaw = str(computed.hostname);
  const hostName = hostNameRaw === undefined ? alias : percentExpand(hostNameRaw, { h: alias }, `${where}: HostName`);

  const out: ResolvedSshConfig = { hostName, identityFiles: [] };

  const portRaw = str(computed.port);
  if (portRaw !== undefined) {
    const port = /^\d{1,5}$/.test(portRaw) ? Number(portRaw) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new SshConfigError(`${where}: Port '${portRaw}' is not a port number (1-65535)`);
    out.port = port;
  }
  const user = str(computed.user);
  if (user !== undefined) out.user = user;

  const tokens: Record<string, string> = {
    d: opts.home,
    h: hostName,
    n: alias,
    p: String(out.port ?? 22),
    r: out.user ?? opts.localUser,
    u: opts.localUser,
    l: hostname(),
    L: hostname().split('.')[0]!,
  };
  const uid = process.getuid?.();
  if (uid !== undefined) tokens.i = String(uid);
  const expandPath = (v: string, directive: string) => percentExpand(expandTilde(v, opts.home), tokens, `${where}: ${directive}`);

  out.identityFiles = list(computed.identityfile).map((f) => expandPath(f, 'IdentityFile'));

  const jump = str(computed.proxyjump);
  if (jump !== undefined && jump.toLowerCase() !== 'none') out.proxyJump = jump;

  const known = list(computed.userknownhostsfile);
  if (known.length === 1 && known[0]!.toLowerCase() === 'none') out.userKnownHostsFiles = [];
  else if (known.length) out.userKnownHostsFiles = known.map((f) => expandPath(f, 'UserKnownHostsFile'));

  const keyAlias = str(computed.hostkeyalias);
  if (keyAlias !== undefined) out.hostKeyAlias = keyAlias;
  return out;
}

/** resolveSshConfig on a config file (default ~/.ssh/config); a missing file resolves the alias to itself. */
export async function loadSshConfig(alias: string, file = '~/.ssh/config'): Promise<ResolvedSshConfig> {
  const home = homedir();
  const resolved = expandTilde(file, home);
  let text: string;
  try {
    text = await readFile(resolved, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { hostName: alias, identityFiles: [] };
    throw new SshConfigError(`cannot read ssh config ${resolved}: ${code ?? (e as Error).message}`);
  }
  return resolveSshConfig(alias, text, { home, localUser: localUserName(), file: resolved });
}

function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    // userInfo() throws when the uid has no passwd entry (some containers).
    return process.env.USER ?? process.env.LOGNAME ?? '';
  }
}
