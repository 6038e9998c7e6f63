/** Produce (key 0), versions 3-9 (RecordBatch v2 only): record batches per topic-partition. */
import type { KafkaApi } from '../api';
import { field, structs } from '../protocol/schema';

export const PRODUCE: KafkaApi = {
  key: 0,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 9,
  flexibleFrom: 9,
  request: [
    field('transactionalId', 'string', '3+', { nullable: true }),
    field('acks', 'int16', '0+'),
    field('timeoutMs', 'int32', '0+'),
    field(
      'topicData',
      structs([
        field('name', 'string', '0+'),
        field(
          'partitionData',
          structs([field('index', 'int32', '0+'), field('records', 'bytes', '0+', { nullable: true })]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ],
  response: [
    field(
      'responses',
      structs([
        field('name', 'string', '0+'),
        field(
          'partitionResponses',
          structs([
            field('index', 'int32', '0+'),
            field('errorCode', 'int16', '0+'),
            field('baseOffset', 'int64', '0+'),
            field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
            field('logStartOffset', 'int64', '5+', { default: -1 }),
            field(
              'recordErrors',
              structs([
                field('batchIndex', 'int32', '8+'),
                field('batchIndexErrorMessage', 'string', '8+', { nullable: true }),
              ]),
              '8+',
            ),
            field('errorMessage', 'string', '8+', { nullable: true }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
    field('throttleTimeMs', 'int32', '1+'),
  ],
};
