// One runner per host the spec involves: `local` spawns processes, SSH hosts get one verified
// connection each, opened in parallel. A host that cannot be reached fails only what needs it.
import { HostError } from '../errors.js';
import type { Spec } from '../types.js';
import { LocalRunner, localZfsProblem } from './local.js';
import type { CommandRunner } from './runner.js';
import { connectSsh, resolveSsh } from './ssh/connect.js';
import { SshRunner } from './ssh/runner.js';

export interface Connections {
  runners: Map<string, CommandRunner>;
  /** Hosts that could not be reached, with the one-line reason. */
  unreachable: Map<string, string>;
}

export async function connectHosts(spec: Spec, hosts: Iterable<string>): Promise<Connections> {
  const runners = new Map<string, CommandRunner>();
  const unreachable = new Map<string, string>();
  await Promise.all(
    [...hosts].map(async (name) => {
      const h = spec.hosts[name];
      if (!h) throw new Error(`connectHosts: unknown host '${name}'`);
      const invocation = { zfs: h.zfs, sudo: h.sudo };
      if (!h.ssh) {
        const problem = await localZfsProblem(h.zfs, process.env.PATH, `hosts.${name}.zfs`);
        if (problem) unreachable.set(name, `${name}: ${problem}`);
        else runners.set(name, new LocalRunner(invocation));
        return;
      }
      try {
        const resolved = await resolveSsh(h);
        const connection = await connectSsh(resolved);
        runners.set(name, new SshRunner(name, connection, invocation, `${resolved.user}@${resolved.hostName}:${resolved.port}`));
      } catch (e) {
        if (!(e instanceof HostError)) throw e;
        unreachable.set(name, e.message);
      }
    }),
  );
  return { runners, unreachable };
}

export async function closeAll(runners: Map<string, CommandRunner>): Promise<void> {
  await Promise.all([...runners.values()].map((r) => r.close()));
}
