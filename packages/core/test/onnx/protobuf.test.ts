import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtoReader, ProtoWriter } from '../../src/onnx/protobuf.js';
import { expectCode } from '../../src/testing/expect-code.js';

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** Reads the one field of `bytes`, asserting its number and wire type. */
function single(bytes: Uint8Array, field: number, wire: number): ProtoReader {
  const r = new ProtoReader(bytes);
  expect(r.tag()).toEqual({ field, wire });
  return r;
}

describe('varints', () => {
  const unsigned = [
    0,
    1,
    127,
    128,
    300,
    16_383,
    16_384,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 35 + 7,
    Number.MAX_SAFE_INTEGER,
  ];
  it.each(unsigned)('round-trips uint %d', (value) => {
    const r = single(new ProtoWriter().uint(1, value).finish(), 1, 0);
    expect(r.uint()).toBe(value);
    expect(r.done).toBe(true);
  });

  const signed = [
    0,
    1,
    -1,
    -2,
    2 ** 31 - 1,
    -(2 ** 31),
    -(2 ** 32),
    -(2 ** 32) - 1,
    2 ** 40,
    -(2 ** 40) + 3,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
  ];
  it.each(signed)('round-trips int64 %d', (value) => {
    const r = single(new ProtoWriter().int64(1, value).finish(), 1, 0);
    expect(r.int64()).toBe(value);
    expect(r.done).toBe(true);
  });

  it('uses the canonical bytes', () => {
    expect(hex(new ProtoWriter().uint(1, 300).finish())).toBe('08 ac 02');
    expect(hex(new ProtoWriter().uint(1, 0).finish())).toBe('08 00');
    expect(hex(new ProtoWriter().int64(2, -1).finish())).toBe('10 ff ff ff ff ff ff ff ff ff 01');
    expect(hex(new ProtoWriter().int64(2, -(2 ** 31)).finish())).toBe('10 80 80 80 80 f8 ff ff ff ff 01');
    expect(hex(new ProtoWriter().uint(1, 2 ** 32).finish())).toBe('08 80 80 80 80 10');
    expect(hex(new ProtoWriter().uint(2 ** 29 - 1, 1).finish())).toBe('f8 ff ff ff 0f 01');
  });

  it('reads int32 values sign-extended to ten bytes', () => {
    expect(single(new ProtoWriter().int64(3, -5).finish(), 3, 0).int32()).toBe(-5);
  });

  it('round-trips any safe integer (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (value) => {
        expect(single(new ProtoWriter().int64(7, value).finish(), 7, 0).int64()).toBe(value);
        if (value >= 0) expect(single(new ProtoWriter().uint(7, value).finish(), 7, 0).uint()).toBe(value);
      }),
    );
  });

  it('rejects values the writer cannot represent with E_INPUT', async () => {
    await expectCode(() => new ProtoWriter().uint(1, -1), 'E_INPUT');
    await expectCode(() => new ProtoWriter().uint(1, 2 ** 53), 'E_INPUT');
    await expectCode(() => new ProtoWriter().int64(1, 0.5), 'E_INPUT');
    await expectCode(() => new ProtoWriter().uint(0, 1), 'E_INPUT');
  });

  it('rejects varints beyond 53 bits, over ten bytes, or truncated with E_MODEL', async () => {
    const big = Uint8Array.of(0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10); // 2^53
    const r = new ProtoReader(big);
    r.tag();
    await expectCode(() => r.uint(), 'E_MODEL');
    await expectCode(
      () => new ProtoReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)).uint(),
      'E_MODEL',
    );
    await expectCode(() => new ProtoReader(Uint8Array.of(0x80)).uint(), 'E_MODEL');
    await expectCode(() => new ProtoReader(Uint8Array.of()).tag(), 'E_MODEL');
    const minInt64 = new ProtoReader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
    await expectCode(() => minInt64.int64(), 'E_MODEL');
  });

  it('rejects field 0 and wire types 6 and 7', async () => {
    await expectCode(() => new ProtoReader(Uint8Array.of(0x00)).tag(), 'E_MODEL');
    await expectCode(() => new ProtoReader(Uint8Array.of(0x0e)).tag(), 'E_MODEL');
    await expectCode(() => new ProtoReader(Uint8Array.of(0x0f)).tag(), 'E_MODEL');
  });
});

describe('length-delimited values', () => {
  it.each([0, 1, 63, 64, 65, 127, 128, 300, 20_000])('round-trips %d bytes', (length) => {
    const payload = Uint8Array.from({ length }, (_, i) => (i * 31) & 0xff);
    const r = single(new ProtoWriter().bytes(9, payload).finish(), 9, 2);
    expect([...r.bytesView()]).toEqual([...payload]);
    expect(r.done).toBe(true);
  });

  it('round-trips UTF-8 strings and rejects invalid UTF-8 with E_MODEL', async () => {
    for (const text of ['', 'features', 'ünïcødé ✓ 𝄞'])
      expect(single(new ProtoWriter().string(2, text).finish(), 2, 2).string()).toBe(text);
    await expectCode(() => single(Uint8Array.of(0x12, 0x02, 0xc3, 0x28), 2, 2).string(), 'E_MODEL');
  });

  it('nests messages and keeps large parts by reference until finish', () => {
    const big = new Uint8Array(1000).fill(7);
    const inner = new ProtoWriter().uint(1, 5).bytes(2, big).string(3, 'x');
    const outer = new ProtoWriter().string(1, 'a').message(2, inner).uint(3, 9);
    const bytes = outer.finish();
    expect(bytes.length).toBe(outer.length);
    const r = new ProtoReader(bytes);
    expect(r.tag().field).toBe(1);
    expect(r.string()).toBe('a');
    expect(r.tag()).toEqual({ field: 2, wire: 2 });
    const m = r.message();
    m.tag();
    expect(m.uint()).toBe(5);
    m.tag();
    expect(m.bytesView()).toEqual(big);
    m.tag();
    expect(m.string()).toBe('x');
    expect(m.done).toBe(true);
    r.tag();
    expect(r.uint()).toBe(9);
    expect(r.done).toBe(true);
  });

  it('rejects a length running past the end with E_MODEL', async () => {
    await expectCode(() => single(Uint8Array.of(0x12, 0x05, 0x61, 0x62), 2, 2).bytesView(), 'E_MODEL');
    await expectCode(() => single(Uint8Array.of(0x12, 0x05, 0x61, 0x62), 2, 2).message(), 'E_MODEL');
  });
});

describe('floats and packed runs', () => {
  it('round-trips fixed32 floats bit for bit', () => {
    for (const value of [0, -0, 1.5, Math.fround(0.1), -3.4028234663852886e38, 1.401298464324817e-45]) {
      expect(Object.is(single(new ProtoWriter().float32(2, value).finish(), 2, 5).float32(), value)).toBe(true);
    }
  });

  it('reads packed and unpacked repeated fields alike', () => {
    const values = [1.5, -2, 0.25];
    const packed = single(new ProtoWriter().packedFloats(4, values).finish(), 4, 2);
    const out: number[] = [];
    packed.repeatedFloat32(2, out);
    expect(out).toEqual(values);

    const w = new ProtoWriter();
    for (const v of values) w.float32(4, v);
    const r = new ProtoReader(w.finish());
    const unpacked: number[] = [];
    while (!r.done) r.repeatedFloat32(r.tag().wire, unpacked);
    expect(unpacked).toEqual(values);

    const ints = single(new ProtoWriter().packedInt64(7, [3, -1, 2 ** 40]).finish(), 7, 2);
    const intOut: number[] = [];
    ints.repeatedInt64(2, intOut);
    expect(intOut).toEqual([3, -1, 2 ** 40]);
  });

  it('rejects a packed float run that is not a multiple of 4 bytes', async () => {
    await expectCode(() => single(Uint8Array.of(0x22, 0x03, 0, 0, 0), 4, 2).repeatedFloat32(2, []), 'E_MODEL');
  });

  it('writes nothing for empty packed runs', () => {
    expect(new ProtoWriter().packedFloats(4, []).packedInt64(5, []).finish()).toHaveLength(0);
  });
});

describe('skipping unknown fields', () => {
  it('skips every wire type, groups included, and lands on the next field', () => {
    const bytes = Uint8Array.of(
      0x08,
      0x96,
      0x01, // 1: varint 150
      0x11,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // 2: fixed64
      0x1a,
      0x02,
      0x61,
      0x62, // 3: bytes "ab"
      0x25,
      1,
      2,
      3,
      4, // 4: fixed32
      0x2b,
      0x08,
      0x01,
      0x33,
      0x34,
      0x2c, // 5: group { 1: 1, 6: group {} }
      0x38,
      0x2a, // 7: varint 42
    );
    const r = new ProtoReader(bytes);
    for (let i = 0; i < 5; i++) r.skip(r.tag().wire);
    expect(r.tag()).toEqual({ field: 7, wire: 0 });
    expect(r.uint()).toBe(42);
    expect(r.done).toBe(true);
  });

  it('rejects unterminated groups, stray group ends and truncated fixed values with E_MODEL', async () => {
    const unterminated = new ProtoReader(Uint8Array.of(0x0b, 0x08, 0x01));
    await expectCode(() => unterminated.skip(unterminated.tag().wire), 'E_MODEL');
    const mismatched = new ProtoReader(Uint8Array.of(0x0b, 0x14));
    await expectCode(() => mismatched.skip(mismatched.tag().wire), 'E_MODEL');
    const stray = new ProtoReader(Uint8Array.of(0x0c));
    await expectCode(() => stray.skip(stray.tag().wire), 'E_MODEL');
    const fixed = new ProtoReader(Uint8Array.of(0x09, 1, 2, 3));
    await expectCode(() => fixed.skip(fixed.tag().wire), 'E_MODEL');
    const deep = new ProtoReader(new Uint8Array(200).fill(0x0b));
    await expectCode(() => deep.skip(deep.tag().wire), 'E_MODEL');
  });

  it('never throws anything but E_MODEL on random bytes, and always terminates (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = new ProtoReader(bytes);
        try {
          while (!r.done) r.skip(r.tag().wire);
        } catch (error) {
          expect((error as { code?: unknown }).code).toBe('E_MODEL');
        }
      }),
    );
  });
});
