/** JoinGroup (key 11), versions 2-7: the classic group protocol's join. */
import type { KafkaApi } from '../api';
import { field, structs } from '../protocol/schema';

export const JOIN_GROUP: KafkaApi = {
  key: 11,
  name: 'JoinGroup',
  minVersion: 2,
  maxVersion: 7,
  flexibleFrom: 6,
  request: [
    field('groupId', 'string', '0+'),
    field('sessionTimeoutMs', 'int32', '0+'),
    field('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '5+', { nullable: true, default: null }),
    field('protocolType', 'string', '0+'),
    field('protocols', structs([field('name', 'string', '0+'), field('metadata', 'bytes', '0+')]), '0+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '2+'),
    field('errorCode', 'int16', '0+'),
    field('generationId', 'int32', '0+', { default: -1 }),
    field('protocolType', 'string', '7+', { nullable: true, default: null }),
    field('protocolName', 'string', '0+', { nullable: true }),
    field('leader', 'string', '0+'),
    field('memberId', 'string', '0+'),
    field(
      'members',
      structs([
        field('memberId', 'string', '0+'),
        field('groupInstanceId', 'string', '5+', { nullable: true, default: null }),
        field('metadata', 'bytes', '0+'),
      ]),
      '0+',
    ),
  ],
};
