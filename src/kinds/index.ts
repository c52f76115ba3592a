// kind -> its definition. Adding an action kind: its type in src/types.ts, its JSON shape in
// schemas/plan.schema.json, a file in this folder, and one line here (the compiler asks for it).
import type { Action, ActionKind } from '../types.js';
import type { KindDef } from './kind.js';
import { abortKind } from './abort.js';
import { baseKind } from './base.js';
import { conflictKind } from './conflict.js';
import { createKind } from './create.js';
import { destroyKind } from './destroy.js';
import { holdKind } from './hold.js';
import { rebuildKind } from './rebuild.js';
import { renameKind } from './rename.js';
import { resumeKind } from './resume.js';
import { rollbackKind } from './rollback.js';
import { sendKind } from './send.js';
import { setKind } from './set.js';
import { snapshotKind } from './snapshot.js';

export type { Head, KindDef, Tone } from './kind.js';

const KINDS: { [K in ActionKind]: KindDef<Extract<Action, { kind: K }>> } = {
  snapshot: snapshotKind,
  create: createKind,
  send: sendKind,
  rollback: rollbackKind,
  conflict: conflictKind,
  destroy: destroyKind,
  set: setKind,
  rename: renameKind,
  hold: holdKind,
  resume: resumeKind,
  abort: abortKind,
  base: baseKind,
  rebuild: rebuildKind,
};

export function kindOf<A extends Action>(a: A): KindDef<A> {
  return KINDS[a.kind as ActionKind] as unknown as KindDef<A>;
}
