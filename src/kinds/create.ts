import type { CreateAction } from '../types.js';
import { clearPlaceholderArgv, createParentArgv } from '../zfs/commands.js';
import { runOn, type KindDef } from './kind.js';

export const clearsText = (parent: string | undefined): string => (parent ? `, clears the placeholder marker of ${parent}` : '');

export const createKind: KindDef<CreateAction> = {
  head: (a) => ({
    symbol: '+',
    verb: 'create',
    subject: `${a.host}: ${a.dataset}`,
    detail: Object.entries(a.properties).map(([k, v]) => `${k}=${v}`).join(', ') + clearsText(a.clearsMarker),
    tone: 'add',
  }),
  title: (a) => `create ${a.host}: ${a.dataset}`,
  steps(a, hostInfo) {
    const { zfs } = hostInfo(a.host);
    const argvs = a.clearsMarker ? [clearPlaceholderArgv(zfs, a.clearsMarker)] : [];
    argvs.push(createParentArgv(zfs, a.dataset, a.properties));
    return runOn(a.host, argvs);
  },
  count: (s) => void s.creates++,
};
