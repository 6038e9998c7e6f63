import type { Lease, Namespace } from 'etcd3';

/** Thrown when an ephemeral key is already held by a live lease of another process. */
export class KeyInUseError extends Error {
  constructor(
    readonly key: string,
    readonly currentValue: string | null,
  ) {
    super(`etcd key ${key} is held by another live process: ${currentValue ?? '(gone)'}`);
    this.name = 'KeyInUseError';
  }
}

/**
 * An ephemeral etcd key bound to a lease: the key exists exactly while this process keeps the
 * lease alive. Creation is a txn on `create_revision == 0`, so two processes can never both
 * believe they hold the key; the key's create revision identifies this holder (the controller
 * uses it as its epoch).
 *
 * When keep-alives fail past the TTL, etcd deletes the key and `onLost` fires: the holder must
 * stop acting on its claim (it may try `acquire` again).
 */
export class EphemeralKey {
  private released = false;

  private constructor(
    private readonly ns: Namespace,
    readonly key: string,
    private readonly lease: Lease,
    /** Lease id, for writes that must vanish with this key's owner. */
    readonly leaseId: string,
    /** The key's create revision: unique to this holder, increasing across holders. */
    readonly createRevision: number,
  ) {}

  /**
   * Creates `key` = `value` on a new lease of `ttlSeconds`, or throws KeyInUseError if another
   * live lease holds it.
   */
  static async acquire(
    ns: Namespace,
    key: string,
    value: string,
    ttlSeconds: number,
    onLost: (err: Error) => void,
  ): Promise<EphemeralKey> {
    const lease = ns.lease(ttlSeconds, { autoKeepAlive: true });
    const leaseId = await lease.grant();
    const result = await ns
      .if(key, 'Create', '==', 0)
      .then(ns.put(key).value(value).lease(leaseId))
      .else(ns.get(key))
      .commit();
    if (!result.succeeded) {
      await lease.revoke().catch(() => undefined);
      const current = result.responses[0]?.response_range?.kvs[0]?.value?.toString() ?? null;
      throw new KeyInUseError(key, current);
    }
    const createRevision = Number(result.header.revision);
    const held = new EphemeralKey(ns, key, lease, leaseId, createRevision);
    // etcd3 may report one lost lease more than once (failed keep-alive, then the revoke that
    // follows); the holder hears about it exactly once.
    let reported = false;
    lease.on('lost', (err) => {
      if (held.released || reported) return;
      reported = true;
      onLost(err);
    });
    return held;
  }

  /** Puts a new value under the same lease, only while this holder still owns the key. */
  async update(value: string): Promise<boolean> {
    const result = await this.ns
      .if(this.key, 'Create', '==', this.createRevision)
      .then(this.ns.put(this.key).value(value).lease(this.leaseId))
      .commit();
    return result.succeeded;
  }

  /** Revokes the lease, which deletes the key at once. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.lease.revoke().catch(() => undefined);
  }
}
