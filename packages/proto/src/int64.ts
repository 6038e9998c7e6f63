import { TributaryError } from '@tributary/errors';

/** The shape of a `Long` (long.js, protobufjs) without depending on the library. */
export interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

/** Anything an int64 field may hold: a decimal string (how they are decoded), a number, a bigint or a Long. */
export type Int64Value = string | number | bigint | LongLike;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;
const DECIMAL = /^-?\d+$/;

function isLongLike(value: unknown): value is LongLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isInteger((value as LongLike).low) &&
    Number.isInteger((value as LongLike).high)
  );
}

/** The exact integer value, or undefined when `value` is not an integer at all. */
function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string') return DECIMAL.test(value) ? BigInt(value) : undefined;
  if (isLongLike(value)) {
    const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
    return value.unsigned === true ? bits : BigInt.asIntN(64, bits);
  }
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (isLongLike(value)) return `Long(${toBigInt(value)})`;
  return String(value);
}

/**
 * Converts an int64 field that entered from the wire to a JS number. Offsets, epochs, producer
 * ids and timestamps are int64 in the proto but `number` in TypeScript: this is the one place
 * they are checked, so precision is never lost silently.
 *
 * @param field the proto field name, for the error message (e.g. `fetch_offset`)
 * @throws TributaryError INVALID_REQUEST if `value` is not an integer in
 *   [-(2^53 - 1), 2^53 - 1] (Number.MIN_SAFE_INTEGER..Number.MAX_SAFE_INTEGER)
 */
export function int64ToNumber(value: Int64Value, field: string): number {
  // The common cases without a BigInt: every decoded offset and timestamp goes through here, a
  // few per partition of each produce and fetch answer. At most 15 digits is always safe; `+ 0`
  // turns -0 into 0, as the BigInt path does.
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value + 0;
  if (typeof value === 'string' && value.length <= 15 && DECIMAL.test(value)) return Number(value) + 0;
  const exact = toBigInt(value);
  if (exact === undefined || exact > MAX_SAFE || exact < MIN_SAFE) {
    throw new TributaryError(
      'INVALID_REQUEST',
      `${field} must be an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}, got ${describe(value)}`,
      { context: { field } },
    );
  }
  return Number(exact);
}

/**
 * Converts a number to the decimal string form of an int64 field (what the loader decodes
 * int64s to; encoding accepts it exactly). `-0` becomes "0".
 *
 * @throws RangeError if `n` is not a safe integer: a bug in the caller, not bad input.
 */
export function numberToInt64(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer for an int64 field: ${n}`);
  return String(n);
}
