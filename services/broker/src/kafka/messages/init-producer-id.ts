/** InitProducerId (key 22), versions 0-4: a producer id and epoch for an idempotent producer. */
import type { KafkaApi } from '../api';
import { field } from '../protocol/schema';

export const INIT_PRODUCER_ID: KafkaApi = {
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 2,
  request: [
    field('transactionalId', 'string', '0+', { nullable: true }),
    field('transactionTimeoutMs', 'int32', '0+'),
    field('producerId', 'int64', '3+', { default: -1 }),
    field('producerEpoch', 'int16', '3+', { default: -1 }),
  ],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    field('errorCode', 'int16', '0+'),
    field('producerId', 'int64', '0+', { default: -1 }),
    field('producerEpoch', 'int16', '0+', { default: -1 }),
  ],
};
