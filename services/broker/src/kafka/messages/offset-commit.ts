/** OffsetCommit (key 8), versions 2-8: a consumer's positions, per topic-partition. */
import type { KafkaApi } from '../api';
import { field, structs } from '../protocol/schema';

export const OFFSET_COMMIT: KafkaApi = {
  key: 8,
  name: 'OffsetCommit',
  minVersion: 2,
  maxVersion: 8,
  flexibleFrom: 8,
  request: [
    field('groupId', 'string', '0+'),
    field('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    field('memberId', 'string', '1+'),
    field('groupInstanceId', 'string', '7+', { nullable: true, default: null }),
    field('retentionTimeMs', 'int64', '2-4', { default: -1 }),
    field(
      'topics',
      structs([
        field('name', 'string', '0+'),
        field(
          'partitions',
          structs([
            field('partitionIndex', 'int32', '0+'),
            field('committedOffset', 'int64', '0+'),
            field('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
            field('committedMetadata', 'string', '0+', { nullable: true }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ],
  response: [
    field('throttleTimeMs', 'int32', '3+'),
    field(
      'topics',
      structs([
        field('name', 'string', '0+'),
        field(
          'partitions',
          structs([field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ],
};
