/** LeaveGroup (key 13), versions 1-4 (v3+ names several members). */
import type { KafkaApi } from '../api';
import { field, structs } from '../protocol/schema';

export const LEAVE_GROUP: KafkaApi = {
  key: 13,
  name: 'LeaveGroup',
  minVersion: 1,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field('groupId', 'string', '0+'),
    field('memberId', 'string', '0-2'),
    field(
      'members',
      structs([
        field('memberId', 'string', '3+'),
        field('groupInstanceId', 'string', '3+', { nullable: true, default: null }),
      ]),
      '3+',
    ),
  ],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field(
      'members',
      structs([
        field('memberId', 'string', '3+'),
        field('groupInstanceId', 'string', '3+', { nullable: true, default: null }),
        field('errorCode', 'int16', '3+'),
      ]),
      '3+',
    ),
  ],
};
