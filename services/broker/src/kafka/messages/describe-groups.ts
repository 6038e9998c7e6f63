/** DescribeGroups (key 15), versions 0-5: members, their assignments, state. */
import type { KafkaApi } from '../api';
import { arrayOf, field, structs } from '../protocol/schema';

export const DESCRIBE_GROUPS: KafkaApi = {
  key: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 5,
  request: [field('groups', arrayOf('string'), '0+'), field('includeAuthorizedOperations', 'bool', '3+')],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field(
      'groups',
      structs([
        field('errorCode', 'int16', '0+'),
        field('groupId', 'string', '0+'),
        field('groupState', 'string', '0+'),
        field('protocolType', 'string', '0+'),
        field('protocolData', 'string', '0+'),
        field(
          'members',
          structs([
            field('memberId', 'string', '0+'),
            field('groupInstanceId', 'string', '4+', { nullable: true, default: null }),
            field('clientId', 'string', '0+'),
            field('clientHost', 'string', '0+'),
            field('memberMetadata', 'bytes', '0+'),
            field('memberAssignment', 'bytes', '0+'),
          ]),
          '0+',
        ),
        field('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
      ]),
      '0+',
    ),
  ],
};
