// Which `zfs send` flags one dataset's streams take, from the pair's `send:` spec, both hosts'
// capabilities and the dataset's encryption; or why it cannot be sent as asked (a conflict).
// `-p` and `-R` are never used: properties and the tree are zfsync's to decide.
//
// Encryption rules (OpenZFS):
// - an encrypted dataset sent raw (-w) arrives encrypted with the source's key: the target never
//   needs the key, and a raw full receive becomes its own encryptionroot, also under an encrypted parent;
// - sent decrypted (only with `raw: false`), its key must be loaded on the source, and it lands
//   unencrypted or under the target parent's encryption;
// - raw incrementals need the key lineage the replica was made with: after a `zfs change-key` on
//   the replica, a raw incremental silently puts the source's wrapping key back (openzfs #12614;
//   seen on 2.1.11 and 2.3.2). A passphrase key's change draws a new `pbkdf2salt`, so a salt or
//   keyformat that differs between the two sides is a conflict;
// - never `recv -F` onto encrypted data.
import type { Capabilities, Dataset, SendFlags, SendFlagsSpec } from '../types.js';
import type { PairStep } from './replicate.js';

export interface FlagInput {
  /** `replicate[N]`, for messages. */
  pairKey: string;
  spec: SendFlagsSpec;
  sourceHost: string;
  targetHost: string;
  sourceCaps: Capabilities;
  targetCaps: Capabilities;
  source: Dataset;
  targetName: string;
  target: Dataset | undefined;
  /** What diffPair planned for this dataset. */
  steps: readonly PairStep[];
}

export type FlagDecision = { flags: SendFlags } | { conflict: { message: string; resolution: string } };

const conflict = (message: string, resolution: string): FlagDecision => ({ conflict: { message, resolution } });

/** `auto`: where both hosts have it; `true`: both must have it (else the reason); `false`: never. */
function optional(want: 'auto' | boolean, both: boolean, key: string, what: string): boolean | string {
  if (want === false) return false;
  if (want === true && !both) return `${key} is true but ${what}`;
  return both;
}

export function decideSendFlags(p: FlagInput): FlagDecision {
  const sends = p.steps.filter((s) => s.kind === 'full' || s.kind === 'incremental' || s.kind === 'clone');
  if (sends.length === 0) return { flags: { raw: false, largeBlocks: false, embedded: false, compressed: false } };
  const enc = p.source.encryption;
  const key = `${p.pairKey}.send`;
  const canRaw = p.sourceCaps.rawSend && p.targetCaps.encryption;
  const noRaw = !p.sourceCaps.rawSend ? `${p.sourceHost} has no zfs send -w` : `${p.targetHost} has no native encryption`;

  let raw: boolean;
  if (p.spec.raw === true) {
    if (!canRaw) return conflict(`${key}.raw is true but ${noRaw}`, `set ${key}.raw: auto (or false), or replicate to a host with OpenZFS encryption`);
    raw = true;
  } else if (p.spec.raw === 'auto') {
    raw = enc !== undefined;
    if (raw && !canRaw) {
      return conflict(
        `${p.source.name} is encrypted and can only be sent raw (-w), but ${noRaw}`,
        `replicate it to a host with OpenZFS encryption, or set ${key}.raw: false to send it decrypted (its key must be loaded; it lands unencrypted on ${p.targetHost})`,
      );
    }
  } else {
    raw = false;
    if (enc && enc.keyStatus !== 'available') {
      return conflict(
        `${p.source.name} is encrypted and its key is not loaded on ${p.sourceHost}, so it cannot be sent decrypted (${key}.raw is false)`,
        `load it (zfs load-key ${enc.root}) or set ${key}.raw: auto to send it raw`,
      );
    }
  }

  const t = p.target;
  const forced = sends.some((s) => (s.kind === 'incremental' && s.force) || (s.kind === 'full' && s.placeholder !== undefined));
  if (forced && (raw || t?.encryption)) {
    return conflict(
      `${p.targetName} would need zfs receive -F, which zfsync never runs on encrypted data`,
      t?.placeholder ? `destroy the empty placeholder ${p.targetName} (zfs destroy ${p.targetName}) and run apply again: the raw stream then creates it` : `inspect ${p.targetName} by hand, or set on_divergence: refuse`,
    );
  }
  if (t && sends.some((s) => s.kind === 'incremental')) {
    const lineage = incrementalProblem(p, raw, key);
    if (lineage) return lineage;
  }

  if (raw) return { flags: { raw: true, largeBlocks: false, embedded: false, compressed: false } };
  const L = optional(p.spec.largeBlocks, p.sourceCaps.largeBlocks && p.targetCaps.largeBlocks, `${key}.large_blocks`, 'a host has no zfs send -L');
  const e = optional(p.spec.embedded, p.sourceCaps.largeBlocks && p.targetCaps.largeBlocks, `${key}.embedded`, 'a host has no zfs send -e');
  const c = optional(p.spec.compressed, p.sourceCaps.compressedSend && p.targetCaps.compressedSend, `${key}.compressed`, 'a host has no zfs send -c');
  for (const v of [L, e, c]) if (typeof v === 'string') return conflict(`${v} (${p.sourceHost} -> ${p.targetHost})`, `set it to auto or false`);
  return { flags: { raw: false, largeBlocks: L === true, embedded: e === true, compressed: c === true } };
}

function incrementalProblem(p: FlagInput, raw: boolean, key: string): FlagDecision | undefined {
  const s = p.source.encryption;
  const t = p.target!.encryption;
  if (raw && s && !t) {
    return conflict(
      `${p.targetName} is not encrypted, so a raw incremental of ${p.source.name} cannot be received into it`,
      `set ${key}.raw: false to keep sending it decrypted, or rename ${p.targetName} away so that zfsync resends it raw in full`,
    );
  }
  if (!raw && t && t.keyStatus !== 'available') {
    return conflict(
      `${p.targetName} is encrypted with its key not loaded, so a decrypted incremental cannot be received into it`,
      `set ${key}.raw: auto (or true) to send raw, or load its key (zfs load-key ${t.root})`,
    );
  }
  if (raw && s && t && (s.keyFormat !== t.keyFormat || s.salt !== t.salt)) {
    return conflict(
      `the key of ${p.targetName} (encryptionroot ${t.root}, keyformat ${t.keyFormat ?? '?'}, pbkdf2salt ${t.salt ?? '?'}) is not the one of ${p.source.name} (encryptionroot ${s.root}, keyformat ${s.keyFormat ?? '?'}, pbkdf2salt ${s.salt ?? '?'}): a zfs change-key on one side; a raw incremental would put the source's key back over the target's (openzfs #12614)`,
      `if the key was changed on ${p.targetHost}, rename or destroy ${p.targetName} and let zfsync resend it in full; if it was changed on purpose on ${p.sourceHost}, send one raw incremental by hand (zfs send -w -i ... | zfs receive -u ${p.targetName}), which carries the new key`,
    );
  }
  return undefined;
}

/** The dataset's steps with a flag conflict in place of its sends (the rest stays, e.g. a note). */
export function stepsWithFlags(steps: PairStep[], d: FlagDecision): PairStep[] {
  if (!('conflict' in d)) return steps;
  return [{ kind: 'conflict', ...d.conflict }];
}
