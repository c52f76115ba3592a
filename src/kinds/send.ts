import type { SendAction, SendTransport, StreamAction } from '../types.js';
import { formatBytes, plural } from '../plan/format.js';
import { COUNTER } from '../apply/pipe.js';
import { receiverTransport, senderTransport } from '../apply/transport.js';
import type { HostInfo, PipeStep, Step } from '../apply/steps.js';
import { clearPlaceholderArgv, mountAfterReceiveArgvs, placeholderArgv, receiveArgv, receivedPropertyArgvs, sendArgv, sendFlagArgs, sendSpecOf, settleCloneArgvs, snap } from '../zfs/commands.js';
import { clearsText } from './create.js';
import type { KindDef } from './kind.js';

/** `local`, `local -> nas`, `nas -> local`, `pve1 -> nas via local`. */
export function hostsOf(a: StreamAction): string {
  const { host: from } = a.source;
  const { host: to } = a.target;
  if (from === to) return from;
  return from !== 'local' && to !== 'local' ? `${from} -> ${to} via local` : `${from} -> ${to}`;
}

export function transportText(t: SendTransport | undefined): string {
  if (!t) return '';
  const parts = [t.compress ?? 'uncompressed'];
  if (t.bufferBytes) parts.push(`mbuffer ${formatBytes(t.bufferBytes)}`);
  if (t.bandwidthLimit) parts.push(`limit ${formatBytes(t.bandwidthLimit)}/s`);
  return `, ${parts.join(', ')}`;
}

export const sendKind: KindDef<SendAction> = {
  head(a) {
    const range = a.from ? `@${a.from.name} -> @${a.to.name}` : `@${a.to.name}`;
    const what = a.mode === 'clone' ? `${a.origin}@${a.from!.name} -> ${a.source.dataset}@${a.to.name}` : `${a.source.dataset} ${range}`;
    const sendFlags = sendFlagArgs(a.flags).join(' ');
    const flags = (a.mode === 'incremental' ? `${a.intermediates ? '-I' : '-i'}, ${plural(a.snapshotCount, 'snapshot')}` : a.mode === 'clone' ? `-i from its origin, lands as a clone` : 'full stream') + (sendFlags ? `, ${sendFlags}` : '');
    const size = a.bytes !== undefined ? `~${formatBytes(a.bytes)}` : 'size unknown';
    const into = a.receive.placeholder ? ', recv -F into an empty placeholder' : a.receive.force ? ', recv -F' : '';
    return {
      symbol: a.mode === 'incremental' ? '~' : '+',
      verb: `send ${a.mode}`,
      subject: `${hostsOf(a)}: ${what} => ${a.target.dataset}`,
      detail: `${flags}, ${size}${into}${transportText(a.transport)}${clearsText(a.clearsMarker)}`,
      tone: a.mode === 'incremental' ? 'change' : 'add',
    };
  },
  title: (a) => `send ${a.mode} ${a.source.host === a.target.host ? '' : `${hostsOf(a)}: `}${a.mode === 'clone' ? `${a.origin}@${a.from!.name} -> ${a.source.dataset}` : `${a.source.dataset}${a.from ? `@${a.from.name} ->` : ''}`} @${a.to.name} => ${a.target.dataset}`,
  steps: sendSteps,
  count(s, a) {
    s.sends++;
    if (a.bytes === undefined) s.sendsWithoutSize++;
    else s.sendBytes += a.bytes;
  },
};

function sendSteps(a: SendAction, hostInfo: (host: string) => HostInfo): Step[] {
  const src = hostInfo(a.source.host);
  const dst = hostInfo(a.target.host);
  const t = a.target.dataset;
  const steps: Step[] = [];
  if (a.clearsMarker) steps.push({ kind: 'run', host: a.target.host, argv: clearPlaceholderArgv(dst.zfs, a.clearsMarker) });
  if (a.receive.placeholder === 'create') {
    steps.push({ kind: 'run', host: a.target.host, argv: placeholderArgv(dst.zfs, t, a.receive) });
  }
  steps.push(streamPipe(a, src, dst, a.mode !== 'incremental'));
  if (a.mode === 'clone' && !dst.capabilities.receiveProperties) {
    for (const argv of settleCloneArgvs(dst.zfs, t, a.receive)) steps.push({ kind: 'run', host: a.target.host, argv });
  }
  if (a.receive.placeholder) steps.push({ kind: 'run', host: a.target.host, argv: clearPlaceholderArgv(dst.zfs, t) });
  // A placeholder zfsync created already carries them (placeholderArgv).
  if (a.receive.placeholder !== 'create') {
    for (const argv of receivedPropertyArgvs(dst.zfs, dst.capabilities, t, a.receive)) steps.push({ kind: 'run', host: a.target.host, argv });
  }
  if (a.receive.placeholder && a.receive.mount) {
    for (const argv of mountAfterReceiveArgvs(dst.zfs, t)) steps.push({ kind: 'run', host: a.target.host, argv });
  }
  if (!a.receive.mount) steps.push({ kind: 'unmounted', host: a.target.host, dataset: t });
  steps.push({ kind: 'guids', host: a.target.host, snapshots: [snap(t, a.to.name)] });
  return steps;
}

/** zfs send [| transport] | [transport |] zfs receive, for a send or a resume. */
export function streamPipe(a: StreamAction, src: HostInfo, dst: HostInfo, full: boolean): PipeStep {
  const tr = a.transport ?? {};
  const pipe: PipeStep = {
    kind: 'pipe',
    send: { host: a.source.host, stages: [{ argv: sendArgv(src.zfs, sendSpecOf(a)), what: 'zfs send' }, ...senderTransport(tr, COUNTER)] },
    receive: { host: a.target.host, stages: [...receiverTransport(tr), { argv: receiveArgv(dst.zfs, dst.capabilities, a.target.dataset, a.receive, full), what: 'zfs receive' }] },
  };
  if (tr.bandwidthLimit !== undefined) pipe.bandwidthLimit = tr.bandwidthLimit;
  if (tr.countOnSender) pipe.countOnSender = true;
  return pipe;
}
