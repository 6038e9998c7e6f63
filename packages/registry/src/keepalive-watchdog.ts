/**
 * Notices a lease whose keep-alives stopped being answered without etcd3 saying so.
 *
 * etcd3's `Lease` reports `lost` when a keep-alive answer says the lease expired, or when its
 * keep-alive loop restarts more than twice the TTL after the last answer. But the loop restarts
 * only from a stream error or a stream timeout: while it waits for the keep-alive stream itself to
 * open (`leaseKeepAlive()` on a connection that went silent), nothing fires, and a process can go
 * on believing it holds a key that etcd deleted with the expired lease. The fault suite saw that
 * twice more after the deadlines of docs/faults.md: a group coordinator that served on with no
 * registration, 30 s after every link had healed. This check does not depend on how the loop
 * stalls: no answered keep-alive for twice the TTL (etcd expires a lease after one TTL without
 * one) means the lease is gone.
 */
export class KeepaliveWatchdog {
  #lastAnswered: number;
  readonly #timer: NodeJS.Timeout;

  constructor(
    ttlSeconds: number,
    /** Called once, when no keep-alive was answered for twice the TTL. */
    private readonly onSilent: (silentMs: number) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.#lastAnswered = now();
    const limitMs = 2 * ttlSeconds * 1000;
    this.#timer = setInterval(
      () => {
        const silentMs = this.now() - this.#lastAnswered;
        if (silentMs <= limitMs) return;
        this.stop();
        this.onSilent(silentMs);
      },
      Math.max(250, (ttlSeconds * 1000) / 4),
    );
    this.#timer.unref();
  }

  /** A keep-alive was answered (etcd3's `keepaliveSucceeded`). */
  answered(): void {
    this.#lastAnswered = this.now();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
