// `rename`: a replica moved aside (kept, never destroyed), e.g. the old lineage of a member a
// rebase group rebuilt, so the member can be received anew under its name.
import type { RenameAction } from '../types.js';
import { renameArgv } from '../zfs/commands.js';
import { runOn, type KindDef } from './kind.js';

export const renameKind: KindDef<RenameAction> = {
  head: (a) => ({ symbol: '~', verb: 'rename', subject: `${a.host}: ${a.dataset} -> ${a.to}`, detail: 'kept; zfsync never destroys it', tone: 'change' }),
  title: (a) => `rename ${a.host}: ${a.dataset} -> ${a.to}`,
  steps: (a, hostInfo) => runOn(a.host, [renameArgv(hostInfo(a.host).zfs, a.dataset, a.to)]),
  count: (s) => void (s.renames = (s.renames ?? 0) + 1),
};
