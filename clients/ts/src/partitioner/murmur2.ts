/**
 * Kafka's murmur2, bit for bit as `org.apache.kafka.common.utils.Utils.murmur2` computes it, so a
 * key lands on the same partition number as with the Java client (and KafkaJS's default
 * partitioner). 32-bit arithmetic through `Math.imul` and `| 0`; `>>>` mirrors Java's `>>>`.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** The signed 32-bit murmur2 hash of `data` (what Java's `Utils.murmur2` returns). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  // Java's switch falls through: 3 folds bytes 2, 1, 0; 2 folds 1, 0; 1 folds 0.
  const rest = length & 3;
  if (rest >= 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not `Math.abs`, which breaks on INT_MIN). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a key: `toPositive(murmur2(key)) % count`. */
export function partitionForKey(key: Uint8Array | string, partitionCount: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return toPositive(murmur2(bytes)) % partitionCount;
}
