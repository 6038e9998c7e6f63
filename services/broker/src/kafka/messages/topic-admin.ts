/** CreateTopics (19) v2-7, DeleteTopics (20) v1-5, CreatePartitions (37) v0-3. */
import type { KafkaApi } from '../api';
import { arrayOf, field, structs } from '../protocol/schema';

export const CREATE_TOPICS: KafkaApi = {
  key: 19,
  name: 'CreateTopics',
  minVersion: 2,
  maxVersion: 7,
  flexibleFrom: 5,
  request: [
    field(
      'topics',
      structs([
        field('name', 'string', '0+'),
        field('numPartitions', 'int32', '0+'),
        field('replicationFactor', 'int16', '0+'),
        field(
          'assignments',
          structs([field('partitionIndex', 'int32', '0+'), field('brokerIds', arrayOf('int32'), '0+')]),
          '0+',
        ),
        field(
          'configs',
          structs([field('name', 'string', '0+'), field('value', 'string', '0+', { nullable: true })]),
          '0+',
        ),
      ]),
      '0+',
    ),
    field('timeoutMs', 'int32', '0+'),
    field('validateOnly', 'bool', '1+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '2+'),
    field(
      'topics',
      structs([
        field('name', 'string', '0+'),
        field('topicId', 'uuid', '7+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '1+', { nullable: true }),
        field('numPartitions', 'int32', '5+', { default: -1 }),
        field('replicationFactor', 'int16', '5+', { default: -1 }),
        field(
          'configs',
          structs([
            field('name', 'string', '5+'),
            field('value', 'string', '5+', { nullable: true }),
            field('readOnly', 'bool', '5+'),
            field('configSource', 'int8', '5+', { default: -1 }),
            field('isSensitive', 'bool', '5+'),
          ]),
          '5+',
          { nullable: true, default: null },
        ),
      ]),
      '0+',
    ),
  ],
};

export const DELETE_TOPICS: KafkaApi = {
  key: 20,
  name: 'DeleteTopics',
  minVersion: 1,
  maxVersion: 5,
  flexibleFrom: 4,
  request: [field('topicNames', arrayOf('string'), '0-5'), field('timeoutMs', 'int32', '0+')],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field(
      'responses',
      structs([
        field('name', 'string', '0+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '5+', { nullable: true, default: null }),
      ]),
      '0+',
    ),
  ],
};

export const CREATE_PARTITIONS: KafkaApi = {
  key: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 2,
  request: [
    field(
      'topics',
      structs([
        field('name', 'string', '0+'),
        field('count', 'int32', '0+'),
        field('assignments', structs([field('brokerIds', arrayOf('int32'), '0+')]), '0+', { nullable: true }),
      ]),
      '0+',
    ),
    field('timeoutMs', 'int32', '0+'),
    field('validateOnly', 'bool', '0+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'results',
      structs([
        field('name', 'string', '0+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullable: true, default: null }),
      ]),
      '0+',
    ),
  ],
};
