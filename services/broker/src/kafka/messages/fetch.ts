/**
 * Fetch (key 1), versions 4-12 (topic names; v13+ switch to topic ids). Fetch sessions (KIP-227)
 * are not kept: every response carries session id 0, which tells clients to send full requests.
 */
import type { KafkaApi } from '../api';
import { arrayOf, field, structs } from '../protocol/schema';

export const FETCH: KafkaApi = {
  key: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 12,
  flexibleFrom: 12,
  request: [
    field('clusterId', 'string', '12+', { nullable: true, tag: 0 }),
    field('replicaId', 'int32', '0-14', { default: -1 }),
    field('maxWaitMs', 'int32', '0+'),
    field('minBytes', 'int32', '0+'),
    field('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
    field('isolationLevel', 'int8', '4+'),
    field('sessionId', 'int32', '7+'),
    field('sessionEpoch', 'int32', '7+', { default: -1 }),
    field(
      'topics',
      structs([
        field('topic', 'string', '0-12'),
        field(
          'partitions',
          structs([
            field('partition', 'int32', '0+'),
            field('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
            field('fetchOffset', 'int64', '0+'),
            field('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
            field('logStartOffset', 'int64', '5+', { default: -1 }),
            field('partitionMaxBytes', 'int32', '0+'),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
    field(
      'forgottenTopicsData',
      structs([field('topic', 'string', '7-12'), field('partitions', arrayOf('int32'), '7+')]),
      '7+',
    ),
    field('rackId', 'string', '11+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '7+'),
    field('sessionId', 'int32', '7+'),
    field(
      'responses',
      structs([
        field('topic', 'string', '0-12'),
        field(
          'partitions',
          structs([
            field('partitionIndex', 'int32', '0+'),
            field('errorCode', 'int16', '0+'),
            field('highWatermark', 'int64', '0+'),
            field('lastStableOffset', 'int64', '4+', { default: -1 }),
            field('logStartOffset', 'int64', '5+', { default: -1 }),
            field(
              'abortedTransactions',
              structs([field('producerId', 'int64', '4+'), field('firstOffset', 'int64', '4+')]),
              '4+',
              { nullable: true },
            ),
            field('preferredReadReplica', 'int32', '11+', { default: -1 }),
            field('records', 'bytes', '0+', { nullable: true }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ],
};
