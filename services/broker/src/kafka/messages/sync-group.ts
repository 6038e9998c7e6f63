/** SyncGroup (key 14), versions 1-5: hands each member its assignment. */
import type { KafkaApi } from '../api';
import { field, structs } from '../protocol/schema';

export const SYNC_GROUP: KafkaApi = {
  key: 14,
  name: 'SyncGroup',
  minVersion: 1,
  maxVersion: 5,
  flexibleFrom: 4,
  request: [
    field('groupId', 'string', '0+'),
    field('generationId', 'int32', '0+'),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '3+', { nullable: true, default: null }),
    field('protocolType', 'string', '5+', { nullable: true, default: null }),
    field('protocolName', 'string', '5+', { nullable: true, default: null }),
    field(
      'assignments',
      structs([field('memberId', 'string', '0+'), field('assignment', 'bytes', '0+')]),
      '0+',
    ),
  ],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field('protocolType', 'string', '5+', { nullable: true, default: null }),
    field('protocolName', 'string', '5+', { nullable: true, default: null }),
    field('assignment', 'bytes', '0+'),
  ],
};
