import { TributaryError } from '@tributary/errors';
import { int64ToNumber, numberToInt64 } from './int64';

/** A minimal Long (as long.js / protobufjs build them) from a bigint. */
function long(value: bigint, unsigned = false) {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned };
}

describe('int64ToNumber', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['-1', -1],
    ['-0', 0],
    ['007', 7],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
    ['-9007199254740991', Number.MIN_SAFE_INTEGER],
  ])('converts the string %s', (text, expected) => {
    expect(Object.is(int64ToNumber(text, 'offset'), expected)).toBe(true);
  });

  it.each([0, 1, -1, 1_700_000_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])(
    'passes the safe number %d through',
    (n) => {
      expect(int64ToNumber(n, 'offset')).toBe(n);
    },
  );

  it('normalizes -0 to 0', () => {
    expect(Object.is(int64ToNumber(-0, 'offset'), 0)).toBe(true);
  });

  it('converts bigints and Longs, signed and unsigned', () => {
    expect(int64ToNumber(123n, 'offset')).toBe(123);
    expect(int64ToNumber(long(-1n), 'leader_epoch')).toBe(-1);
    expect(int64ToNumber(long(1_700_000_000_000n), 'timestamp_ms')).toBe(1_700_000_000_000);
    expect(int64ToNumber(long(-(2n ** 40n)), 'offset')).toBe(-(2 ** 40));
    expect(int64ToNumber(long(2n ** 40n, true), 'offset')).toBe(2 ** 40);
  });

  it.each([
    ['9007199254740992', '2^53'],
    ['-9007199254740992', '-2^53'],
    ['9223372036854775807', 'int64 max'],
    ['-9223372036854775808', 'int64 min'],
  ])('rejects the unsafe string %s (%s)', (text) => {
    expect(() => int64ToNumber(text, 'fetch_offset')).toThrow(TributaryError);
  });

  it.each([
    ['an unsafe number', 2 ** 53],
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an empty string', ''],
    ['a decimal string', '1.0'],
    ['an exponent string', '1e3'],
    ['a hex string', '0x10'],
    ['a padded string', ' 1'],
    ['an unsafe bigint', 2n ** 53n],
    ['an unsafe Long', long(2n ** 63n - 1n)],
    ['an unsafe unsigned Long', long(2n ** 64n - 1n, true)],
  ])('rejects %s', (_what, value) => {
    expect(() => int64ToNumber(value, 'fetch_offset')).toThrow(TributaryError);
  });

  it('rejects values that are no int64 at all (absent fields)', () => {
    expect(() => int64ToNumber(undefined as unknown as string, 'offset')).toThrow(TributaryError);
    expect(() => int64ToNumber(null as unknown as string, 'offset')).toThrow(TributaryError);
    expect(() => int64ToNumber({} as unknown as string, 'offset')).toThrow(TributaryError);
  });

  it('throws INVALID_REQUEST naming the field and the value', () => {
    let thrown: unknown;
    try {
      int64ToNumber('9007199254740993', 'partitions[2].fetch_offset');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TributaryError);
    const error = thrown as TributaryError;
    expect(error.errorName).toBe('INVALID_REQUEST');
    expect(error.retriable).toBe(false);
    expect(error.context['field']).toBe('partitions[2].fetch_offset');
    expect(error.message).toContain('partitions[2].fetch_offset');
    expect(error.message).toContain('"9007199254740993"');
  });
});

describe('numberToInt64', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [-1, '-1'],
    [1_700_000_000_000, '1700000000000'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [Number.MIN_SAFE_INTEGER, '-9007199254740991'],
  ])('converts %d to %s', (n, expected) => {
    expect(numberToInt64(n)).toBe(expected);
  });

  it.each([2 ** 53, 0.5, Number.NaN, Number.NEGATIVE_INFINITY])('refuses %d (a caller bug)', (n) => {
    expect(() => numberToInt64(n)).toThrow(RangeError);
  });

  it('round-trips through int64ToNumber', () => {
    for (const n of [0, 1, -1, 2 ** 31, -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER]) {
      expect(int64ToNumber(numberToInt64(n), 'x')).toBe(n);
    }
  });
});
