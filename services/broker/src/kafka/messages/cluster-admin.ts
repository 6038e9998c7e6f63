/** DescribeConfigs (32) v1-4, DescribeCluster (60) v0-1, OffsetForLeaderEpoch (23) v2-4, DeleteGroups (42) v0-2. */
import type { KafkaApi } from '../api';
import { arrayOf, field, structs } from '../protocol/schema';

export const DESCRIBE_CONFIGS: KafkaApi = {
  key: 32,
  name: 'DescribeConfigs',
  minVersion: 1,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field(
      'resources',
      structs([
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        field('configurationKeys', arrayOf('string'), '0+', { nullable: true }),
      ]),
      '0+',
    ),
    field('includeSynonyms', 'bool', '1+'),
    field('includeDocumentation', 'bool', '3+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'results',
      structs([
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullable: true, default: null }),
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        field(
          'configs',
          structs([
            field('name', 'string', '0+'),
            field('value', 'string', '0+', { nullable: true }),
            field('readOnly', 'bool', '0+'),
            field('configSource', 'int8', '1+', { default: -1 }),
            field('isSensitive', 'bool', '0+'),
            field(
              'synonyms',
              structs([
                field('name', 'string', '1+'),
                field('value', 'string', '1+', { nullable: true }),
                field('source', 'int8', '1+'),
              ]),
              '1+',
            ),
            field('configType', 'int8', '3+'),
            field('documentation', 'string', '3+', { nullable: true, default: null }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ],
};

export const DESCRIBE_CLUSTER: KafkaApi = {
  key: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field('includeClusterAuthorizedOperations', 'bool', '0+'),
    field('endpointType', 'int8', '1+', { default: 1 }),
  ],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    field('errorCode', 'int16', '0+'),
    field('errorMessage', 'string', '0+', { nullable: true, default: null }),
    field('endpointType', 'int8', '1+', { default: 1 }),
    field('clusterId', 'string', '0+'),
    field('controllerId', 'int32', '0+', { default: -1 }),
    field(
      'brokers',
      structs([
        field('brokerId', 'int32', '0+'),
        field('host', 'string', '0+'),
        field('port', 'int32', '0+'),
        field('rack', 'string', '0+', { nullable: true }),
      ]),
      '0+',
    ),
    field('clusterAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
  ],
};

export const OFFSET_FOR_LEADER_EPOCH: KafkaApi = {
  key: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 2,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field('replicaId', 'int32', '3+', { default: -2 }),
    field(
      'topics',
      structs([
        field('topic', 'string', '0+'),
        field(
          'partitions',
          structs([
            field('partition', 'int32', '0+'),
            field('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
            field('leaderEpoch', 'int32', '0+'),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ],
  response: [
    field('throttleTimeMs', 'int32', '2+'),
    field(
      'topics',
      structs([
        field('topic', 'string', '0+'),
        field(
          'partitions',
          structs([
            field('errorCode', 'int16', '0+'),
            field('partition', 'int32', '0+'),
            field('leaderEpoch', 'int32', '1+', { default: -1 }),
            field('endOffset', 'int64', '0+', { default: -1 }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ],
};

export const DELETE_GROUPS: KafkaApi = {
  key: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [field('groupsNames', arrayOf('string'), '0+')],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    field('results', structs([field('groupId', 'string', '0+'), field('errorCode', 'int16', '0+')]), '0+'),
  ],
};
