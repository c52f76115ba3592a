// Reads the real state of every host the spec involves: a capability probe, then one script
// listing what the spec selects. Two round trips per host, whatever the number of datasets.
import { HostError } from '../errors.js';
import { runScript, scriptArgv, type CommandRunner } from '../host/runner.js';
import type { HostState, Spec, State } from '../types.js';
import { PROBE_SCRIPT, parseProbe, probeProblem } from '../zfs/capabilities.js';
import { StateListingParser, stateReadCalls, stateReadScript, type ListRoot } from '../zfs/state-read.js';
import { propertiesToRead, rootsToRead } from './roots.js';

export async function readHostState(runner: CommandRunner, roots: readonly ListRoot[], properties: readonly string[] = []): Promise<HostState> {
  const probe = await runScript(runner, PROBE_SCRIPT);
  if (!/@@end/.test(probe.stdout)) {
    throw new HostError(`${runner.host}: capability probe failed: ${probe.stderrTail.trim() || `exit ${probe.exitCode}`}`);
  }
  const problem = probeProblem(probe.stdout);
  if (problem) throw new HostError(`${runner.host}: ${problem}`);
  const capabilities = parseProbe(probe.stdout);

  const calls = stateReadCalls(capabilities, roots, properties);
  const parser = new StateListingParser(capabilities, calls);
  const proc = runner.spawn(scriptArgv(runner));
  proc.stdin?.end(stateReadScript(calls));
  for await (const chunk of proc.stdout) parser.push(chunk as Buffer);
  const result = await proc.done;
  const listing = parser.end();
  const failure = listing.errors[0] ?? (!listing.complete || result.exitCode !== 0 ? result.stderrTail.trim() || `exit ${result.exitCode ?? result.signal}` : undefined);
  if (failure !== undefined) throw new HostError(`${runner.host}: cannot read ZFS state: ${failure}`);
  const state: HostState = { host: runner.host, capabilities, roots: roots.map((r) => r.name), missing: listing.missing, datasets: listing.datasets };
  if (properties.length > 0) state.properties = new Map(properties.map((p) => [p, listing.properties.get(p) ?? new Map()]));
  return state;
}

/** Reads every connected host; a host whose read fails is reported in `unreachable`, the others go on. */
export async function readState(spec: Spec, runners: ReadonlyMap<string, CommandRunner>): Promise<State> {
  const state: State = { hosts: {}, unreachable: {} };
  const properties = propertiesToRead(spec);
  await Promise.all(
    [...rootsToRead(spec)].map(async ([host, roots]) => {
      const runner = runners.get(host);
      if (!runner) return; // not connected: the connection error is already recorded
      try {
        state.hosts[host] = await readHostState(runner, roots, properties.get(host));
      } catch (e) {
        if (!(e instanceof HostError)) throw e;
        state.unreachable![host] = e.message;
      }
    }),
  );
  return state;
}
