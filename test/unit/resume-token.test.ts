// The receive_resume_token decoder against tokens recorded from OpenZFS 2.1 and 2.3; the expected
// fields are what `zfs send -nvt <token>` printed for the same token (same fixture file).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { decodeResumeToken, fletcher4First, TokenError } from '../../src/zfs/resume-token.js';

interface Recorded {
  token: string;
  /** `zfs send -nvt`'s `key = value` lines. */
  fields: Map<string, string>;
}

function recorded(version: '2.1' | '2.3'): Map<string, Recorded> {
  const text = readFileSync(new URL(`../fixtures/openzfs-${version}/resume-tokens.txt`, import.meta.url), 'utf8');
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^@@(\S+)$/.exec(line);
    if (m) sections.set(m[1]!, (current = []));
    else current?.push(line);
  }
  const out = new Map<string, Recorded>();
  for (const name of ['full', 'inc', 'incI', 'flags']) {
    const token = sections.get(`${name}-token`)?.[0];
    const nvt = sections.get(`${name}-nvt`);
    assert.ok(token && nvt, `${version}: ${name} recorded`);
    const fields = new Map<string, string>();
    for (const l of nvt) {
      const f = /^\t(\w+) = (.*)$/.exec(l);
      if (f) fields.set(f[1]!, f[2]!);
    }
    out.set(name, { token, fields });
  }
  return out;
}

const hexGuid = (v: string | undefined) => (v === undefined ? undefined : BigInt(v).toString());

for (const version of ['2.1', '2.3'] as const) {
  describe(`resume tokens recorded from OpenZFS ${version}`, () => {
    const rec = recorded(version);
    for (const [name, r] of rec) {
      it(`${name}: every field zfs send -nvt shows`, () => {
        const t = decodeResumeToken(r.token);
        assert.equal(t.toguid, hexGuid(r.fields.get('toguid')));
        assert.equal(t.fromguid, hexGuid(r.fields.get('fromguid')));
        assert.equal(t.toname, r.fields.get('toname'));
        assert.equal(t.object, Number(r.fields.get('object')));
        assert.equal(t.offset, Number(r.fields.get('offset')));
        assert.equal(t.bytes, Number(r.fields.get('bytes')));
        const flags = [...r.fields].filter(([, v]) => v === '1').map(([k]) => k).sort();
        assert.deepEqual([...t.flags].sort(), flags);
      });
    }

    it('a full stream has no fromguid; -I interrupted in its second snapshot resumes from the first', () => {
      assert.equal(decodeResumeToken(rec.get('full')!.token).fromguid, undefined);
      const incI = decodeResumeToken(rec.get('incI')!.token);
      assert.equal(incI.fromguid, decodeResumeToken(rec.get('inc')!.token).toguid, 'its base is @s2, which arrived whole');
      assert.match(incI.toname ?? '', /@s3$/);
      assert.deepEqual(decodeResumeToken(rec.get('flags')!.token).flags.sort(), ['compressok', 'embedok']);
    });
  });
}

describe('resume token: malformed ones are a precise TokenError', () => {
  const good = recorded('2.1').get('inc')!.token;
  const [v, ck, len, hex] = good.split('-') as [string, string, string, string];
  const bad = (token: string, message: RegExp) => assert.throws(() => decodeResumeToken(token), (e: unknown) => e instanceof TokenError && message.test(e.message));

  it('shape, version, hex', () => {
    bad('1-abc', /expected 4 fields/);
    bad(`2-${ck}-${len}-${hex}`, /version 2 is not supported/);
    bad(`${v}-${ck}-${len}-${hex}zz`, /payload is not lowercase hex/);
    bad(`${v}-${ck}-${len}-${hex}0`, /odd number of hex digits/);
  });

  it('the checksum is verified, and the length', () => {
    const flipped = hex.slice(0, 20) + (hex[20] === '0' ? '1' : '0') + hex.slice(21);
    bad(`${v}-${ck}-${len}-${flipped}`, /checksum mismatch/);
    bad(`${v}-${ck}-${(parseInt(len, 16) + 1).toString(16)}-${hex}`, /unpacks to 240 bytes, not the 241/);
  });

  it('a payload that does not inflate, with a checksum that fits', () => {
    const junk = Buffer.from('not zlib at all!');
    bad(`1-${fletcher4First(junk).toString(16)}-10-${junk.toString('hex')}`, /does not decompress/);
  });

  const wrap = (packed: Buffer) => {
    const z = deflateSync(packed);
    return `1-${fletcher4First(z).toString(16)}-${packed.length.toString(16)}-${z.toString('hex')}`;
  };
  /** A native little-endian nvpair as libnvpair lays it out. */
  const pair = (name: string, type: number, value: Buffer, elems = 1) => {
    const nameBytes = Buffer.from(name + '\0');
    const head = (16 + nameBytes.length + 7) & ~7;
    const size = (head + value.length + 7) & ~7;
    const b = Buffer.alloc(size);
    b.writeInt32LE(size, 0);
    b.writeUInt16LE(nameBytes.length, 4);
    b.writeInt32LE(elems, 8);
    b.writeInt32LE(type, 12);
    nameBytes.copy(b, 16);
    value.copy(b, head);
    return b;
  };
  const u64 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return b;
  };
  const native = (...pairs: Buffer[]) => Buffer.concat([Buffer.from([0, 1, 0, 0]), Buffer.from([0, 0, 0, 0, 1, 0, 0, 0]), ...pairs, Buffer.alloc(4)]);
  const required = [pair('object', 8, u64(1n)), pair('offset', 8, u64(2n)), pair('bytes', 8, u64(3n))];

  it('a hand-packed native list decodes (the encoder in this test agrees with zfs)', () => {
    const t = decodeResumeToken(wrap(native(...required, pair('toguid', 8, u64(18446744073709551615n)), pair('rawok', 1, Buffer.alloc(0), 0))));
    assert.deepEqual(t, { toguid: '18446744073709551615', object: 1, offset: 2, bytes: 3, flags: ['rawok'] });
  });

  it('missing fields, wrong types, duplicates, truncation, trailing bytes', () => {
    bad(wrap(native(...required)), /has no toguid/);
    bad(wrap(native(...required, pair('toguid', 9, Buffer.from('x\0')))), /toguid is not a number/);
    bad(wrap(native(...required, pair('toguid', 8, u64(1n)), pair('toguid', 8, u64(2n)))), /names toguid twice/);
    bad(wrap(native(...required, pair('toguid', 20, u64(1n)))), /type 20, which a resume token never holds/);
    const whole = native(...required, pair('toguid', 8, u64(1n)));
    bad(wrap(whole.subarray(0, whole.length - 10)), /ends inside|beyond the list/);
    bad(wrap(Buffer.concat([whole, Buffer.alloc(4)])), /bytes after its end/);
    const hugeSize = Buffer.from(whole);
    hugeSize.writeInt32LE(4096, 12);
    bad(wrap(hugeSize), /size 4096, beyond the list/);
    bad(wrap(Buffer.from([7, 1, 0, 0])), /unknown encoding 7/);
  });

  it('the XDR encoding decodes too (big-endian, 4-byte units)', () => {
    const be32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const xdrPair = (name: string, type: number, value: Buffer, elems = 1) => {
      const nb = Buffer.from(name);
      const padded = Buffer.concat([nb, Buffer.alloc((4 - (nb.length % 4)) % 4)]);
      const body = Buffer.concat([be32(nb.length), padded, be32(type), be32(elems), value]);
      return Buffer.concat([be32(body.length + 8), be32(body.length + 8), body]);
    };
    const be64 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(n);
      return b;
    };
    const name = Buffer.from('tank/a@s1');
    const str = Buffer.concat([be32(name.length), name, Buffer.alloc(3)]);
    const packed = Buffer.concat([Buffer.from([1, 0, 0, 0]), be32(0), be32(1), xdrPair('object', 8, be64(5n)), xdrPair('offset', 8, be64(6n)), xdrPair('bytes', 8, be64(7n)), xdrPair('toguid', 8, be64(42n)), xdrPair('toname', 9, str), xdrPair('embedok', 1, Buffer.alloc(0), 0), be32(0), be32(0)]);
    assert.deepEqual(decodeResumeToken(wrap(packed)), { toguid: '42', object: 5, offset: 6, bytes: 7, flags: ['embedok'], toname: 'tank/a@s1' });
  });
});
