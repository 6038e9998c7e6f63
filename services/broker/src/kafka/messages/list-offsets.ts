/** ListOffsets (key 2), versions 1-7: earliest (-2), latest (-1) or by timestamp. */
import type { KafkaApi } from '../api';
import { field, structs } from '../protocol/schema';

export const LIST_OFFSETS: KafkaApi = {
  key: 2,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 7,
  flexibleFrom: 6,
  request: [
    field('replicaId', 'int32', '0+'),
    field('isolationLevel', 'int8', '2+'),
    field(
      'topics',
      structs([
        field('name', 'string', '0+'),
        field(
          'partitions',
          structs([
            field('partitionIndex', 'int32', '0+'),
            field('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
            field('timestamp', 'int64', '0+'),
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
        field('name', 'string', '0+'),
        field(
          'partitions',
          structs([
            field('partitionIndex', 'int32', '0+'),
            field('errorCode', 'int16', '0+'),
            field('timestamp', 'int64', '1+', { default: -1 }),
            field('offset', 'int64', '1+', { default: -1 }),
            field('leaderEpoch', 'int32', '4+', { default: -1 }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ],
};
