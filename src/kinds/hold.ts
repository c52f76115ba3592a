// Protection's `hold`: moves a pair's hold to its newest common snapshot on each side and
// bookmarks it on the source (see plan/protect.ts). Every hold is placed before any is
// released, so a failure leaves the previous base held.
import type { HoldAction, HoldSide } from '../types.js';
import type { Step } from '../apply/steps.js';
import { listSnapshots } from '../plan/format.js';
import { bookmarkArgv, holdArgv, holdMeaningProperty, HOLDS_PROPERTY, inheritArgv, recordHoldsArgv, releaseArgv } from '../zfs/commands.js';
import type { KindDef } from './kind.js';

function sideText(s: HoldSide): string {
  const parts: string[] = [];
  const released = s.release.filter((r) => r.held).map((r) => r.snapshot);
  if (released.length) parts.push(`release ${listSnapshots(released)}`);
  if (s.hold) parts.push(`hold @${s.hold.snapshot}`);
  const forgotten = s.release.filter((r) => !r.held).map((r) => r.snapshot);
  if (forgotten.length) parts.push(`forget the released hold on ${listSnapshots(forgotten)}`);
  return parts.join(', ');
}

/** `release @a, hold @b on both sides` when both sides do the same, else per side. */
export function holdMoves(a: HoldAction): string {
  const texts = a.sides.map((s) => ({ side: s.side, text: sideText(s) })).filter((t) => t.text);
  if (texts.length === 2 && texts[0]!.text === texts[1]!.text) return `${texts[0]!.text} on both sides`;
  return texts.map((t) => `${t.text} on the ${t.side}`).join('; ');
}

function subject(a: HoldAction): string {
  const src = a.sides.find((s) => s.side === 'source');
  const tgt = a.sides.find((s) => s.side === 'target');
  const ds = src?.dataset ?? a.bookmark?.dataset;
  return [ds, tgt ? `=> ${tgt.dataset}` : ''].filter(Boolean).join(' ');
}

export const holdKind: KindDef<HoldAction> = {
  head(a) {
    const moves = holdMoves(a);
    const mark = a.bookmark ? `bookmark #${a.bookmark.snapshot} on the source` : '';
    return { symbol: '~', verb: 'hold', subject: subject(a), detail: [[moves, mark].filter(Boolean).join('; '), `tag ${a.tag}`].join(', '), tone: 'change' };
  },
  title: (a) => `hold ${a.tag} ${subject(a)}`,
  steps(a, hostInfo) {
    const steps: Step[] = [];
    const zfs = (host: string) => hostInfo(host).zfs;
    if (a.bookmark) steps.push({ kind: 'run', host: a.bookmark.host, argv: bookmarkArgv(zfs(a.bookmark.host), a.bookmark.dataset, a.bookmark.snapshot) });
    // Recorded before it is placed: a run cut off in between leaves a record without a hold, which the next plan re-places.
    for (const s of a.sides) {
      if (!s.hold) continue;
      steps.push({ kind: 'run', host: s.host, argv: recordHoldsArgv(zfs(s.host), s.dataset, s.hold.snapshot, s.hold.tags, { tag: a.tag, text: a.meaning }) });
      steps.push({ kind: 'run', host: s.host, argv: holdArgv(zfs(s.host), a.tag, s.dataset, s.hold.snapshot) });
    }
    for (const s of a.sides) {
      for (const r of s.release) {
        if (r.held) steps.push({ kind: 'run', host: s.host, argv: releaseArgv(zfs(s.host), a.tag, s.dataset, r.snapshot) });
        const record = r.tags.length ? recordHoldsArgv(zfs(s.host), s.dataset, r.snapshot, r.tags) : inheritArgv(zfs(s.host), HOLDS_PROPERTY, s.dataset, r.snapshot);
        steps.push({ kind: 'run', host: s.host, argv: record });
        steps.push({ kind: 'run', host: s.host, argv: inheritArgv(zfs(s.host), holdMeaningProperty(a.tag), s.dataset, r.snapshot) });
      }
    }
    return steps;
  },
  count: (s) => void (s.holds = (s.holds ?? 0) + 1),
};
