// The steps every command shares: load the spec, connect to its hosts, read their state.
import { connectHosts, closeAll } from '../host/connect.js';
import type { CommandRunner } from '../host/runner.js';
import type { Emit } from '../io/events.js';
import { estimateSends } from '../plan/estimate.js';
import { plan } from '../plan/planner.js';
import { loadSpec } from '../spec/load.js';
import { describeCapabilities } from '../zfs/capabilities.js';
import { readState } from '../state/read.js';
import { rootsToRead } from '../state/roots.js';
import type { Plan, Spec, State } from '../types.js';

export interface Session {
  spec: Spec;
  state: State;
  runners: Map<string, CommandRunner>;
  /** Aborted when zfsync is told to stop: the session then stops at its next step. */
  signal?: AbortSignal;
  close(): Promise<void>;
}

export async function loadSupportedSpec(file: string): Promise<Spec> {
  const spec = await loadSpec(file);
  return spec;
}

/** Runs once the hosts are connected, before their state is read (apply takes its locks there). */
export type BeforeRead = (spec: Spec, runners: ReadonlyMap<string, CommandRunner>) => Promise<void>;

export async function openSession(specFile: string, emit: Emit, signal?: AbortSignal, beforeRead?: BeforeRead): Promise<Session> {
  const spec = await loadSupportedSpec(specFile);
  const started = performance.now();
  const { runners, unreachable } = await connectHosts(spec, rootsToRead(spec).keys());
  try {
    signal?.throwIfAborted();
    if (beforeRead) await beforeRead(spec, runners);
    signal?.throwIfAborted();
    const state = await readState(spec, runners);
    signal?.throwIfAborted();
    state.unreachable = { ...Object.fromEntries(unreachable), ...state.unreachable };
    for (const [host, error] of Object.entries(state.unreachable)) emit({ type: 'host-failed', host, error });
    for (const hs of Object.values(state.hosts)) {
      let snapshots = 0;
      for (const d of hs.datasets.values()) snapshots += d.snapshots.length;
      emit({ type: 'host-read', host: hs.host, capabilities: describeCapabilities(hs.capabilities), datasets: hs.datasets.size, snapshots, ms: performance.now() - started });
    }
    const session: Session = { spec, state, runners, close: () => closeAll(runners) };
    if (signal) session.signal = signal;
    return session;
  } catch (e) {
    await closeAll(runners);
    throw e;
  }
}

/** The plan of this session, with send sizes from `zfs send -n -P` where the source host has it. */
export async function planSession(session: Session, now: Date): Promise<Plan> {
  const p = await estimateSends(plan(session.spec, session.state, now), session.state, session.runners);
  session.signal?.throwIfAborted();
  return p;
}
