import type { Action, Plan, PlanSummary } from '../types.js';
import { kindOf } from '../kinds/index.js';

export function summarize(actions: readonly Action[]): PlanSummary {
  const s: PlanSummary = { sends: 0, sendBytes: 0, sendsWithoutSize: 0, snapshots: 0, creates: 0, destroys: 0, rollbacks: 0, conflicts: 0 };
  for (const a of actions) kindOf(a).count(s, a);
  return s;
}

/** Anything to show: actions to run, or conflicts that need a person (both make --detailed-exitcode 2). */
export function hasChanges(p: Plan): boolean {
  return p.actions.length > 0;
}
