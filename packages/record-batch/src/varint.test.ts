import { CorruptMessageError } from '@tributary/errors';
import fc from 'fast-check';
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

/** Reference encoder on BigInt, written from the spec (zig-zag, then base-128 little-endian groups). */
function reference(value: bigint, bits: 32n | 64n): string {
  let zz = BigInt.asUintN(Number(bits), (value << 1n) ^ (value >> (bits - 1n)));
  const out: number[] = [];
  while (zz >= 0x80n) {
    out.push(Number(zz & 0x7fn) | 0x80);
    zz >>= 7n;
  }
  out.push(Number(zz));
  return Buffer.from(out).toString('hex');
}

function encodeVarint(value: number): string {
  const buf = Buffer.alloc(5);
  const end = writeVarint(buf, 0, value);
  expect(end).toBe(sizeOfVarint(value));
  return buf.subarray(0, end).toString('hex');
}

function encodeVarlong(value: number): string {
  const buf = Buffer.alloc(10);
  const end = writeVarlong(buf, 0, value);
  expect(end).toBe(sizeOfVarlong(value));
  return buf.subarray(0, end).toString('hex');
}

function decode(hex: string, read: typeof readVarint): { value: number; pos: number } {
  const buf = Buffer.from(hex, 'hex');
  const cursor = { pos: 0 };
  const value = read(buf, cursor, buf.length);
  return { value, pos: cursor.pos };
}

// Known values, as Kafka's ByteUtils writes them (and ByteUtilsTest checks).
const VARINTS: [number, string][] = [
  [0, '00'],
  [-1, '01'],
  [1, '02'],
  [63, '7e'],
  [-64, '7f'],
  [64, '8001'],
  [-65, '8101'],
  [300, 'd804'],
  [8191, 'fe7f'],
  [-8192, 'ff7f'],
  [8192, '808001'],
  [2147483647, 'feffffff0f'],
  [-2147483648, 'ffffffff0f'],
];

const VARLONGS: [number, string][] = [
  ...VARINTS,
  [2 ** 31, '8080808010'],
  [-(2 ** 31) - 1, '8180808010'],
  [2 ** 34, '808080808001'],
  [1509928155660, '98e8d9ebf157'],
  [2 ** 53 - 1, 'feffffffffffff1f'],
  [-(2 ** 53 - 1), 'fdffffffffffff1f'],
];

describe('varint (zig-zag int32)', () => {
  test.each(VARINTS)('%d <-> %s', (value, hex) => {
    expect(encodeVarint(value)).toBe(hex);
    expect(decode(hex, readVarint)).toEqual({ value, pos: hex.length / 2 });
  });

  test('matches a BigInt reference for every int32', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
        const hex = encodeVarint(value);
        expect(hex).toBe(reference(BigInt(value), 32n));
        expect(decode(hex, readVarint).value).toBe(value);
      }),
    );
  });

  test('rejects a varint longer than 32 bits', () => {
    expect(() => decode('ffffffff10', readVarint)).toThrow(CorruptMessageError);
    expect(() => decode('ffffffffff01', readVarint)).toThrow(CorruptMessageError);
  });

  test('never reads at or past the limit', () => {
    const buf = Buffer.from('808001', 'hex');
    expect(() => readVarint(buf, { pos: 0 }, 2)).toThrow(CorruptMessageError);
    expect(() => readVarint(buf, { pos: 3 }, 3)).toThrow(/Truncated varint/);
    expect(readVarint(buf, { pos: 0 }, 3)).toBe(8192);
  });

  test('reads from the cursor and advances it', () => {
    const buf = Buffer.from('7f8001d804', 'hex');
    const cursor = { pos: 0 };
    expect([readVarint(buf, cursor, 5), readVarint(buf, cursor, 5), readVarint(buf, cursor, 5)]).toEqual([
      -64, 64, 300,
    ]);
    expect(cursor.pos).toBe(5);
  });
});

describe('varlong (zig-zag int64, safe integers)', () => {
  test.each(VARLONGS)('%d <-> %s', (value, hex) => {
    expect(encodeVarlong(value)).toBe(hex);
    expect(decode(hex, readVarlong)).toEqual({ value, pos: hex.length / 2 });
  });

  test('matches a BigInt reference for safe integers up to 2^53', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.maxSafeInteger(),
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
          fc.constantFrom(2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 30, -(2 ** 30), 2 ** 30 - 1, -(2 ** 30) - 1),
        ),
        (value) => {
          const hex = encodeVarlong(value);
          expect(hex).toBe(reference(BigInt(value), 64n));
          expect(decode(hex, readVarlong).value).toBe(value);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('rejects wire values outside the safe range, not rounding them', () => {
    expect(() => decode('ffffffffffffff1f', readVarlong)).toThrow(CorruptMessageError); // -2^53
    expect(() => decode(reference(2n ** 53n, 64n), readVarlong)).toThrow(CorruptMessageError);
    expect(() => decode(reference(-(2n ** 53n) - 1n, 64n), readVarlong)).toThrow(CorruptMessageError);
    expect(() => decode(reference(2n ** 63n - 1n, 64n), readVarlong)).toThrow(/safe integer/);
    expect(() => decode(reference(-(2n ** 63n), 64n), readVarlong)).toThrow(/safe integer/);
  });

  test('rejects a varlong longer than 10 bytes and a truncated one', () => {
    expect(() => decode('8080808080808080808001', readVarlong)).toThrow(/longer than 10 bytes/);
    expect(() => decode('80808080', readVarlong)).toThrow(/Truncated varlong/);
    expect(() => decode('8080808080', readVarlong)).toThrow(/Truncated varlong/);
  });

  test('refuses to write a value that is not a safe integer', () => {
    expect(() => writeVarlong(Buffer.alloc(10), 0, 2 ** 53)).toThrow(RangeError);
    expect(() => writeVarlong(Buffer.alloc(10), 0, 1.5e9 + 0.5)).toThrow(RangeError);
  });
});
