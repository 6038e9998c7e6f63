/**
 * The leader's replication throttle for reassignment traffic (Kafka's
 * `leader.replication.throttled.rate`, applied to the replicas a reassignment adds): a token
 * bucket per rate, shared by every partition this broker leads under that rate, so the bytes it
 * sends to adding replicas stay at or under the rate whatever the number of partitions.
 *
 * The bucket may go negative: a read always returns at least one whole batch, so a round can
 * overshoot the tokens left; the debt is paid back before the next throttled read. At most one
 * second's worth of tokens accumulates while idle.
 */

/** One token bucket of `bytesPerSec`. */
export class ReplicationThrottle {
  #tokens: number;
  #at: number;

  constructor(
    readonly bytesPerSec: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = bytesPerSec;
    this.#at = now();
  }

  /** Bytes that may be sent now (≤ 0: none until the bucket refills). */
  available(): number {
    const t = this.now();
    this.#tokens = Math.min(this.bytesPerSec, this.#tokens + ((t - this.#at) / 1000) * this.bytesPerSec);
    this.#at = t;
    return Math.floor(this.#tokens);
  }

  /** Records `bytes` sent. */
  consume(bytes: number): void {
    this.#tokens -= bytes;
  }
}

/** The buckets of one broker, by rate. */
export class ReplicationThrottles {
  readonly #byRate = new Map<number, ReplicationThrottle>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The bucket of `bytesPerSec` (created on first use; a handful of rates at most). */
  get(bytesPerSec: number): ReplicationThrottle {
    let bucket = this.#byRate.get(bytesPerSec);
    if (bucket === undefined) {
      bucket = new ReplicationThrottle(bytesPerSec, this.now);
      this.#byRate.set(bytesPerSec, bucket);
    }
    return bucket;
  }
}
