/**
 * @tributary/client: the TypeScript client of Tributary.
 */
export {
  createDefaultPartitioner,
  createRoundRobinPartitioner,
  type DefaultPartitionerOptions,
  murmur2,
  type Partitioner,
  type PartitionerInput,
  partitionForKey,
  toPositive,
} from './partitioner/index';
