import type { Action, Plan, PlanSummary } from '../types.js';

export function summarize(actions: readonly Action[]): PlanSummary {
  const s: PlanSummary = { sends: 0, sendBytes: 0, sendsWithoutSize: 0, snapshots: 0, creates: 0, destroys: 0, rollbacks: 0, conflicts: 0 };
  for (const a of actions) {
    switch (a.kind) {
      case 'send':
        s.sends++;
        if (a.bytes === undefined) s.sendsWithoutSize++;
        else s.sendBytes += a.bytes;
        break;
      case 'snapshot':
        s.snapshots++;
        break;
      case 'create':
        s.creates++;
        break;
      case 'rollback':
        s.rollbacks++;
        s.destroys += a.destroys.length;
        break;
      case 'conflict':
        s.conflicts++;
        break;
      case 'destroy':
        s.destroys += a.snapshots.length;
        break;
      case 'set':
        s.sets = (s.sets ?? 0) + 1;
        break;
    }
  }
  return s;
}

/** Anything to show: actions to run, or conflicts that need a person (both make --detailed-exitcode 2). */
export function hasChanges(p: Plan): boolean {
  return p.actions.length > 0;
}
