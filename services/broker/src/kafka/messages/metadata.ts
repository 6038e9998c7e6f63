/** Metadata (key 3), versions 1-12: brokers (their Kafka listeners), controller, topics, partitions. */
import type { KafkaApi } from '../api';
import { arrayOf, field, structs } from '../protocol/schema';

export const METADATA: KafkaApi = {
  key: 3,
  name: 'Metadata',
  minVersion: 1,
  maxVersion: 12,
  flexibleFrom: 9,
  request: [
    // Null (v1+) = every topic; empty = none.
    field(
      'topics',
      structs([field('topicId', 'uuid', '10+'), field('name', 'string', '0+', { nullable: true })]),
      '0+',
      { nullable: true },
    ),
    field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    field('includeClusterAuthorizedOperations', 'bool', '8-10'),
    field('includeTopicAuthorizedOperations', 'bool', '8+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '3+'),
    field(
      'brokers',
      structs([
        field('nodeId', 'int32', '0+'),
        field('host', 'string', '0+'),
        field('port', 'int32', '0+'),
        field('rack', 'string', '1+', { nullable: true }),
      ]),
      '0+',
    ),
    field('clusterId', 'string', '2+', { nullable: true }),
    field('controllerId', 'int32', '1+', { default: -1 }),
    field(
      'topics',
      structs([
        field('errorCode', 'int16', '0+'),
        field('name', 'string', '0+', { nullable: true }),
        field('topicId', 'uuid', '10+'),
        field('isInternal', 'bool', '1+'),
        field(
          'partitions',
          structs([
            field('errorCode', 'int16', '0+'),
            field('partitionIndex', 'int32', '0+'),
            field('leaderId', 'int32', '0+'),
            field('leaderEpoch', 'int32', '7+', { default: -1 }),
            field('replicaNodes', arrayOf('int32'), '0+'),
            field('isrNodes', arrayOf('int32'), '0+'),
            field('offlineReplicas', arrayOf('int32'), '5+'),
          ]),
          '0+',
        ),
        field('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
      ]),
      '0+',
    ),
    field('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
  ],
};
