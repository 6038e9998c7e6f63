import { InvalidConfigError } from '@tributary/errors';
import { CompressionType } from '@tributary/record-batch';
import { createDefaultPartitioner } from '../partitioner/partitioner';
import type { ProducerOptions, ResolvedProducerOptions } from './types';

function int(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw new InvalidConfigError(name, `must be an integer >= ${min}, got ${value}`);
  return value;
}

/** Fills in and validates producer options; a bad value throws InvalidConfigError naming it. */
export function producerDefaults(o: ProducerOptions = {}): ResolvedProducerOptions {
  const acks = o.acks ?? -1;
  if (acks !== -1 && acks !== 0 && acks !== 1)
    throw new InvalidConfigError('acks', `must be -1, 0 or 1, got ${acks}`);
  const batchSize = int('batchSize', o.batchSize ?? 65536, 1);
  return {
    acks,
    idempotent: (o.idempotent ?? true) && acks === -1,
    lingerMs: int('lingerMs', o.lingerMs ?? 5, 0),
    batchSize,
    maxRequestSize: int('maxRequestSize', o.maxRequestSize ?? 1024 * 1024, 1),
    maxInFlightRequestsPerBroker: int('maxInFlightRequestsPerBroker', o.maxInFlightRequestsPerBroker ?? 5, 1),
    maxInFlightBatchesPerPartition: int(
      'maxInFlightBatchesPerPartition',
      o.maxInFlightBatchesPerPartition ?? 5,
      1,
    ),
    compression: o.compression ?? CompressionType.None,
    ackTimeoutMs: int('ackTimeoutMs', o.ackTimeoutMs ?? 30_000, 1),
    deliveryTimeoutMs: int('deliveryTimeoutMs', o.deliveryTimeoutMs ?? 120_000, 1),
    retryBackoffMs: int('retryBackoffMs', o.retryBackoffMs ?? 100, 1),
    maxRetryBackoffMs: int('maxRetryBackoffMs', o.maxRetryBackoffMs ?? 1000, 1),
    bufferMemory: int('bufferMemory', o.bufferMemory ?? 32 * 1024 * 1024, 1),
    maxBlockMs: int('maxBlockMs', o.maxBlockMs ?? 60_000, 0),
    // Keyless records move on when a batch is full, as Kafka's built-in partitioner (KIP-794).
    partitioner: o.partitioner ?? createDefaultPartitioner({ stickyBatchBytes: batchSize }),
  };
}
