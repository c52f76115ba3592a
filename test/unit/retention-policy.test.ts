// Retention policy on a fake clock: UTC buckets, their edges, and restic's counting of only the
// periods that hold a snapshot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketOf, describePolicy, keepsNothing } from '../../src/retention/buckets.js';
import { judge, type Protection } from '../../src/retention/judge.js';
import { keptByPolicy } from '../../src/retention/policy.js';
import { snapshotName } from '../../src/plan/snapshot-names.js';
import type { RetentionSpec } from '../../src/types.js';

const P = 'zfsync';
const at = (iso: string) => ({ name: snapshotName(P, new Date(iso)), time: Date.parse(iso) / 1000 });
const stamp = (iso: string) => snapshotName(P, new Date(iso)).slice(P.length + 1);
/** The kept ISO times with their rules, newest first as the policy walks them. */
function kept(policy: RetentionSpec, isos: string[]): Record<string, string[]> {
  const m = keptByPolicy(policy, isos.map(at));
  return Object.fromEntries([...m].map(([name, rules]) => [name.slice(P.length + 1), rules]));
}
const sec = (iso: string) => Date.parse(iso) / 1000;

describe('retention buckets (UTC)', () => {
  it('hour and day edges: one second apart are two buckets', () => {
    assert.notEqual(bucketOf.hourly(sec('2026-11-01T10:59:59Z')), bucketOf.hourly(sec('2026-11-01T11:00:00Z')));
    assert.equal(bucketOf.hourly(sec('2026-11-01T11:00:00Z')), bucketOf.hourly(sec('2026-11-01T11:59:59Z')));
    assert.notEqual(bucketOf.daily(sec('2026-11-01T23:59:59Z')), bucketOf.daily(sec('2026-11-02T00:00:00Z')));
    assert.equal(bucketOf.daily(sec('2026-11-02T00:00:00Z')), bucketOf.daily(sec('2026-11-02T23:59:59Z')));
  });

  it('weeks start on Monday (ISO), also across a year boundary', () => {
    // 2026-11-29 is a Sunday, 2026-11-30 a Monday.
    assert.notEqual(bucketOf.weekly(sec('2026-11-29T23:59:59Z')), bucketOf.weekly(sec('2026-11-30T00:00:00Z')));
    assert.equal(bucketOf.weekly(sec('2026-11-30T00:00:00Z')), bucketOf.weekly(sec('2026-12-06T23:59:59Z')));
    // 2026-12-28 (Mon) .. 2027-01-03 (Sun) is one ISO week.
    assert.equal(bucketOf.weekly(sec('2026-12-28T00:00:00Z')), bucketOf.weekly(sec('2027-01-03T23:59:59Z')));
    assert.notEqual(bucketOf.weekly(sec('2027-01-03T23:59:59Z')), bucketOf.weekly(sec('2027-01-04T00:00:00Z')));
  });

  it('months and years, leap days included', () => {
    assert.equal(bucketOf.monthly(sec('2028-02-29T23:59:59Z')), bucketOf.monthly(sec('2028-02-01T00:00:00Z')));
    assert.notEqual(bucketOf.monthly(sec('2028-02-29T23:59:59Z')), bucketOf.monthly(sec('2028-03-01T00:00:00Z')));
    assert.equal(bucketOf.monthly(sec('2027-01-01T00:00:00Z')) - bucketOf.monthly(sec('2026-12-31T23:59:59Z')), 1);
    assert.notEqual(bucketOf.daily(sec('2028-02-28T12:00:00Z')), bucketOf.daily(sec('2028-02-29T12:00:00Z')));
    assert.equal(bucketOf.yearly(sec('2026-12-31T23:59:59Z')) + 1, bucketOf.yearly(sec('2027-01-01T00:00:00Z')));
  });

  it('describes a policy in a fixed order and knows one that keeps nothing', () => {
    assert.equal(describePolicy({ daily: 7, last: 10, yearly: 0 }), 'last:10, daily:7');
    assert.equal(keepsNothing({}), true);
    assert.equal(keepsNothing({ last: 0, daily: 0 }), true);
    assert.equal(keepsNothing({ yearly: 1 }), false);
  });
});

describe('keptByPolicy', () => {
  it('last keeps the newest N whatever order they come in', () => {
    const got = kept({ last: 2 }, ['2026-11-03T00:00:00Z', '2026-11-01T00:00:00Z', '2026-11-04T00:00:00Z', '2026-11-02T00:00:00Z']);
    assert.deepEqual(got, { [stamp('2026-11-04T00:00:00Z')]: ['last:2'], [stamp('2026-11-03T00:00:00Z')]: ['last:2'] });
  });

  it('daily keeps the newest of each day, and days without a snapshot are not counted', () => {
    const got = kept({ daily: 3 }, [
      '2026-11-01T06:00:00Z', '2026-11-01T18:00:00Z', // day 1: 18:00 is its newest
      '2026-11-05T01:00:00Z', // (gap of three empty days: not counted)
      '2026-11-06T00:00:00Z', '2026-11-06T23:59:59Z',
    ]);
    assert.deepEqual(Object.keys(got).sort(), [stamp('2026-11-01T18:00:00Z'), stamp('2026-11-05T01:00:00Z'), stamp('2026-11-06T23:59:59Z')]);
  });

  it('buckets at month and year ends, over a leap day', () => {
    const got = kept({ monthly: 2, yearly: 2 }, ['2027-12-31T23:59:59Z', '2028-01-01T00:00:00Z', '2028-02-28T00:00:00Z', '2028-02-29T12:00:00Z']);
    assert.deepEqual(got, {
      [stamp('2028-02-29T12:00:00Z')]: ['monthly:2', 'yearly:2'],
      [stamp('2028-01-01T00:00:00Z')]: ['monthly:2'],
      [stamp('2027-12-31T23:59:59Z')]: ['yearly:2'],
    });
  });

  it('last combined with buckets: one snapshot may be kept by several rules; the union is kept', () => {
    const isos = Array.from({ length: 48 }, (_, i) => new Date(Date.parse('2026-11-01T00:30:00Z') + i * 3600_000).toISOString());
    const got = kept({ last: 3, hourly: 5, daily: 2 }, isos);
    const newest = stamp('2026-11-02T23:30:00Z');
    assert.deepEqual(got[newest], ['last:3', 'hourly:5', 'daily:2']);
    assert.deepEqual(got[stamp('2026-11-01T23:30:00Z')], ['daily:2']);
    assert.equal(Object.keys(got).length, 6, 'hourly 5 (including the 3 last) + the newest of the day before');
  });

  it('a policy count above the snapshots there are keeps them all', () => {
    assert.equal(Object.keys(kept({ weekly: 52 }, ['2026-11-01T00:00:00Z', '2026-11-09T00:00:00Z'])).length, 2);
  });
});

describe('judge (one dataset)', () => {
  const names = ['2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z', '2026-11-04T00:00:00Z'].map((i) => at(i).name);

  it('only zfsync snapshots of this prefix count; foreign names are never judged', () => {
    const all = ['manual-before-upgrade', 'other_20261101T000000Z', `${P}_2026110T000000Z`, ...names];
    const j = judge(P, { last: 1 }, all, new Map());
    assert.deepEqual(j.verdicts.map((v) => v.name), names);
    assert.deepEqual(j.destroy, names.slice(0, 3));
  });

  it('a protection keeps what the policy drops, and says why', () => {
    const shields = new Map<string, Protection>([[names[0]!, 'newest common snapshot'], [names[1]!, 'held']]);
    const j = judge(P, { last: 1 }, names, shields);
    assert.deepEqual(j.destroy, [names[2]]);
    assert.deepEqual(j.verdicts.map((v) => `${v.keep ? 'keep' : 'destroy'} ${v.why}`.trim()), ['keep newest common snapshot', 'keep held', 'destroy', 'keep last:1']);
    assert.equal(j.keptByPolicy, 1);
    assert.equal(j.protectedCount, 2);
  });
});
