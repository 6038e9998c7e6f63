export { murmur2, partitionForKey, toPositive } from './murmur2';
export {
  createDefaultPartitioner,
  createRoundRobinPartitioner,
  type DefaultPartitionerOptions,
  type Partitioner,
  type PartitionerInput,
} from './partitioner';
