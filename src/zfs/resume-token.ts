// A `receive_resume_token`, decoded in-process: `<version>-<fletcher4 hex>-<packed length hex>-<hex
// of the zlib-compressed packed nvlist>` (libzfs zfs_send_resume_token_to_nvlist). Every token
// recorded from OpenZFS 2.1 and 2.3 (test/fixtures/openzfs-2.*/resume-tokens.txt) packs the nvlist
// in the NATIVE encoding (little-endian on those hosts); XDR is decoded too, since the nvlist
// header lets a packer choose either. Strict and bounds-checked: anything malformed is a
// TokenError whose message says what, never a crash or a guess.
import { inflateSync } from 'node:zlib';

export interface ResumeToken {
  /** Guid of the snapshot being received (decimal string, like Snapshot.guid). */
  toguid: string;
  /** Guid of the incremental base; absent for a full stream. */
  fromguid?: string;
  /** `pool/fs@snap` as the sender named it. */
  toname?: string;
  object: number;
  offset: number;
  /** Stream bytes already received. */
  bytes: number;
  /** Send flags the stream carries (`embedok`, `compressok`, `largeblockok`, `rawok`, ...). */
  flags: string[];
}

export class TokenError extends Error {}

/** Decompressed nvlists larger than this are refused (real tokens are a few hundred bytes). */
const MAX_PACKED = 1 << 20;

/** The first 64-bit sum of fletcher4 over the little-endian 32-bit words (a trailing partial word is not summed, as in libzfs). */
export function fletcher4First(buf: Uint8Array): bigint {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let a = 0n;
  for (let i = 0; i + 4 <= buf.length; i += 4) a = (a + BigInt(view.getUint32(i, true))) & 0xffffffffffffffffn;
  return a;
}

const HEX = /^[0-9a-f]+$/;

export function decodeResumeToken(token: string): ResumeToken {
  const parts = token.split('-');
  if (parts.length !== 4) throw new TokenError(`not a resume token (expected 4 fields separated by '-', found ${parts.length})`);
  const [version, checksum, length, payload] = parts as [string, string, string, string];
  if (version !== '1') throw new TokenError(`resume token version ${version} is not supported (only 1)`);
  for (const [what, v] of [['checksum', checksum], ['length', length], ['payload', payload]] as const) {
    if (!HEX.test(v)) throw new TokenError(`resume token ${what} is not lowercase hex`);
  }
  if (payload.length % 2 !== 0) throw new TokenError('resume token payload has an odd number of hex digits');
  if (checksum.length > 16) throw new TokenError('resume token checksum is longer than 64 bits');
  const compressed = Buffer.from(payload, 'hex');
  const sum = fletcher4First(compressed);
  if (sum !== BigInt(`0x${checksum}`)) throw new TokenError(`resume token checksum mismatch (token says ${checksum}, payload sums to ${sum.toString(16)})`);
  const packedLength = Number.parseInt(length, 16);
  if (packedLength > MAX_PACKED) throw new TokenError(`resume token claims ${packedLength} packed bytes (more than ${MAX_PACKED})`);
  let packed: Buffer;
  try {
    packed = inflateSync(compressed, { maxOutputLength: MAX_PACKED });
  } catch (err) {
    throw new TokenError(`resume token payload does not decompress: ${(err as Error).message}`);
  }
  if (packed.length !== packedLength) throw new TokenError(`resume token unpacks to ${packed.length} bytes, not the ${packedLength} it claims`);
  return tokenFields(decodePackedNvlist(packed));
}

/** A decoded nvlist value: numbers as bigint, `true` for a valueless boolean. */
export type NvValue = bigint | string | boolean;

const enum DataType {
  Boolean = 1,
  Int32 = 5,
  Uint32 = 6,
  Int64 = 7,
  Uint64 = 8,
  String = 9,
  BooleanValue = 21,
}

/** Reads the packed nvlist (header: encoding, endianness, 2 reserved bytes). Only flat lists of scalars: what a token holds. */
export function decodePackedNvlist(buf: Buffer): Map<string, NvValue> {
  if (buf.length < 4) throw new TokenError('packed nvlist shorter than its header');
  const encoding = buf[0]!;
  const little = buf[1] === 1;
  if (buf[1]! > 1) throw new TokenError(`packed nvlist has unknown byte order ${buf[1]}`);
  if (encoding === 0) return decodeNative(new Reader(buf, 4, little));
  if (encoding === 1) return decodeXdr(new Reader(buf, 4, false));
  throw new TokenError(`packed nvlist has unknown encoding ${encoding}`);
}

class Reader {
  private readonly view: DataView;
  constructor(readonly buf: Buffer, public pos: number, private readonly little: boolean) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new TokenError(`packed nvlist ends inside ${what} (at byte ${this.pos})`);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, this.little);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, this.little);
    this.pos += 4;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, this.little);
    this.pos += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, this.little);
    this.pos += 8;
    return v;
  }
  i64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, this.little);
    this.pos += 8;
    return v;
  }
  /** A NUL-terminated string of exactly `n` bytes (NUL included). */
  cstring(n: number, what: string): string {
    this.need(n, what);
    if (n < 1 || this.buf[this.pos + n - 1] !== 0) throw new TokenError(`${what} is not NUL-terminated`);
    const s = this.buf.toString('utf8', this.pos, this.pos + n - 1);
    if (s.includes('\0')) throw new TokenError(`${what} holds a NUL byte`);
    this.pos += n;
    return s;
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

function put(out: Map<string, NvValue>, name: string, value: NvValue): void {
  if (out.has(name)) throw new TokenError(`packed nvlist names ${name} twice`);
  out.set(name, value);
}

/** libnvpair's native encoding: version and flags (2 x int32), then nvpairs laid out as in memory, then a zero size. */
function decodeNative(r: Reader): Map<string, NvValue> {
  const out = new Map<string, NvValue>();
  const version = r.i32('the nvlist version');
  if (version !== 0) throw new TokenError(`nvlist version ${version} is not supported`);
  r.u32('the nvlist flags');
  for (;;) {
    const start = r.pos;
    const size = r.i32('an nvpair size');
    if (size === 0) break;
    const nameSize = r.u16('an nvpair name size');
    r.u16('an nvpair');
    const elems = r.i32('an nvpair element count');
    const type = r.i32('an nvpair type') as DataType;
    if (size < 16 || start + size > r.buf.length) throw new TokenError(`nvpair at byte ${start} has size ${size}, beyond the list`);
    const name = r.cstring(nameSize, `an nvpair name (at byte ${start})`);
    r.pos = start + align8(16 + nameSize);
    const end = start + size;
    const valueBytes = end - r.pos;
    put(out, name, nativeValue(r, type, elems, valueBytes, name));
    r.pos = end;
  }
  if (r.pos !== r.buf.length) throw new TokenError(`packed nvlist has ${r.buf.length - r.pos} bytes after its end`);
  return out;
}

function nativeValue(r: Reader, type: DataType, elems: number, valueBytes: number, name: string): NvValue {
  const want = (n: number) => {
    if (elems !== (type === DataType.Boolean ? 0 : 1) || valueBytes < n) throw new TokenError(`nvpair ${name} has a malformed value (type ${type}, ${elems} elements, ${valueBytes} bytes)`);
  };
  switch (type) {
    case DataType.Boolean:
      want(0);
      return true;
    case DataType.BooleanValue:
    case DataType.Int32:
    case DataType.Uint32:
      want(4);
      return type === DataType.Uint32 ? BigInt(r.u32(name)) : type === DataType.Int32 ? BigInt(r.i32(name)) : r.i32(name) !== 0;
    case DataType.Int64:
      want(8);
      return r.i64(name);
    case DataType.Uint64:
      want(8);
      return r.u64(name);
    case DataType.String: {
      want(1);
      const nul = r.buf.indexOf(0, r.pos);
      if (nul < 0 || nul >= r.pos + valueBytes) throw new TokenError(`nvpair ${name}: string not NUL-terminated`);
      return r.cstring(nul - r.pos + 1, `nvpair ${name}`);
    }
    default:
      throw new TokenError(`nvpair ${name} has type ${type}, which a resume token never holds`);
  }
}

/** XDR (big-endian, 4-byte units): version and flags, then per pair its encoded and decoded sizes, name, type, count, value; two zero sizes end it. */
function decodeXdr(r: Reader): Map<string, NvValue> {
  const out = new Map<string, NvValue>();
  const version = r.i32('the nvlist version');
  if (version !== 0) throw new TokenError(`nvlist version ${version} is not supported`);
  r.u32('the nvlist flags');
  const xdrString = (what: string): string => {
    const n = r.u32(`the length of ${what}`);
    r.need(((n + 3) & ~3), what);
    const s = r.buf.toString('utf8', r.pos, r.pos + n);
    if (s.includes('\0')) throw new TokenError(`${what} holds a NUL byte`);
    r.pos += (n + 3) & ~3;
    return s;
  };
  for (;;) {
    const start = r.pos;
    const encoded = r.i32('an nvpair size');
    const decoded = r.i32('an nvpair decoded size');
    if (encoded === 0 && decoded === 0) break;
    if (encoded < 0 || start + encoded > r.buf.length) throw new TokenError(`nvpair at byte ${start} has size ${encoded}, beyond the list`);
    const name = xdrString(`an nvpair name (at byte ${start})`);
    const type = r.i32(`nvpair ${name}'s type`) as DataType;
    const elems = r.i32(`nvpair ${name}'s element count`);
    if (elems !== (type === DataType.Boolean ? 0 : 1)) throw new TokenError(`nvpair ${name} has ${elems} elements`);
    let value: NvValue;
    switch (type) {
      case DataType.Boolean: value = true; break;
      case DataType.BooleanValue: value = r.i32(name) !== 0; break;
      case DataType.Int32: value = BigInt(r.i32(name)); break;
      case DataType.Uint32: value = BigInt(r.u32(name)); break;
      case DataType.Int64: value = r.i64(name); break;
      case DataType.Uint64: value = r.u64(name); break;
      case DataType.String: value = xdrString(`nvpair ${name}`); break;
      default: throw new TokenError(`nvpair ${name} has type ${type}, which a resume token never holds`);
    }
    if (r.pos !== start + encoded) throw new TokenError(`nvpair ${name} is ${r.pos - start} bytes, not the ${encoded} it claims`);
    put(out, name, value);
  }
  if (r.pos !== r.buf.length) throw new TokenError(`packed nvlist has ${r.buf.length - r.pos} bytes after its end`);
  return out;
}

function tokenFields(nv: Map<string, NvValue>): ResumeToken {
  const u64 = (name: string, required: boolean): bigint | undefined => {
    const v = nv.get(name);
    if (v === undefined) {
      if (required) throw new TokenError(`resume token has no ${name}`);
      return undefined;
    }
    if (typeof v !== 'bigint') throw new TokenError(`resume token's ${name} is not a number`);
    return v;
  };
  const num = (name: string): number => {
    const v = u64(name, true)!;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < 0n) throw new TokenError(`resume token's ${name} (${v}) is out of range`);
    return Number(v);
  };
  const t: ResumeToken = { toguid: u64('toguid', true)!.toString(), object: num('object'), offset: num('offset'), bytes: num('bytes'), flags: [] };
  const from = u64('fromguid', false);
  if (from !== undefined) t.fromguid = from.toString();
  const toname = nv.get('toname');
  if (toname !== undefined) {
    if (typeof toname !== 'string') throw new TokenError("resume token's toname is not a string");
    t.toname = toname;
  }
  for (const [k, v] of nv) if (v === true) t.flags.push(k);
  return t;
}
