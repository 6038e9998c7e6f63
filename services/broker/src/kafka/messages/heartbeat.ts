/** Heartbeat (key 12), versions 1-4: liveness, and the signal to rejoin during a rebalance. */
import type { KafkaApi } from '../api';
import { field } from '../protocol/schema';

export const HEARTBEAT: KafkaApi = {
  key: 12,
  name: 'Heartbeat',
  minVersion: 1,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field('groupId', 'string', '0+'),
    field('generationId', 'int32', '0+'),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '3+', { nullable: true, default: null }),
  ],
  response: [field('throttleTimeMs', 'int32', '1+'), field('errorCode', 'int16', '0+')],
};
