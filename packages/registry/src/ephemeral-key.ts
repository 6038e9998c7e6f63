import { EtcdLeaseInvalidError, type ITxnResponse, type Lease, type Namespace } from 'etcd3';
import { KeepaliveWatchdog } from './keepalive-watchdog';

/** The least time one acquire attempt's calls get, whatever the TTL. */
const MIN_ATTEMPT_MS = 5_000;

/** Thrown when an ephemeral key is already held by a live lease of another process. */
export class KeyInUseError extends Error {
  constructor(
    readonly key: string,
    readonly currentValue: string | null,
    /** The holder's lease id ('0' when unknown), to ask etcd how long it has left. */
    readonly holderLeaseId = '0',
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
  /** Set once the key is held: notices keep-alives that stopped being answered (its file says why). */
  private watchdog: KeepaliveWatchdog | undefined;

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
    // Every call of an attempt has a deadline: a call without one waits as long as its connection
    // looks open, and a caller retrying after a lost lease would wait with it.
    const deadline = () => Date.now() + Math.max(MIN_ATTEMPT_MS, ttlSeconds * 1000);
    const lease = ns.lease(ttlSeconds, { autoKeepAlive: true, deadline: deadline() });
    let leaseId: string;
    let result: ITxnResponse;
    try {
      leaseId = await lease.grant();
      result = await ns
        .if(key, 'Create', '==', 0)
        .then(ns.put(key).value(value).lease(leaseId))
        .else(ns.get(key))
        .options({ deadline: deadline() })
        .commit();
    } catch (err) {
      // The txn may have been applied with its answer lost. Left alone, the lease would go on
      // being kept alive with the key on it, and this process would wait forever for "a former
      // run's" key to expire. Revoking stops the keep-alives at once and deletes the key; if etcd
      // cannot be reached, the lease expires within its TTL.
      await lease.revoke({ deadline: deadline() }).catch(() => undefined);
      throw err;
    }
    if (!result.succeeded) {
      await lease.revoke({ deadline: deadline() }).catch(() => undefined);
      const kv = result.responses[0]?.response_range?.kvs[0];
      throw new KeyInUseError(key, kv?.value?.toString() ?? null, String(kv?.lease ?? '0'));
    }
    const createRevision = Number(result.header.revision);
    const held = new EphemeralKey(ns, key, lease, leaseId, createRevision);
    // etcd3 may report one lost lease more than once (failed keep-alive, then the revoke that
    // follows); the holder hears about it exactly once.
    let reported = false;
    const report = (err: Error) => {
      held.watchdog?.stop();
      if (held.released || reported) return;
      reported = true;
      onLost(err);
    };
    lease.on('lost', report);
    held.watchdog = new KeepaliveWatchdog(ttlSeconds, (silentMs) => {
      // Stop etcd3's keep-alive loop: the lease is gone, and a loop that wakes up later must not
      // keep a new key's predecessor in mind.
      lease.release();
      report(new Error(`no keep-alive of lease ${leaseId} answered for ${silentMs} ms`));
    });
    lease.on('keepaliveSucceeded', () => held.watchdog?.answered());
    return held;
  }

  /**
   * `acquire`, except that a key held by a former run of this same process (`isOwnStale` says
   * so, e.g. the same id registered at our own address, which only a dead process can hold
   * since we bound the port) is waited out: a process killed without revoking its lease (kill -9,
   * or etcd stopping before the revoke) leaves the key until the lease expires, at most one TTL.
   * If the key is still held once the holder's granted TTL (plus a second) has passed, its
   * holder is keeping the lease alive: a live duplicate, refused with KeyInUseError.
   *
   * `deadPredecessorLeaseId`: the lease of a former run this process has proven dead (the broker
   * proves it from its data directory, data-dir-owner.ts). A key held by exactly that lease is
   * not waited out: the lease is revoked, which deletes the key, and the key is taken at once.
   * A key held by any other lease is treated as above.
   */
  static async acquireWaitingOutStale(
    ns: Namespace,
    key: string,
    value: string,
    ttlSeconds: number,
    onLost: (err: Error) => void,
    isOwnStale: (currentValue: string | null) => boolean,
    onWaiting?: (waitMs: number) => void,
    deadPredecessorLeaseId?: string,
    onRevoked?: (leaseId: string) => void,
  ): Promise<EphemeralKey> {
    let deadline: number | undefined;
    let revoked = false;
    for (;;) {
      try {
        return await EphemeralKey.acquire(ns, key, value, ttlSeconds, onLost);
      } catch (err) {
        if (
          err instanceof KeyInUseError &&
          !revoked &&
          deadPredecessorLeaseId !== undefined &&
          err.holderLeaseId === deadPredecessorLeaseId
        ) {
          revoked = true;
          await revokeLease(ns, deadPredecessorLeaseId);
          onRevoked?.(deadPredecessorLeaseId);
          continue;
        }
        if (!(err instanceof KeyInUseError) || !isOwnStale(err.currentValue)) throw err;
        if (deadline === undefined) {
          const waitMs = (await grantedTtlSeconds(ns, err.holderLeaseId, ttlSeconds)) * 1000 + 1000;
          deadline = Date.now() + waitMs;
          onWaiting?.(waitMs);
        }
        if (Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
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
    this.watchdog?.stop();
    // Bounded like an acquire: a stop must not wait on a dead connection (the lease then expires).
    await this.lease.revoke({ deadline: Date.now() + MIN_ATTEMPT_MS }).catch(() => undefined);
  }
}

/** Revokes a lease by id (one this process did not grant); a lease already gone is fine. */
async function revokeLease(ns: Namespace, leaseId: string): Promise<void> {
  try {
    await ns.leaseClient.leaseRevoke({ ID: leaseId });
  } catch (err) {
    if (!(err instanceof EtcdLeaseInvalidError)) throw err; // not found: expired meanwhile
  }
}

/** The TTL a lease was granted with (`fallback` when etcd does not know it any more). */
async function grantedTtlSeconds(ns: Namespace, leaseId: string, fallback: number): Promise<number> {
  if (leaseId === '0') return fallback;
  try {
    const res = await ns.leaseClient.leaseTimeToLive({ ID: leaseId });
    const granted = Number(res.grantedTTL);
    return granted > 0 ? granted : fallback;
  } catch {
    return fallback;
  }
}

/**
 * True when `currentValue` is a registration record (JSON with `host` and `port`) at exactly
 * this address: the registration a former run of this process left behind.
 */
export function registeredAt(currentValue: string | null, host: string, port: number): boolean {
  if (currentValue === null) return false;
  try {
    const record = JSON.parse(currentValue) as { host?: unknown; port?: unknown };
    return record.host === host && record.port === port;
  } catch {
    return false;
  }
}
