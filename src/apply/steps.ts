// The concrete commands that carry out a plan action, in order: each kind builds its own
// (src/kinds); this file holds the shapes they share.
import type { Action, Capabilities } from '../types.js';
import type { Stage } from './pipe.js';
import { kindOf } from '../kinds/index.js';

export interface HostInfo {
  zfs: string;
  capabilities: Capabilities;
}

export interface PipeStep {
  kind: 'pipe';
  send: { host: string; stages: Stage[] };
  receive: { host: string; stages: Stage[] };
  bandwidthLimit?: number;
  countOnSender?: boolean;
}

export type Step =
  | { kind: 'run'; host: string; argv: string[] }
  | PipeStep
  /** Read back the guids of snapshots just made or received (read-only). */
  | { kind: 'guids'; host: string; snapshots: string[] }
  /** Check that a dataset received with receive.mount false is not mounted (read-only). */
  | { kind: 'unmounted'; host: string; dataset: string };

export function actionSteps(action: Action, hostInfo: (host: string) => HostInfo): Step[] {
  return kindOf(action).steps(action, hostInfo);
}
