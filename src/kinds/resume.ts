// `~ resume`: an interrupted receive finished with `zfs send -t <token>` (see src/plan/resume.ts).
import type { ResumeAction } from '../types.js';
import { formatBytes } from '../plan/format.js';
import { snap } from '../zfs/commands.js';
import type { KindDef } from './kind.js';
import { hostsOf, streamPipe, transportText } from './send.js';

export const resumeKind: KindDef<ResumeAction> = {
  /** `local: tank/vm @a -> @b => backup/vm` / `1.2 MiB received, ~800 KiB left, zfs send -t (token flags: none)`. */
  head(a) {
    const range = a.from ? `@${a.from.name} -> @${a.to.name}` : `@${a.to.name}`;
    const left = a.bytes !== undefined ? `~${formatBytes(a.bytes)} left` : 'size left unknown';
    return {
      symbol: '~',
      verb: 'resume',
      subject: `${hostsOf(a)}: ${a.source.dataset} ${range} => ${a.target.dataset}`,
      detail: `${formatBytes(a.receivedBytes)} received, ${left}, zfs send -t (token flags: ${a.flags.join(', ') || 'none'})${transportText(a.transport)}`,
      tone: 'change',
    };
  },
  title: (a) => `resume ${a.source.host === a.target.host ? '' : `${hostsOf(a)}: `}${a.source.dataset}${a.from ? `@${a.from.name} ->` : ''} @${a.to.name} => ${a.target.dataset}`,
  steps(a, hostInfo) {
    return [
      streamPipe(a, hostInfo(a.source.host), hostInfo(a.target.host), a.from === undefined),
      { kind: 'guids', host: a.target.host, snapshots: [snap(a.target.dataset, a.to.name)] },
    ];
  },
  count(s, a) {
    s.sends++;
    if (a.bytes === undefined) s.sendsWithoutSize++;
    else s.sendBytes += a.bytes;
  },
};
