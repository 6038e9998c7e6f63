/**
 * Kafka's zig-zag variable-length integers (protobuf style: 7 bits a byte, least significant
 * group first, high bit set on every byte but the last), used inside RecordBatch v2 records.
 *
 * - `varint`  is a zig-zag int32: at most 5 bytes.
 * - `varlong` is a zig-zag int64: at most 10 bytes on the wire. In JavaScript it is a `number`,
 *   so only safe integers (|v| <= 2^53 - 1) are written, and a wire value outside that range is
 *   rejected as corrupt rather than rounded.
 *
 * Nothing here allocates: readers advance a caller-owned {@link Cursor}, writers return the next
 * offset. Readers never look past `limit` and throw {@link CorruptMessageError} instead of reading
 * beyond it, so a damaged length cannot make the decoder wander into a neighbouring record.
 */
import { CorruptMessageError } from '@tributary/errors';

/** A read position, advanced in place by the readers (one object per decode, not per value). */
export interface Cursor {
  pos: number;
}

const TWO_POW_28 = 0x10000000;
/** A varlong whose bits above 28 exceed this cannot decode to a safe integer. */
const MAX_SAFE_HIGH = 0x4000000; // 2^26: (2^26 * 2^28) / 2 = 2^53

function truncated(what: string, pos: number): CorruptMessageError {
  return new CorruptMessageError(
    `Truncated ${what} at byte ${pos}: its bytes run past the end of the record.`,
  );
}

/** Bytes {@link writeVarint} uses for `value` (an int32). */
export function sizeOfVarint(value: number): number {
  const v = ((value << 1) ^ (value >> 31)) >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** Writes `value` (an int32; other numbers are truncated to 32 bits) at `offset`; returns the next offset. */
export function writeVarint(buf: Uint8Array, offset: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[offset++] = v;
  return offset;
}

/** Reads a zig-zag int32 at `cursor.pos`, not reading at or beyond `limit`; advances the cursor. */
export function readVarint(buf: Uint8Array, cursor: Cursor, limit: number): number {
  let pos = cursor.pos;
  if (pos >= limit) throw truncated('varint', pos);
  let b = buf[pos++]!;
  if (b < 0x80) {
    cursor.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  let raw = b & 0x7f;
  let shift = 7;
  for (;;) {
    if (pos >= limit) throw truncated('varint', pos);
    b = buf[pos++]!;
    if (shift === 28) {
      // Fifth byte: only 4 bits remain of 32, and no continuation is allowed.
      if (b > 0x0f) throw new CorruptMessageError(`Varint at byte ${cursor.pos} is longer than 32 bits.`);
      raw |= b << 28;
      break;
    }
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  cursor.pos = pos;
  return (raw >>> 1) ^ -(raw & 1);
}

/** Bytes {@link writeVarlong} uses for `value` (a safe integer). */
export function sizeOfVarlong(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return sizeOfVarint(value);
  // |value| >= 2^30, so the zig-zag form is at least 2^31: 5 or more bytes. Compare on the
  // magnitude m = zigzag >> 1 to stay within exact doubles.
  const m = value >= 0 ? value : -value - 1;
  let size = 5;
  let limit = 2 ** 34; // zig-zag < 2^35 fits in 5 bytes, i.e. m < 2^34
  while (m >= limit && size < 10) {
    size++;
    limit *= 128;
  }
  return size;
}

/**
 * Writes `value` (a safe integer) as a zig-zag varlong at `offset`; returns the next offset.
 * Throws RangeError for a value that is not a safe integer (that is a caller bug, not wire damage).
 */
export function writeVarlong(buf: Uint8Array, offset: number, value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, offset, value);
  if (!Number.isSafeInteger(value)) throw new RangeError(`varlong value ${value} is not a safe integer`);
  // zig-zag = 2m + sign, where m = |value| or |value| - 1: up to 2^54, beyond exact doubles, so
  // emit the first 7 bits (6 of m, plus the sign) by hand and the rest from m / 64.
  const negative = value < 0;
  const m = negative ? -value - 1 : value;
  buf[offset++] = (((m % 64) << 1) | (negative ? 1 : 0) | 0x80) & 0xff;
  let rest = Math.floor(m / 64); // < 2^47: exact
  while (rest >= 0x80) {
    buf[offset++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  buf[offset++] = rest;
  return offset;
}

/**
 * Reads a zig-zag varlong at `cursor.pos`, not reading at or beyond `limit`; advances the cursor.
 * Throws CorruptMessageError when it is longer than 10 bytes or outside the safe integer range.
 */
export function readVarlong(buf: Uint8Array, cursor: Cursor, limit: number): number {
  let pos = cursor.pos;
  if (pos >= limit) throw truncated('varlong', pos);
  let b = buf[pos++]!;
  if (b < 0x80) {
    cursor.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  // Low 28 bits in an int, the rest (as a double) in `high`: raw = high * 2^28 + low.
  let low = b & 0x7f;
  let shift = 7;
  for (;;) {
    if (pos >= limit) throw truncated('varlong', pos);
    b = buf[pos++]!;
    low |= (b & 0x7f) << shift;
    if (b < 0x80) {
      cursor.pos = pos;
      return (low >>> 1) ^ -(low & 1);
    }
    shift += 7;
    if (shift === 28) break;
  }
  let high = 0;
  let scale = 1;
  for (let i = 4; ; i++) {
    if (i === 10) throw new CorruptMessageError(`Varlong at byte ${cursor.pos} is longer than 10 bytes.`);
    if (pos >= limit) throw truncated('varlong', pos);
    b = buf[pos++]!;
    high += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 128;
  }
  if (high >= MAX_SAFE_HIGH) {
    throw new CorruptMessageError(`Varlong at byte ${cursor.pos} is outside the safe integer range.`);
  }
  cursor.pos = pos;
  // m = raw >> 1 < 2^53, exact; sign = raw & 1.
  const m = high * (TWO_POW_28 / 2) + (low >>> 1);
  const value = low & 1 ? -m - 1 : m;
  if (!Number.isSafeInteger(value)) {
    throw new CorruptMessageError(`Varlong at byte ${cursor.pos} is outside the safe integer range.`);
  }
  return value;
}
