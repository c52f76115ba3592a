// Turns a plan action into the concrete commands that carry it out, in order.
import type { Action, Capabilities, SendAction } from '../types.js';
import { COUNTER, type Stage } from './pipe.js';
import { receiverTransport as receiverStages, senderTransport as senderStages } from './transport.js';
import {
  clearPlaceholderArgv,
  createParentArgv,
  destroySnapshotsArgv,
  mountAfterReceiveArgvs,
  placeholderArgv,
  receiveArgv,
  rollbackArgv,
  sendArgv,
  sendSpecOf,
  snap,
  snapshotArgv,
} from '../zfs/commands.js';
import { destroyArgvs, destroyCalls } from '../retention/destroy.js';
import { setArgvs } from '../drift/set-action.js';

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
  | { kind: 'guids'; host: string; snapshots: string[] };

export function actionSteps(action: Action, hostInfo: (host: string) => HostInfo): Step[] {
  switch (action.kind) {
    case 'conflict':
      return [];
    case 'snapshot': {
      const { zfs } = hostInfo(action.host);
      const steps: Step[] = action.commands.map((c) => ({
        kind: 'run',
        host: action.host,
        argv: snapshotArgv(zfs, c.datasets.map((d) => snap(d, action.snapshot)), c.recursive),
      }));
      steps.push({ kind: 'guids', host: action.host, snapshots: action.datasets.map((d) => snap(d, action.snapshot)) });
      return steps;
    }
    case 'create': {
      const { zfs } = hostInfo(action.host);
      const steps: Step[] = [];
      if (action.clearsMarker) steps.push({ kind: 'run', host: action.host, argv: clearPlaceholderArgv(zfs, action.clearsMarker) });
      steps.push({ kind: 'run', host: action.host, argv: createParentArgv(zfs, action.dataset, action.properties) });
      return steps;
    }
    case 'rollback': {
      const { zfs, capabilities } = hostInfo(action.host);
      // Exactly the snapshots the plan lists, by name, then the rollback itself (see rollbackArgv).
      const destroys = destroyCalls(action.destroys, capabilities).map((names) => destroySnapshotsArgv(zfs, action.dataset, names));
      return [...destroys, rollbackArgv(zfs, action.dataset, action.to.name)].map((argv) => ({ kind: 'run', host: action.host, argv }));
    }
    case 'send':
      return sendSteps(action, hostInfo);
    case 'destroy':
      return destroyArgvs(hostInfo(action.host).zfs, action).map((argv) => ({ kind: 'run', host: action.host, argv }));
    case 'set':
      return setArgvs(hostInfo(action.host).zfs, action).map((argv) => ({ kind: 'run', host: action.host, argv }));
  }
}

function sendSteps(a: SendAction, hostInfo: (host: string) => HostInfo): Step[] {
  const src = hostInfo(a.source.host);
  const dst = hostInfo(a.target.host);
  const t = a.target.dataset;
  const steps: Step[] = [];
  if (a.clearsMarker) steps.push({ kind: 'run', host: a.target.host, argv: clearPlaceholderArgv(dst.zfs, a.clearsMarker) });
  if (a.receive.placeholder === 'create') {
    steps.push({ kind: 'run', host: a.target.host, argv: placeholderArgv(dst.zfs, t, a.receive) });
  }
  const send = sendSpecOf(a);
  const tr = a.transport ?? {};
  const pipe: PipeStep = {
    kind: 'pipe',
    send: { host: a.source.host, stages: [{ argv: sendArgv(src.zfs, send), what: 'zfs send' }, ...senderStages(tr, COUNTER)] },
    receive: { host: a.target.host, stages: [...receiverStages(tr), { argv: receiveArgv(dst.zfs, dst.capabilities, t, a.receive, a.mode === 'full'), what: 'zfs receive' }] },
  };
  if (tr.bandwidthLimit !== undefined) pipe.bandwidthLimit = tr.bandwidthLimit;
  if (tr.countOnSender) pipe.countOnSender = true;
  steps.push(pipe);
  if (a.receive.placeholder) {
    steps.push({ kind: 'run', host: a.target.host, argv: clearPlaceholderArgv(dst.zfs, t) });
    if (a.receive.mount) {
      for (const argv of mountAfterReceiveArgvs(dst.zfs, t)) steps.push({ kind: 'run', host: a.target.host, argv });
    }
  }
  steps.push({ kind: 'guids', host: a.target.host, snapshots: [snap(t, a.to.name)] });
  return steps;
}
