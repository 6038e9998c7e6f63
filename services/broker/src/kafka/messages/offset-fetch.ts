/** OffsetFetch (key 9), versions 1-7 (one group per request). */
import type { KafkaApi } from '../api';
import { arrayOf, field, structs } from '../protocol/schema';

export const OFFSET_FETCH: KafkaApi = {
  key: 9,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 7,
  flexibleFrom: 6,
  request: [
    field('groupId', 'string', '0-7'),
    // Null (v2+) = every partition the group has committed.
    field(
      'topics',
      structs([field('name', 'string', '0-7'), field('partitionIndexes', arrayOf('int32'), '0-7')]),
      '0-7',
      { nullable: true },
    ),
    field('requireStable', 'bool', '7+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '3+'),
    field(
      'topics',
      structs([
        field('name', 'string', '0-7'),
        field(
          'partitions',
          structs([
            field('partitionIndex', 'int32', '0-7'),
            field('committedOffset', 'int64', '0-7'),
            field('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
            field('metadata', 'string', '0-7', { nullable: true }),
            field('errorCode', 'int16', '0-7'),
          ]),
          '0-7',
        ),
      ]),
      '0-7',
    ),
    field('errorCode', 'int16', '2-7'),
  ],
};
