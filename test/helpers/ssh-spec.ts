// Spec snippets for hosts served by the test sshd (test/helpers/sshd.ts).
import type { SshServer } from './sshd.js';

/** A `hosts:` entry (two-space indented) for the test server; `extra` goes inside `ssh: { ... }`. */
export function sshHost(name: string, s: Pick<SshServer, 'port' | 'user' | 'clientKey' | 'knownHostsFile'>, extra = ''): string {
  return `  ${name}:
    ssh: { host: 127.0.0.1, port: ${s.port}, user: ${s.user}, identity: "${s.clientKey}", known_hosts: "${s.knownHostsFile}"${extra} }
`;
}
