import { InvalidConfigError } from '@tributary/errors';
import { bytesSerde } from '../serializers/serializers';
import type { ConsumerOptions } from './types';

/** ConsumerOptions with every default filled in. */
export type ResolvedConsumerOptions<K, V> = Required<Omit<ConsumerOptions<K, V>, 'groupId'>> & {
  groupId: string | undefined;
};

const DEFAULT_ASSIGNORS = Object.freeze(['cooperative-sticky', 'range', 'roundrobin']);

function int(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidConfigError(name, `must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** Fills in consumer defaults; a bad value throws InvalidConfigError naming the option. */
export function consumerWithDefaults<K = Buffer, V = Buffer>(
  options: ConsumerOptions<K, V> = {},
): ResolvedConsumerOptions<K, V> {
  const autoOffsetReset = options.autoOffsetReset ?? 'latest';
  if (!['earliest', 'latest', 'none'].includes(autoOffsetReset)) {
    throw new InvalidConfigError(
      'autoOffsetReset',
      `must be earliest, latest or none, got ${autoOffsetReset}`,
    );
  }
  if (options.groupId !== undefined && (options.groupId.length === 0 || options.groupId.length > 249)) {
    throw new InvalidConfigError('groupId', 'must be 1-249 characters');
  }
  const assignors = options.assignors ?? DEFAULT_ASSIGNORS;
  if (assignors.length === 0) throw new InvalidConfigError('assignors', 'name at least one assignor');
  return {
    groupId: options.groupId,
    groupInstanceId: options.groupInstanceId ?? '',
    sessionTimeoutMs: int('sessionTimeoutMs', options.sessionTimeoutMs ?? 10_000, 1),
    rebalanceTimeoutMs: int('rebalanceTimeoutMs', options.rebalanceTimeoutMs ?? 30_000, 1),
    maxPollIntervalMs: int('maxPollIntervalMs', options.maxPollIntervalMs ?? 300_000, 1),
    assignors: [...assignors],
    autoCommit: options.autoCommit ?? true,
    autoCommitIntervalMs: int('autoCommitIntervalMs', options.autoCommitIntervalMs ?? 5000, 1),
    autoOffsetReset,
    maxWaitMs: int('maxWaitMs', options.maxWaitMs ?? 500, 0),
    minBytes: int('minBytes', options.minBytes ?? 1, 0),
    maxBytes: int('maxBytes', options.maxBytes ?? 4 * 1024 * 1024, 1),
    partitionMaxBytes: int('partitionMaxBytes', options.partitionMaxBytes ?? 1024 * 1024, 1),
    maxPrefetchBytes: int('maxPrefetchBytes', options.maxPrefetchBytes ?? 16 * 1024 * 1024, 1),
    keyDeserializer:
      options.keyDeserializer ??
      (bytesSerde.deserialize as unknown as NonNullable<ConsumerOptions<K, V>['keyDeserializer']>),
    valueDeserializer:
      options.valueDeserializer ??
      (bytesSerde.deserialize as unknown as NonNullable<ConsumerOptions<K, V>['valueDeserializer']>),
  };
}
