import { setting } from '@tributary/service-kit';

/**
 * Settings of the data plane (produce, fetch, replication), merged into the broker's own in
 * main.ts. Kafka's names where Kafka has the setting.
 */
export const dataPlaneSettings = {
  'replica.lag.time.max.ms': setting.int({
    doc: 'A follower that has not caught up with the leader’s log end offset for this long is removed from the ISR (Kafka’s replica.lag.time.max.ms).',
    default: 10_000,
    min: 100,
  }),
  'replica.fetch.wait.max.ms': setting.int({
    doc: 'How long a leader holds a follower’s replication round when there is nothing new (long poll).',
    default: 500,
    min: 1,
  }),
  'replica.fetch.max.bytes': setting.int({
    doc: 'Soft cap on one partition’s bytes in a replication response (the first batch always goes whole).',
    default: 1024 * 1024,
    min: 1,
  }),
  'replica.fetch.response.max.bytes': setting.int({
    doc: 'Soft cap on a whole replication response’s record bytes.',
    default: 10 * 1024 * 1024,
    min: 1,
  }),
  'request.max.bytes': setting.int({
    doc: 'Largest total of record bytes one produce request may carry; larger requests fail whole with RECORD_LIST_TOO_LARGE.',
    default: 32 * 1024 * 1024,
    min: 1024,
  }),
  'produce.timeout.default.ms': setting.int({
    doc: 'How long acks=all waits for replication when the request gives timeout_ms 0.',
    default: 30_000,
    min: 1,
  }),
  'fetch.max.bytes': setting.int({
    doc: 'Default soft cap on a consumer fetch response’s record bytes (max_bytes 0).',
    default: 50 * 1024 * 1024,
    min: 1,
  }),
  'fetch.partition.max.bytes': setting.int({
    doc: 'Default soft cap on one partition’s bytes in a consumer fetch (partition_max_bytes 0).',
    default: 1024 * 1024,
    min: 1,
  }),
};

/** The data-plane settings as the replica manager, handlers and fetchers use them. */
export interface DataPlaneConfig {
  readonly replicaLagTimeMaxMs: number;
  readonly replicaFetchWaitMaxMs: number;
  readonly replicaFetchMaxBytes: number;
  readonly replicaFetchResponseMaxBytes: number;
  readonly requestMaxBytes: number;
  readonly produceTimeoutDefaultMs: number;
  readonly fetchMaxBytes: number;
  readonly fetchPartitionMaxBytes: number;
}

export const DEFAULT_DATA_PLANE_CONFIG: DataPlaneConfig = {
  replicaLagTimeMaxMs: 10_000,
  replicaFetchWaitMaxMs: 500,
  replicaFetchMaxBytes: 1024 * 1024,
  replicaFetchResponseMaxBytes: 10 * 1024 * 1024,
  requestMaxBytes: 32 * 1024 * 1024,
  produceTimeoutDefaultMs: 30_000,
  fetchMaxBytes: 50 * 1024 * 1024,
  fetchPartitionMaxBytes: 1024 * 1024,
};

/** Reads the data-plane settings out of the parsed broker config. */
export function dataPlaneConfig(
  config: {
    readonly [K in keyof typeof dataPlaneSettings]: number;
  },
): DataPlaneConfig {
  return {
    replicaLagTimeMaxMs: config['replica.lag.time.max.ms'],
    replicaFetchWaitMaxMs: config['replica.fetch.wait.max.ms'],
    replicaFetchMaxBytes: config['replica.fetch.max.bytes'],
    replicaFetchResponseMaxBytes: config['replica.fetch.response.max.bytes'],
    requestMaxBytes: config['request.max.bytes'],
    produceTimeoutDefaultMs: config['produce.timeout.default.ms'],
    fetchMaxBytes: config['fetch.max.bytes'],
    fetchPartitionMaxBytes: config['fetch.partition.max.bytes'],
  };
}
