// The UTC periods retention counts in. Each maps a time (unix seconds) to a number that is
// equal for two times exactly when they fall in the same period.
import type { RetentionSpec } from '../types.js';

export type Period = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
export type Rule = 'last' | Period;

/** In the order a policy is written and shown. */
export const RULES: readonly Rule[] = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'];

const DAY = 86400;

export const bucketOf: Record<Period, (t: number) => number> = {
  hourly: (t) => Math.floor(t / 3600),
  daily: (t) => Math.floor(t / DAY),
  // ISO weeks start on Monday; 1970-01-01 was a Thursday, so Monday 1969-12-29 starts week 0.
  weekly: (t) => Math.floor((Math.floor(t / DAY) + 3) / 7),
  monthly: (t) => {
    const d = new Date(t * 1000);
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  },
  yearly: (t) => new Date(t * 1000).getUTCFullYear(),
};

/** `daily:7, last:10` style, in RULES order, for the rules that keep anything. */
export function describePolicy(p: RetentionSpec): string {
  return RULES.filter((r) => (p[r] ?? 0) > 0).map((r) => `${r}:${p[r]}`).join(', ');
}

/** A policy that keeps nothing would destroy every zfsync snapshot: the spec refuses it. */
export function keepsNothing(p: RetentionSpec): boolean {
  return RULES.every((r) => (p[r] ?? 0) === 0);
}
