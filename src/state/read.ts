// Reads the real state of every host the spec involves: a capability probe, then one
// batched listing of the pools involved. Never one round trip per dataset.
import { HostError } from '../errors.js';
import { runScript, type CommandRunner } from '../host/runner.js';
import type { HostState, Spec, State } from '../types.js';
import { PROBE_SCRIPT, parseProbe, probeProblem } from '../zfs/capabilities.js';
import { parseStateOutput, stateReadArgv } from '../zfs/state-read.js';

const poolOf = (dataset: string): string => dataset.split('/')[0]!;

/** host -> pools that must be read for this spec. */
export function poolsToRead(spec: Spec): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (host: string, dataset: string) => {
    let set = out.get(host);
    if (!set) out.set(host, (set = new Set()));
    set.add(poolOf(dataset));
  };
  for (const src of Object.values(spec.sources)) for (const d of src.datasets) add(src.host, d);
  for (const pair of spec.replicate) {
    const t = spec.targets[pair.to];
    if (t) add(t.host, t.dataset);
  }
  return out;
}

export async function readHostState(runner: CommandRunner, zfs: string, pools: readonly string[]): Promise<HostState> {
  const probe = await runScript(runner, PROBE_SCRIPT);
  if (!/@@end/.test(probe.stdout)) {
    throw new HostError(`${runner.host}: capability probe failed: ${probe.stderrTail.trim() || `exit ${probe.exitCode}`}`);
  }
  const problem = probeProblem(probe.stdout);
  if (problem) throw new HostError(`${runner.host}: ${problem}`);
  const caps = parseProbe(probe.stdout);
  const argv = stateReadArgv(zfs, caps, pools);
  const result = await runner.run(argv);
  if (result.exitCode !== 0) {
    const why = result.stderrTail.trim() || `exit ${result.exitCode}`;
    throw new HostError(`${runner.host}: cannot read ZFS state (${runner.describe(argv)}): ${why}`);
  }
  return { host: runner.host, capabilities: caps, pools: [...pools], datasets: parseStateOutput(result.stdout, caps) };
}

/** Reads every connected host; a host whose read fails is reported in `unreachable`, the others go on. */
export async function readState(spec: Spec, runners: ReadonlyMap<string, CommandRunner>): Promise<State> {
  const wanted = poolsToRead(spec);
  const state: State = { hosts: {}, unreachable: {} };
  await Promise.all(
    [...wanted].map(async ([host, pools]) => {
      const runner = runners.get(host);
      if (!runner) return; // not connected: the connection error is already recorded
      try {
        state.hosts[host] = await readHostState(runner, spec.hosts[host]?.zfs ?? 'zfs', [...pools].sort());
      } catch (e) {
        if (!(e instanceof HostError)) throw e;
        state.unreachable![host] = e.message;
      }
    }),
  );
  return state;
}
