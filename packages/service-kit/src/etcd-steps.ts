import type { Interceptor } from '@grpc/grpc-js';
import { type ClientTlsOptions, createChannelCredentials } from '@tributary/proto';
import {
  connectEtcd,
  EphemeralKey,
  type EtcdConnection,
  KeyInUseError,
  registeredAt,
  serializeRecord,
} from '@tributary/registry';
import type { Step } from './lifecycle';
import type { Logger } from './logger';

/** A step that connects to etcd; `get()` returns the connection once started. */
export function etcdStep(options: {
  endpoints: readonly string[];
  clusterName: string;
  /** Client interceptors for every etcd call (`ServiceContext.telemetry.etcdInterceptors`). */
  interceptors?: readonly Interceptor[];
  /**
   * CA and client certificate files for `https://` endpoints (`ServiceContext.transport.etcd`),
   * re-read while connected like the other TLS files: new connections use the current ones.
   */
  tls?: ClientTlsOptions;
}): Step & {
  get(): EtcdConnection;
} {
  let connection: EtcdConnection | undefined;
  return {
    name: 'etcd',
    async start() {
      connection = await connectEtcd({
        endpoints: options.endpoints,
        clusterName: options.clusterName,
        ...(options.interceptors ? { interceptors: options.interceptors } : {}),
        ...(options.tls?.caFile !== undefined || options.tls?.certFile !== undefined
          ? { credentials: createChannelCredentials(options.tls) }
          : {}),
      });
    },
    stop() {
      connection?.close();
    },
    get() {
      if (!connection) throw new Error('etcd is not connected yet');
      return connection;
    },
  };
}

/**
 * A step that registers this process under an ephemeral key (brokers/<id>, coordinators/<id>)
 * and removes it on stop (revoking the lease, so the key goes at once). A key left at this very
 * address by a former run (killed, or stopped after etcd) is waited out, at most one TTL; a live
 * holder of the same key refuses start-up with `inUseMessage`. A key held by the lease of a former
 * run the service has proven dead (`deadPredecessorLeaseId`, the broker's data-directory owner
 * record) is not waited out: that lease is revoked and the key taken at once.
 * If the lease is lost (etcd unreachable past the TTL, or this process paused), the key is
 * re-created as soon as etcd answers again, unless another process took the id meanwhile — then
 * this process shuts down rather than run as a duplicate. `onLost` hears of each loss before the
 * re-registration starts (whatever else was written on that lease is gone with it), and
 * `current()` gives the key held now, with its lease, for other keys that must go with it.
 */
export function registrationStep(options: {
  name: string;
  etcd: () => EtcdConnection;
  key: string;
  value: () => { host: string; port: number };
  ttlSeconds: number;
  logger: Logger;
  inUseMessage: (current: string | null) => string;
  onDuplicate: (reason: string) => void;
  onLost?: () => void;
  /** The lease of a provably dead former run of this process, which may be revoked at start. */
  deadPredecessorLeaseId?: () => string | undefined;
  /** Told the lease id after every (re-)registration, e.g. to record it for the next run. */
  onRegistered?: (leaseId: string) => void;
}): Step & { stop(): Promise<void>; current(): EphemeralKey | undefined } {
  let held: EphemeralKey | undefined;
  let stopped = false;
  const acquire = () =>
    EphemeralKey.acquire(
      options.etcd().ns,
      options.key,
      serializeRecord(options.value()),
      options.ttlSeconds,
      onLost,
    );
  let reacquiring = false;
  const onLost = (err: Error) => {
    // Only one re-registration at a time: a second one would find the first one's fresh key
    // and mistake this process for a duplicate of itself.
    if (stopped || reacquiring) return;
    options.logger.warn({ key: options.key, err: err.message }, 'registration lease lost; registering again');
    held = undefined;
    options.onLost?.();
    void reacquire();
  };
  const reacquire = async () => {
    reacquiring = true;
    try {
      await reacquireLoop();
    } finally {
      reacquiring = false;
    }
  };
  const reacquireLoop = async () => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const again = await acquire();
        if (stopped) {
          await again.release();
          return;
        }
        held = again;
        options.onRegistered?.(again.leaseId);
        options.logger.info({ key: options.key, lease: again.leaseId }, 'registered again');
        return;
      } catch (err) {
        // Our own registration under the old lease (etcd was unreachable but the lease lives
        // on): wait for it to expire rather than take this process for a duplicate.
        const ownStaleKey =
          err instanceof KeyInUseError && err.currentValue === serializeRecord(options.value());
        if (err instanceof KeyInUseError && !ownStaleKey) {
          options.onDuplicate(options.inUseMessage(err.currentValue));
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  };
  return {
    name: options.name,
    async start() {
      try {
        const record = options.value();
        held = await EphemeralKey.acquireWaitingOutStale(
          options.etcd().ns,
          options.key,
          serializeRecord(record),
          options.ttlSeconds,
          onLost,
          (current) => registeredAt(current, record.host, record.port),
          (waitMs) =>
            options.logger.warn(
              { key: options.key, waitMs },
              'registered at this address by a former run; waiting for its lease to expire',
            ),
          options.deadPredecessorLeaseId?.(),
          (leaseId) =>
            options.logger.info(
              { key: options.key, leaseId },
              'registered by a former run that is provably gone; revoked its lease',
            ),
        );
      } catch (err) {
        if (err instanceof KeyInUseError)
          throw new Error(options.inUseMessage(err.currentValue), { cause: err });
        throw err;
      }
      options.onRegistered?.(held.leaseId);
      options.logger.info(
        { key: options.key, revision: held.createRevision, lease: held.leaseId },
        'registered',
      );
    },
    async stop() {
      stopped = true;
      const releasing = held;
      held = undefined;
      await releasing?.release();
    },
    current: () => held,
  };
}
