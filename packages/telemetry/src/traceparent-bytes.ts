/**
 * A sampled record's W3C `traceparent` written straight into bytes, from ids drawn out of a
 * pre-filled random pool: no id strings, no template string, no `Buffer.from(string)`.
 *
 * Layout (55 bytes, W3C Trace Context level 1, version 00):
 *
 * ```
 * 0   3                                   35 36               52 53
 * 00-<trace id, 32 lowercase hex digits>-<span id, 16 hex digits>-01
 * ```
 *
 * The bytes are the one copy of the ids a flat send span keeps (send-tracing.ts in the client):
 * the record's header value, the produce request's context (`traceparent` as a string, made only
 * when a request carries it) and the span's ids at export (`traceIdOf`, `spanIdOf`) all read
 * them. Why: a sampled record's ids, header strings and Buffer were about 700 bytes in nine
 * objects, kept until its acknowledgement (issue 14's seventh pass).
 */
import { randomFillSync } from 'node:crypto';

/** Bytes of a version-00 `traceparent`. */
export const TRACEPARENT_LENGTH = 55;
const TRACE_ID_AT = 3;
const SPAN_ID_AT = 36;
const FLAGS_AT = 53;

/** Random bytes for ids, refilled in bulk (about 200 spans a refill). */
const POOL = Buffer.allocUnsafe(4096);
let poolAt = POOL.length;
const ID_WORDS = 5; // three random words of the trace id, two of the span id

/** A lowercase hex digit's ASCII code, by value. */
const HEX = Buffer.from('0123456789abcdef', 'latin1');

function hexWord(out: Buffer, at: number, word: number): void {
  for (let shift = 28, i = at; shift >= 0; shift -= 4, i++) out[i] = HEX[(word >>> shift) & 15]!;
}

/** Five random 32-bit words from the pool, at `poolAt` (refilled when short). */
function takeWords(): number {
  if (poolAt + 4 * ID_WORDS > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 4 * ID_WORDS;
  return at;
}

/**
 * A new root span's `traceparent`, sampled: a random trace id whose four 32-bit words XOR to
 * `accumulation` (the value the SDK's `TraceIdRatioBasedSampler` compares with its bound, as
 * `traceIdWithAccumulation` in head-sampling.ts builds it) and a random span id.
 */
export function rootTraceparent(accumulation: number): Buffer {
  const at = takeWords();
  let a = POOL.readUInt32BE(at);
  const b = POOL.readUInt32BE(at + 4);
  const c = POOL.readUInt32BE(at + 8);
  if (a === 0 && b === 0 && c === 0 && accumulation === 0) a = 1; // all-zero ids are invalid
  const out = frame();
  hexWord(out, TRACE_ID_AT, a);
  hexWord(out, TRACE_ID_AT + 8, b);
  hexWord(out, TRACE_ID_AT + 16, c);
  hexWord(out, TRACE_ID_AT + 24, (accumulation ^ a ^ b ^ c) >>> 0);
  spanId(out, at + 12);
  return out;
}

/** The `traceparent` of a new span under a parent whose trace id is `traceId` (32 hex digits). */
export function childTraceparent(traceId: string): Buffer {
  const at = takeWords();
  const out = frame();
  out.write(traceId, TRACE_ID_AT, 32, 'latin1');
  spanId(out, at + 12);
  return out;
}

/**
 * Where the `traceparent`s are written: slices of a slab of their own. A flat span keeps its
 * bytes until export (up to a second after its record's acknowledgement); sliced from Node's
 * shared 8 KiB pool, each would keep a pool chunk alive (and the unrelated Buffers' memory in
 * it) for that long. A slab of 64 KiB holds about 1,170 and is freed with the last of them.
 */
const SLAB_BYTES = 64 * 1024;
const SLOT = 56; // 55 bytes, 8-aligned
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabAt = 0;

function frame(): Buffer {
  if (slabAt + SLOT > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabAt = 0;
  }
  const out = slab.subarray(slabAt, slabAt + TRACEPARENT_LENGTH);
  slabAt += SLOT;
  out[0] = 0x30; // '0'
  out[1] = 0x30;
  out[2] = out[TRACE_ID_AT + 32] = out[SPAN_ID_AT + 16] = 0x2d; // '-'
  out[FLAGS_AT] = 0x30;
  out[FLAGS_AT + 1] = 0x31; // sampled
  return out;
}

function spanId(out: Buffer, at: number): void {
  let hi = POOL.readUInt32BE(at);
  const lo = POOL.readUInt32BE(at + 4);
  if (hi === 0 && lo === 0) hi = 1; // an all-zero span id is invalid
  hexWord(out, SPAN_ID_AT, hi);
  hexWord(out, SPAN_ID_AT + 8, lo);
}

/** The trace id (32 hex digits) of a `traceparent` these functions wrote. */
export const traceIdOf = (traceparent: Buffer): string =>
  traceparent.toString('latin1', TRACE_ID_AT, TRACE_ID_AT + 32);

/** The span id (16 hex digits) of a `traceparent` these functions wrote. */
export const spanIdOf = (traceparent: Buffer): string =>
  traceparent.toString('latin1', SPAN_ID_AT, SPAN_ID_AT + 16);
