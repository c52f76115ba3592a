import { NotSupportedError } from '../errors.js';
import type { Spec } from '../types.js';
import { LocalRunner } from './local.js';
import type { CommandRunner } from './runner.js';

/** One runner per host the spec involves. */
export function connectHosts(spec: Spec, hosts: Iterable<string>): Map<string, CommandRunner> {
  const out = new Map<string, CommandRunner>();
  for (const name of hosts) {
    const h = spec.hosts[name];
    if (!h || h.ssh) throw new NotSupportedError(`not supported yet: hosts.${name}.ssh`);
    out.set(name, new LocalRunner({ zfs: h.zfs, sudo: h.sudo }));
  }
  return out;
}

export async function closeAll(runners: Map<string, CommandRunner>): Promise<void> {
  await Promise.all([...runners.values()].map((r) => r.close()));
}
