/**
 * int64 fields as JavaScript numbers: read as hi/lo uint32 halves and rejected unless the result
 * is a safe integer, so a damaged or foreign offset can never be silently rounded.
 */
import { CorruptMessageError } from '@tributary/errors';

const TWO_POW_32 = 0x100000000;

/** Reads the big-endian int64 at `offset`; throws CorruptMessageError naming `field` if unsafe. */
export function readSafeInt64(buf: Buffer, offset: number, field: string): number {
  const value = buf.readInt32BE(offset) * TWO_POW_32 + buf.readUInt32BE(offset + 4);
  if (!Number.isSafeInteger(value)) {
    throw new CorruptMessageError(
      `${field} 0x${buf.toString('hex', offset, offset + 8)} is not a safe integer in JavaScript.`,
    );
  }
  return value;
}

/** Writes `value` (a safe integer, checked by the caller) as a big-endian int64 at `offset`. */
export function writeInt64(buf: Buffer, offset: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(hi, offset);
  buf.writeUInt32BE(value - hi * TWO_POW_32, offset + 4);
}
