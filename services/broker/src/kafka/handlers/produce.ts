/**
 * Produce over Kafka: the request becomes the ProduceRequest the gRPC Produce handler takes and
 * runs through the same prepareProduce entry point, so the RecordBatch v2 bytes a Kafka producer
 * sent are validated (CRC, sequence for idempotent producers) and stored as received, with the
 * same acks semantics. With acks 0 Kafka sends no response at all, and neither do we.
 */
import { kafkaErrorCode, TributaryError } from '@tributary/errors';
import type { ProduceRequest__Output, ProduceResponse } from '@tributary/proto';
import { type DataPlaneDeps, dataPathDeps } from '../../handlers/broker-service';
import { prepareProduce } from '../../produce/produce';
import type { Message } from '../protocol/schema';
import type { KafkaHandler } from '../served-api';

interface KafkaTopicData {
  name: string;
  partitionData: { index: number; records: Buffer | null }[];
}

export function produceHandler(deps: DataPlaneDeps): KafkaHandler {
  const d = dataPathDeps(deps);
  return async (body) => {
    const acks = body['acks'] as number;
    const topicData = body['topicData'] as KafkaTopicData[];
    const request = {
      acks,
      timeoutMs: body['timeoutMs'] as number,
      topics: topicData.map((t) => ({
        topic: t.name,
        partitions: t.partitionData.map((p) =>
          p.records === null
            ? { partition: p.index }
            : { partition: p.index, data: 'recordBatches', recordBatches: p.records },
        ),
      })),
    } as unknown as ProduceRequest__Output;
    let response: ProduceResponse;
    try {
      response = await prepareProduce(request, d).run();
    } catch (err) {
      // A whole-request failure (INVALID_REQUIRED_ACKS, RECORD_LIST_TOO_LARGE, ...) fails every partition.
      const e = err instanceof TributaryError ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err));
      if (acks === 0) return undefined;
      return {
        responses: topicData.map((t) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => ({
            index: p.index,
            errorCode: kafkaErrorCode(e.code),
            baseOffset: -1,
            errorMessage: e.message,
          })),
        })),
        throttleTimeMs: 0,
      };
    }
    if (acks === 0) return undefined;
    return {
      responses: (response.topics ?? []).map((t) => ({
        name: t.topic,
        partitionResponses: (t.partitions ?? []).map(
          (p): Message => ({
            index: p.partition,
            errorCode: kafkaErrorCode(Number(p.errorCode ?? 0)),
            baseOffset: Number(p.baseOffset ?? -1),
            logAppendTimeMs: Number(p.logAppendTimeMs ?? -1),
            logStartOffset: Number(p.logStartOffset ?? -1),
            recordErrors: [],
            errorMessage: p.errorMessage ? p.errorMessage : null,
          }),
        ),
      })),
      throttleTimeMs: 0,
    };
  };
}
