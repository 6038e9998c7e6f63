import {
  type CoordinatorRegistration,
  EphemeralKey,
  KeyInUseError,
  keys,
  type Namespace,
  registeredAt,
  serializeRecord,
} from '@tributary/registry';
import type { Logger, Step } from '@tributary/service-kit';

export interface CoordinatorLeaseListener {
  /** The lease expired (etcd unreachable past the TTL, or this process was paused): every group claim is gone. */
  onLost(): void;
  /** Another live process registered this coordinator id meanwhile. */
  onDuplicate(reason: string): void;
}

/**
 * The coordinator's one etcd lease: it carries the registry entry `coordinators/<id>` and every
 * key the coordinator writes for its groups (`groups/<g>/coordinator`, members, owners). So when
 * the coordinator dies, its registration and all its group claims vanish in the same etcd
 * revision, and another coordinator can claim the groups at once.
 *
 * This is the service kit's `registrationStep` plus what the groups need from it: the lease id,
 * and a call when the lease is lost (the claims made on it are gone, so the groups must be
 * dropped before registering again on a new lease).
 */
export class CoordinatorLease implements Step {
  readonly name = 'coordinator-registration';
  private held: EphemeralKey | undefined;
  private stopped = false;
  private reacquiring = false;

  constructor(
    private readonly ns: () => Namespace,
    private readonly id: string,
    private readonly registration: () => CoordinatorRegistration,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
    private readonly listener: CoordinatorLeaseListener,
  ) {}

  /** The lease the group keys go on; undefined while not registered. */
  get leaseId(): string | undefined {
    return this.held?.leaseId;
  }

  /** Registers; a registration left at this address by a former run is waited out (one TTL at most). */
  async start(): Promise<void> {
    try {
      const record = this.registration();
      this.held = await EphemeralKey.acquireWaitingOutStale(
        this.ns(),
        keys.coordinatorKey(this.id),
        serializeRecord(record),
        this.ttlSeconds,
        (err) => this.lost(err),
        (current) => registeredAt(current, record.host, record.port),
        (waitMs) =>
          this.logger.warn(
            { waitMs },
            'registered at this address by a former run; waiting for its lease to expire',
          ),
      );
    } catch (err) {
      if (err instanceof KeyInUseError) throw new Error(this.inUse(err.currentValue), { cause: err });
      throw err;
    }
    this.logger.info({ key: keys.coordinatorKey(this.id), lease: this.held.leaseId }, 'registered');
  }

  /** Revokes the lease: the registration and every group claim go at once. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    const held = this.held;
    this.held = undefined;
    await held?.release();
  }

  private acquire(): Promise<EphemeralKey> {
    return EphemeralKey.acquire(
      this.ns(),
      keys.coordinatorKey(this.id),
      serializeRecord(this.registration()),
      this.ttlSeconds,
      (err) => this.lost(err),
    );
  }

  private lost(err: Error): void {
    // One re-registration at a time: a second would find the first one's fresh key and wait
    // for it as if it were stale.
    if (this.stopped || this.reacquiring) return;
    this.logger.warn(
      { err: err.message },
      'coordinator lease lost; dropping every group and registering again',
    );
    this.held = undefined;
    this.listener.onLost();
    void this.reacquire();
  }

  private async reacquire(): Promise<void> {
    this.reacquiring = true;
    try {
      await this.reacquireLoop();
    } finally {
      this.reacquiring = false;
    }
  }

  private async reacquireLoop(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const held = await this.acquire();
        if (this.stopped) {
          await held.release();
          return;
        }
        this.held = held;
        this.logger.info({ lease: held.leaseId }, 'registered again');
        return;
      } catch (err) {
        // Our own registration under the old lease is not a duplicate: etcd was unreachable (or
        // its leader stalled, and a new leader renews every lease) while the lease lived on.
        // Wait for it to expire, as the service kit's registration step does.
        const ownStaleKey =
          err instanceof KeyInUseError && err.currentValue === serializeRecord(this.registration());
        if (err instanceof KeyInUseError && !ownStaleKey) {
          this.listener.onDuplicate(this.inUse(err.currentValue));
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  }

  private inUse(current: string | null): string {
    return `coordinator id ${this.id} is already registered by a live coordinator (${current})`;
  }
}
