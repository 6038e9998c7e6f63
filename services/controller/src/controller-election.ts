import {
  type ControllerRegistration,
  EphemeralKey,
  KeyInUseError,
  keys,
  type Namespace,
  serializeRecord,
} from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';

export interface ElectionListener {
  /** This process became the active controller at `epoch` (the controller key's create revision). */
  onElected(epoch: number): void | Promise<void>;
  /** This process is no longer the active controller; it must stop deciding at once. */
  onResigned(reason: string): void;
}

/**
 * Controller election on an etcd lease. Every controller replica campaigns: the winner creates
 * the ephemeral `controller` key in a txn on `create_revision == 0`; the key's create revision is
 * the controller epoch, and every metadata write the controller makes is a txn that also compares
 * it (`epochGuard`), so a controller paused past its lease (SIGSTOP) wakes up unable to write.
 * Standbys watch the key from the revision of their failed attempt, so a deletion between the
 * attempt and the watch is never missed, and campaign again when it goes.
 */
export class ControllerElection {
  private held: EphemeralKey | undefined;
  private stopped = false;
  private wakeStandby: (() => void) | undefined;
  private endTerm: ((reason: string) => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly ns: Namespace,
    private readonly identity: Omit<ControllerRegistration, 'version' | 'electedAt'>,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
    private readonly listener: ElectionListener,
  ) {}

  /** The controller epoch while this process is active, else undefined. */
  get epoch(): number | undefined {
    return this.held?.createRevision;
  }

  /**
   * Gives up the epoch now (a write found it fenced, or the controller cannot act): revokes the
   * lease (deleting the key if it is still ours), reports `onResigned`, and campaigns again — as a
   * standby if another controller holds the key.
   */
  async resign(reason: string): Promise<void> {
    const held = this.held;
    if (!held) return;
    await held.release();
    this.endTerm?.(`resigned: ${reason}`);
  }

  /** Starts campaigning in the background. */
  start(): void {
    this.loop = this.campaign();
  }

  /** Resigns (deleting the key at once so a standby takes over without waiting for the TTL). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeStandby?.();
    const held = this.held;
    this.held = undefined;
    await held?.release();
    await this.loop;
  }

  private async campaign(): Promise<void> {
    for (let failures = 0; !this.stopped; ) {
      try {
        const record: ControllerRegistration = { version: 1, ...this.identity, electedAt: Date.now() };
        const lost = new Promise<string>((resolve) => {
          this.endTerm = resolve;
          void EphemeralKey.acquire(
            this.ns,
            keys.controllerKey(),
            serializeRecord(record),
            this.ttlSeconds,
            (err) => resolve(`lease lost: ${err.message}`),
          )
            .then(async (held) => {
              this.held = held;
              failures = 0;
              this.logger.info({ epoch: held.createRevision }, 'elected active controller');
              await this.listener.onElected(held.createRevision);
            })
            .catch((err) =>
              resolve(err instanceof KeyInUseError ? 'standby' : `error: ${(err as Error).message}`),
            );
        });
        const outcome = await Promise.race([
          lost,
          new Promise<string>((r) => (this.wakeStandby = () => r('stop'))),
        ]);
        if (outcome === 'stop') return;
        if (this.held) {
          this.held = undefined;
          this.logger.warn({ reason: outcome }, 'resigned as active controller');
          this.listener.onResigned(outcome);
        }
        if (outcome === 'standby') await this.waitForVacancy();
        else if (outcome.startsWith('error')) {
          this.logger.warn({ reason: outcome }, 'campaign failed; retrying');
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** failures++)));
        }
      } catch (err) {
        this.logger.error({ err }, 'campaign loop error');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Resolves when the controller key is gone (or on stop). */
  private async waitForVacancy(): Promise<void> {
    const current = await this.ns.get(keys.controllerKey()).exec();
    const kv = current.kvs[0];
    if (!kv) return;
    const watcher = await this.ns
      .watch()
      .key(keys.controllerKey())
      .startRevision(String(Number(current.header.revision) + 1))
      .create();
    try {
      await new Promise<void>((resolve) => {
        this.wakeStandby = resolve;
        watcher.on('delete', () => resolve());
      });
    } finally {
      await watcher.cancel();
    }
  }
}
