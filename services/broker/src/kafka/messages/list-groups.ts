/** ListGroups (key 16), versions 0-4 (v4 filters by state). */
import type { KafkaApi } from '../api';
import { arrayOf, field, structs } from '../protocol/schema';

export const LIST_GROUPS: KafkaApi = {
  key: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: [field('statesFilter', arrayOf('string'), '4+')],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field(
      'groups',
      structs([
        field('groupId', 'string', '0+'),
        field('protocolType', 'string', '0+'),
        field('groupState', 'string', '4+'),
      ]),
      '0+',
    ),
  ],
};
