// The batched state read. One `sh -s` script per host lists, with the properties the planner
// needs, only what the spec selects: source roots and target roots (recursively) and the
// ancestors of target roots (on their own). OpenZFS: `zfs list -H -p` (one line per object).
// Legacy ZFS has no `list -p`, so `zfs get -H -p` (one line per property).
// The output is parsed line by line as it arrives: memory grows with the selection, never
// with the size of the listing text.
import { StringDecoder } from 'node:string_decoder';
import { shellJoin } from '../host/quote.js';
import type { Bookmark, Capabilities, Dataset, EncryptionState, Snapshot } from '../types.js';
import { HOLDS_PROPERTY, PLACEHOLDER_PROPERTY } from './commands.js';

type Column = 'name' | 'type' | 'guid' | 'createtxg' | 'creation' | 'origin' | 'referenced' | 'written' | 'receive_resume_token' | 'userrefs' | typeof PLACEHOLDER_PROPERTY | 'readonly' | 'canmount' | 'mounted' | EncryptionColumn | typeof HOLDS_PROPERTY;

/** Read only where the host has encryption; `keyformat` and `pbkdf2salt` tell key lineages apart (plan/send-flags.ts). */
const ENCRYPTION_COLUMNS = ['encryption', 'encryptionroot', 'keystatus', 'keyformat', 'pbkdf2salt'] as const;
type EncryptionColumn = (typeof ENCRYPTION_COLUMNS)[number];

export function stateColumns(caps: Capabilities): Column[] {
  const cols: Column[] = ['name', 'type', 'guid', 'createtxg', 'creation', 'origin', 'referenced'];
  if (caps.written) cols.push('written');
  if (caps.resumable) cols.push('receive_resume_token');
  // Retention never destroys a held snapshot; only OpenZFS has holds (zfs-fuse lists but cannot run them).
  if (caps.holds) cols.push('userrefs');
  cols.push(PLACEHOLDER_PROPERTY);
  // Last, so that listings recorded without them still parse (a short line leaves them unknown).
  cols.push('readonly', 'canmount', 'mounted');
  if (caps.encryption) cols.push(...ENCRYPTION_COLUMNS);
  // zfsync's own hold tags (plan/protect.ts): `zfs holds` takes only snapshot names, so a
  // listing of every hold would cost a second pass; the record rides along in this one.
  if (caps.holds) cols.push(HOLDS_PROPERTY);
  return cols;
}

/** How much of a dataset a listing covers: its subtree, itself with its children and snapshots, or itself alone. */
export type ListDepth = 'tree' | 'children' | 'self';

export interface ListRoot {
  name: string;
  depth: ListDepth;
}

/** The root name (with depth `tree`) that lists every dataset of the host: `zfs list -r` without names. */
export const ALL_DATASETS = '';

/**
 * Where the selection properties are set: `zfs get -s local` prints only the datasets that set
 * them (not the many that inherit), so the output stays small; inheritance is resolved from the
 * dataset names (plan/select.ts). Without names it covers every pool of the host.
 */
const SELECTION_GET = ['get', '-H', '-s', 'local', '-r', '-o', 'name,property,value'];

const isSelectionCall = (args: readonly string[]) => SELECTION_GET.every((a, i) => args[i] === a);

/** The zfs arguments (after the zfs command) listing `names` to `depth`. */
export function stateReadArgs(caps: Capabilities, depth: ListDepth, names: readonly string[]): string[] {
  const cols = stateColumns(caps);
  const scope = depth === 'tree' ? ['-r'] : depth === 'children' ? ['-d', '1'] : [];
  if (caps.listParsable) {
    // Bookmarks let an incremental start from a snapshot destroyed since (plan/bookmark-base.ts).
    const types = depth === 'self' ? 'filesystem,volume' : caps.bookmarks ? 'filesystem,volume,snapshot,bookmark' : 'filesystem,volume,snapshot';
    return ['list', '-H', '-p', '-t', types, '-o', cols.join(','), ...scope, ...names];
  }
  return ['get', '-H', '-p', ...scope, '-o', 'name,property,value', cols.filter((c) => c !== 'name').join(','), ...names];
}

/** One zfs call per depth, in a fixed order, then one for the selection properties (if any). */
export function stateReadCalls(caps: Capabilities, roots: readonly ListRoot[], properties: readonly string[] = []): string[][] {
  const calls: string[][] = [];
  for (const depth of ['tree', 'children', 'self'] as const) {
    const at = roots.filter((r) => r.depth === depth);
    if (at.length === 0) continue;
    const whole = depth === 'tree' && at.some((r) => r.name === ALL_DATASETS);
    calls.push(stateReadArgs(caps, depth, whole ? [] : at.map((r) => r.name)));
  }
  if (properties.length > 0) calls.push([...SELECTION_GET, [...properties].sort().join(',')]);
  return calls;
}

/**
 * The script for `sh -s -- <zfs command>`: each call's output goes straight to stdout, its
 * stderr is captured and replayed after it as `@@err N line`, then `@@status N code`, so a
 * root that does not exist is told apart from a real failure. Dataset names never begin with
 * `@`, so marker lines cannot be confused with zfs output.
 */
export function stateReadScript(calls: readonly string[][]): string {
  const lines: string[] = [];
  calls.forEach((args, i) => {
    lines.push(
      `{ e=$("$@" ${shellJoin(args)} 2>&1 >&3); s=$?; } 3>&1`,
      `printf '%s\\n' "$e" | while IFS= read -r l; do [ -n "$l" ] && printf '@@err ${i} %s\\n' "$l"; done`,
      `echo "@@status ${i} $s"`,
    );
  });
  lines.push('echo "@@end"');
  return lines.join('\n') + '\n';
}

/**
 * The most an empty filesystem references: its own metadata takes 24 KiB (OpenZFS, ashift 9)
 * to 96 KiB (OpenZFS, ashift 12) or 112 KiB (zfs-fuse, 4K blocks). Above this it holds data.
 */
export const EMPTY_FILESYSTEM_MAX_BYTES = 128 * 1024;

/**
 * Whether a marked dataset still is what the marker claims: an empty filesystem zfsync created,
 * so that `recv -F` into it destroys nothing. Without snapshots `written` equals `referenced`
 * (both count everything since creation); a size the host does not report counts as data.
 * Children are checked where the whole listing is known (Builder.finish).
 */
export function holdsNothing(d: Dataset): boolean {
  if (d.type !== 'filesystem' || d.snapshots.length > 0 || d.referenced === undefined) return false;
  return d.referenced <= EMPTY_FILESYSTEM_MAX_BYTES && (d.written === undefined || d.written <= EMPTY_FILESYSTEM_MAX_BYTES);
}

/** Mutable accumulator while parsing; snapshots may be listed before their dataset. */
class Builder {
  readonly datasets = new Map<string, Dataset>();
  private readonly orphans = new Map<string, Snapshot[]>();
  private readonly earlyBookmarks = new Map<string, Bookmark[]>();

  /** Returns the dataset kept under that name (the first one listed). */
  addDataset(d: Dataset): Dataset {
    // Overlapping listings (a parent's children and a child's subtree) name a dataset twice.
    const seen = this.datasets.get(d.name);
    if (seen) return seen;
    const early = this.orphans.get(d.name);
    if (early) {
      for (const s of early) d.snapshots.push(s);
      this.orphans.delete(d.name);
    }
    const marks = this.earlyBookmarks.get(d.name);
    if (marks) {
      d.bookmarks = marks;
      this.earlyBookmarks.delete(d.name);
    }
    this.datasets.set(d.name, d);
    return d;
  }
  addBookmark(dataset: string, bm: Bookmark): void {
    const d = this.datasets.get(dataset);
    if (d) (d.bookmarks ??= []).push(bm);
    else (this.earlyBookmarks.get(dataset) ?? this.earlyBookmarks.set(ownString(dataset), []).get(dataset)!).push(bm);
  }
  addSnapshot(dataset: string, s: Snapshot): void {
    const d = this.datasets.get(dataset);
    if (d) d.snapshots.push(s);
    else {
      const list = this.orphans.get(dataset);
      if (list) list.push(s);
      else this.orphans.set(ownString(dataset), [s]);
    }
  }
  finish(): Map<string, Dataset> {
    for (const d of this.datasets.values()) {
      const snaps = d.snapshots;
      for (let i = 1; i < snaps.length; i++) {
        if (snaps[i - 1]!.createtxg > snaps[i]!.createtxg) {
          snaps.sort((a, b) => a.createtxg - b.createtxg);
          break;
        }
      }
      if (d.placeholder && !holdsNothing(d)) d.placeholder = false;
    }
    for (const name of this.datasets.keys()) {
      const slash = name.lastIndexOf('/');
      const parent = slash > 0 ? this.datasets.get(name.slice(0, slash)) : undefined;
      if (parent?.placeholder) parent.placeholder = false;
    }
    return this.datasets;
  }
}

/**
 * A copy of `s` that does not share memory with the text it was cut from. V8 makes a substring
 * of 13 or more characters a view of its parent: one kept guid would keep its whole chunk of the
 * listing alive, and with it, in the end, the whole listing. Flattening a fresh concatenation
 * copies the characters.
 */
function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** `text[a, b)` as a number; undefined for an empty value or `-` (as `Number` would read anything else). */
function numberAt(text: string, a: number, b: number): number | undefined {
  if (b <= a || (b - a === 1 && text.charCodeAt(a) === 45)) return undefined;
  if (b - a > 15) return Number(text.slice(a, b));
  let n = 0;
  for (let i = a; i < b; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number(text.slice(a, b));
    n = n * 10 + d;
  }
  return n;
}

/** `on`/`off` (or `yes`/`no`) as a boolean; anything else (`-`) is unknown. */
function onOff(v: string, yes: string, no: string): boolean | undefined {
  return v === yes ? true : v === no ? false : undefined;
}

/** What a column holds, so that each value is converted once, where it is read. */
const enum Kind {
  Ignore,
  Name,
  Type,
  Guid,
  Createtxg,
  Creation,
  Origin,
  Referenced,
  Written,
  Token,
  Placeholder,
  Userrefs,
  Readonly,
  Canmount,
  Mounted,
  Encryption,
  EncryptionRoot,
  KeyStatus,
  KeyFormat,
  Salt,
  Holds,
}

const KIND: Record<Column, Kind> = {
  name: Kind.Name,
  type: Kind.Type,
  guid: Kind.Guid,
  createtxg: Kind.Createtxg,
  creation: Kind.Creation,
  origin: Kind.Origin,
  referenced: Kind.Referenced,
  written: Kind.Written,
  receive_resume_token: Kind.Token,
  userrefs: Kind.Userrefs,
  [PLACEHOLDER_PROPERTY]: Kind.Placeholder,
  readonly: Kind.Readonly,
  canmount: Kind.Canmount,
  mounted: Kind.Mounted,
  encryption: Kind.Encryption,
  encryptionroot: Kind.EncryptionRoot,
  keystatus: Kind.KeyStatus,
  keyformat: Kind.KeyFormat,
  pbkdf2salt: Kind.Salt,
  [HOLDS_PROPERTY]: Kind.Holds,
};

/** Distinct snapshot names kept once each (zfs snapshot -r gives thousands of datasets the same names), up to this many. */
const MAX_INTERNED = 1 << 16;

/**
 * The properties of the object being parsed (one `list` line, or the `get` lines of one name),
 * and what they become. Missing values are undefined; `-` and empty ones count as missing.
 */
class Objects {
  private readonly b = new Builder();
  private readonly names = new Map<string, string>();
  /** The snapshot names of the dataset listed before, by position. */
  private readonly recent: string[] = [];
  /** The dataset listed last: its snapshots follow it. */
  private last: Dataset | undefined;
  type: Dataset['type'] | 'bookmark' | 'other' | undefined;
  guid: string | undefined;
  createtxg: number | undefined;
  creation: number | undefined;
  origin: string | undefined;
  referenced: number | undefined;
  written: number | undefined;
  token: string | undefined;
  placeholder: string | undefined;
  userrefs: number | undefined;
  readonly: boolean | undefined;
  canmount: Dataset['canmount'];
  mounted: boolean | undefined;
  holds: string | undefined;
  /**
   * The encryption columns, kept as where they are in the text and cut out only for datasets:
   * snapshot lines (nearly all lines) carry them too, and cutting five strings each would cost.
   */
  private readonly encText: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  private readonly encSpan: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

  reset(): void {
    this.readonly = this.mounted = this.canmount = this.holds = undefined;
    this.encText.fill(undefined);
    this.type = this.guid = this.origin = this.token = this.placeholder = undefined;
    this.createtxg = this.creation = this.referenced = this.written = this.userrefs = undefined;
  }

  /** Stores the value `text[a, b)` of a column of kind `k`. */
  set(k: Kind, text: string, a: number, b: number): void {
    switch (k) {
      case Kind.Type: {
        const t = text.slice(a, b);
        this.type = t === 'filesystem' || t === 'volume' || t === 'bookmark' ? t : 'other';
        break;
      }
      case Kind.Guid:
        this.guid = text.slice(a, b);
        break;
      case Kind.Createtxg:
        this.createtxg = numberAt(text, a, b);
        break;
      case Kind.Creation:
        this.creation = numberAt(text, a, b);
        break;
      case Kind.Origin:
        this.origin = text.slice(a, b);
        break;
      case Kind.Referenced:
        this.referenced = numberAt(text, a, b);
        break;
      case Kind.Written:
        this.written = numberAt(text, a, b);
        break;
      case Kind.Token:
        this.token = text.slice(a, b);
        break;
      case Kind.Placeholder:
        this.placeholder = text.slice(a, b);
        break;
      case Kind.Userrefs:
        this.userrefs = numberAt(text, a, b);
        break;
      case Kind.Holds:
        this.holds = text.slice(a, b);
        break;
      case Kind.Readonly:
        this.readonly = onOff(text.slice(a, b), 'on', 'off');
        break;
      case Kind.Mounted:
        this.mounted = onOff(text.slice(a, b), 'yes', 'no');
        break;
      case Kind.Encryption:
      case Kind.EncryptionRoot:
      case Kind.KeyStatus:
      case Kind.KeyFormat:
      case Kind.Salt: {
        const i = k - Kind.Encryption;
        this.encText[i] = text;
        this.encSpan[2 * i] = a;
        this.encSpan[2 * i + 1] = b;
        break;
      }
      case Kind.Canmount: {
        const v = text.slice(a, b);
        this.canmount = v === 'on' || v === 'off' || v === 'noauto' ? v : undefined;
        break;
      }
    }
  }

  private snapshotName(s: string): string {
    let v = this.names.get(s);
    if (v === undefined) {
      v = ownString(s);
      if (this.names.size < MAX_INTERNED) this.names.set(v, v);
    }
    return v;
  }

  /** The object named `name` is complete. */
  record(name: string): void {
    const at = name.indexOf('@');
    if (at >= 0) {
      if (name.includes('#')) return;
      // (Strings are compared with ===, not startsWith: V8 runs startsWith on cut-out strings in its slow path.)
      const dataset = name.slice(0, at);
      const last = this.last !== undefined && dataset === this.last.name ? this.last : undefined;
      const short = name.slice(at + 1);
      let snapName: string;
      if (last) {
        // Most often the k-th snapshot of a dataset has the name of the k-th of the dataset before.
        const k = last.snapshots.length;
        const seen = this.recent[k];
        if (seen === short) snapName = seen;
        else this.recent[k] = snapName = this.snapshotName(short);
      } else snapName = this.snapshotName(short);
      const snap: Snapshot = {
        name: snapName,
        guid: this.guid === undefined ? '' : ownString(this.guid),
        createtxg: this.createtxg ?? 0,
        creation: this.creation ?? 0,
      };
      if (this.referenced !== undefined) snap.referenced = this.referenced;
      if (this.written !== undefined) snap.written = this.written;
      if (this.userrefs) snap.userrefs = this.userrefs;
      if (this.holds !== undefined && this.holds !== '-' && this.holds !== '') snap.holds = this.holds.split(' ').filter(Boolean);
      if (last) last.snapshots.push(snap);
      else this.b.addSnapshot(dataset, snap);
      return;
    }
    const type = this.type;
    if (type !== 'filesystem' && type !== 'volume') {
      const hash = type === 'bookmark' ? name.indexOf('#') : -1;
      if (hash > 0) this.b.addBookmark(name.slice(0, hash), { name: ownString(name.slice(hash + 1)), guid: ownString(this.guid ?? ''), createtxg: this.createtxg ?? 0 });
      return;
    }
    const own = ownString(name);
    const d: Dataset = {
      name: own,
      type,
      guid: this.guid === undefined ? '' : ownString(this.guid),
      createtxg: this.createtxg ?? 0,
      creation: this.creation ?? 0,
      // The marker is a user property, so children inherit it: it counts only where its value names the dataset itself.
      placeholder: this.placeholder === name,
      snapshots: [],
    };
    if (this.origin && this.origin !== '-') d.origin = ownString(this.origin);
    if (this.referenced !== undefined) d.referenced = this.referenced;
    if (this.written !== undefined) d.written = this.written;
    if (this.token && this.token !== '-') d.resumeToken = ownString(this.token);
    if (this.readonly !== undefined) d.readonly = this.readonly;
    if (this.canmount !== undefined) d.canmount = this.canmount;
    if (this.mounted !== undefined) d.mounted = this.mounted;
    const enc = this.encryption(own);
    if (enc) d.encryption = enc;
    this.last = this.b.addDataset(d);
  }

  finish(): Map<string, Dataset> {
    this.last = undefined;
    return this.b.finish();
  }

  /** Encryption column `i` (in ENCRYPTION_COLUMNS order) as a string of its own; undefined when not listed or `-`. */
  private encValue(i: number): string | undefined {
    const text = this.encText[i];
    if (text === undefined) return undefined;
    const v = text.slice(this.encSpan[2 * i], this.encSpan[2 * i + 1]);
    return v === '' || v === '-' ? undefined : ownString(v);
  }

  private encryption(name: string): EncryptionState | undefined {
    const cipher = this.encValue(0);
    if (cipher === undefined || cipher === 'off') return undefined;
    const root = this.encValue(1);
    const ks = this.encValue(2);
    const e: EncryptionState = {
      cipher,
      root: root === undefined || root === name ? name : root,
      keyStatus: ks === 'available' || ks === 'unavailable' ? ks : 'unknown',
    };
    const format = this.encValue(3);
    const salt = this.encValue(4);
    if (format !== undefined) e.keyFormat = format;
    if (salt !== undefined) e.salt = salt;
    return e;
  }
}

interface LineParser {
  /** One line: `text[start, end)`, without its newline. */
  line(text: string, start: number, end: number): void;
  finish(): Map<string, Dataset>;
}

/** `zfs list -H -p -o <stateColumns>`: one object per line. */
class ListLines implements LineParser {
  private readonly o = new Objects();
  private readonly kinds: Kind[];
  constructor(columns: readonly Column[]) {
    this.kinds = columns.map((c) => KIND[c]);
  }
  line(text: string, start: number, end: number): void {
    const kinds = this.kinds;
    const o = this.o;
    o.reset();
    let name: string | undefined;
    let a = start;
    for (let i = 0; i < kinds.length && a <= end; i++) {
      let b = text.indexOf('\t', a);
      if (b < 0 || b > end) b = end;
      const k = kinds[i]!;
      if (k === Kind.Name) name = text.slice(a, b);
      else o.set(k, text, a, b);
      a = b + 1;
    }
    if (name) o.record(name);
  }
  finish(): Map<string, Dataset> {
    return this.o.finish();
  }
}

/** `zfs get -H -p -o name,property,value`: one line per property, grouped by object. */
class GetLines implements LineParser {
  private readonly o = new Objects();
  private readonly props: string[];
  private readonly kinds: Kind[];
  private name: string | undefined;
  /** Index in `props` of the property expected next (zfs prints them in the order asked). */
  private next = 0;
  constructor(columns: readonly Column[]) {
    const props = columns.filter((c) => c !== 'name');
    this.props = props;
    this.kinds = props.map((c) => KIND[c]);
  }
  line(text: string, start: number, end: number): void {
    // Names and property names hold no tab; a value may.
    const t1 = text.indexOf('\t', start);
    if (t1 < 0 || t1 >= end) return;
    const t2 = text.indexOf('\t', t1 + 1);
    if (t2 < 0 || t2 >= end) return;
    const name = text.slice(start, t1);
    if (name !== this.name) {
      this.flush();
      this.name = name;
      this.o.reset();
      this.next = 0;
    }
    const prop = text.slice(t1 + 1, t2);
    const props = this.props;
    let i = this.next;
    if (props[i] !== prop) {
      i = props.length;
      while (--i >= 0 && props[i] !== prop);
      if (i < 0) return;
    }
    this.next = i + 1;
    this.o.set(this.kinds[i]!, text, t2 + 1, end);
  }
  private flush(): void {
    if (this.name !== undefined) this.o.record(this.name);
  }
  finish(): Map<string, Dataset> {
    this.flush();
    this.name = undefined;
    return this.o.finish();
  }
}

const lineParser = (caps: Capabilities): LineParser => (caps.listParsable ? new ListLines(stateColumns(caps)) : new GetLines(stateColumns(caps)));

/** Parses a whole listing held in memory (fixtures, tests); the state read streams instead. */
export function parseStateOutput(text: string, caps: Capabilities): Map<string, Dataset> {
  const p = lineParser(caps);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) p.line(text, start, end);
    start = end + 1;
  }
  return p.finish();
}

export interface StateListing {
  datasets: Map<string, Dataset>;
  /** Selection property -> dataset -> value, where the dataset sets it itself. */
  properties: Map<string, Map<string, string>>;
  /** Names a call asked for that do not exist. */
  missing: string[];
  /** Any other error, one line each (`@@status` non-zero without a reason counts too). */
  errors: string[];
  /** The script ran to its end (`@@end` seen). */
  complete: boolean;
}

const NOT_FOUND = /^cannot open '(.*)': dataset does not exist$/;

/** Consumes the state script's stdout chunk by chunk, never holding more than one partial line. */
export class StateListingParser {
  private readonly parser: LineParser;
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  private readonly missing: string[] = [];
  private readonly errors: string[] = [];
  private readonly reasons = new Map<number, number>();
  private readonly properties = new Map<string, Map<string, string>>();
  /** Index of the call whose output is arriving: calls end with their `@@status` line. */
  private call = 0;
  private readonly selectionCall: number;
  private complete = false;

  constructor(caps: Capabilities, private readonly calls: readonly string[][]) {
    this.parser = lineParser(caps);
    this.selectionCall = calls.findIndex(isSelectionCall);
  }

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = text.indexOf('\n');
    if (start < 0) {
      this.rest += text;
      return;
    }
    // The line begun in an earlier chunk on its own, then the rest of this chunk as it came:
    // `rest + text` would be a concatenation, which V8 searches and compares more slowly.
    const first = this.rest + text.slice(0, start);
    if (first) this.line(first, 0, first.length);
    start++;
    for (let end = text.indexOf('\n', start); end >= 0; end = text.indexOf('\n', start)) {
      if (end > start) this.line(text, start, end);
      start = end + 1;
    }
    this.rest = text.slice(start);
  }

  end(): StateListing {
    const last = this.rest + this.decoder.end();
    this.rest = '';
    if (last) this.line(last, 0, last.length);
    return { datasets: this.parser.finish(), properties: this.properties, missing: this.missing, errors: this.errors, complete: this.complete };
  }

  /** `name\tproperty\tvalue` of a dataset that sets a selection property (snapshots' own values do not count). */
  private propertyLine(text: string): void {
    const t1 = text.indexOf('\t');
    const t2 = text.indexOf('\t', t1 + 1);
    if (t1 < 0 || t2 < 0) return;
    const name = text.slice(0, t1);
    if (name.includes('@')) return;
    const prop = text.slice(t1 + 1, t2);
    let values = this.properties.get(prop);
    if (!values) this.properties.set(prop, (values = new Map()));
    values.set(name, text.slice(t2 + 1));
  }

  private line(chunk: string, start: number, end: number): void {
    // 64 is '@': zfs output lines begin with a dataset name, which never does.
    if (chunk.charCodeAt(start) !== 64 || chunk.charCodeAt(start + 1) !== 64) {
      if (this.call === this.selectionCall) return this.propertyLine(chunk.slice(start, end));
      return this.parser.line(chunk, start, end);
    }
    const text = chunk.slice(start, end);
    const m = /^@@(err|status) (\d+) (.*)$/.exec(text);
    if (!m) {
      if (text === '@@end') this.complete = true;
      return;
    }
    const call = Number(m[2]);
    const what = `zfs ${(this.calls[call] ?? []).slice(0, 1).join(' ')}`;
    if (m[1] === 'err') {
      const notFound = NOT_FOUND.exec(m[3]!);
      if (notFound) this.missing.push(notFound[1]!);
      else this.errors.push(`${what}: ${m[3]}`);
      this.reasons.set(call, (this.reasons.get(call) ?? 0) + 1);
    } else {
      if (m[3] !== '0' && !this.reasons.has(call)) this.errors.push(`${what}: exit ${m[3]}`);
      this.call = call + 1;
    }
  }
}
