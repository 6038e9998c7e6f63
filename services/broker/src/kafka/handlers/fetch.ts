/**
 * Fetch over Kafka: the same long poll as the gRPC Fetch (handleFetch), returning the stored
 * RecordBatch v2 bytes. Without transactions the last stable offset is the high watermark and
 * there are no aborted transactions, so read_committed and read_uncommitted read the same.
 * Fetch sessions are not kept (session id 0): clients then send full requests, which Kafka allows.
 */
import { kafkaErrorCode } from '@tributary/errors';
import type { FetchRequest__Output } from '@tributary/proto';
import { handleFetch } from '../../fetch/fetch';
import { type DataPlaneDeps, dataPathDeps } from '../../handlers/broker-service';
import type { KafkaHandler } from '../served-api';

interface KafkaFetchTopic {
  topic: string;
  partitions: {
    partition: number;
    currentLeaderEpoch: number;
    fetchOffset: number;
    partitionMaxBytes: number;
  }[];
}

export function fetchHandler(deps: DataPlaneDeps): KafkaHandler {
  const d = dataPathDeps(deps);
  return async (body) => {
    const topics = body['topics'] as KafkaFetchTopic[];
    const request = {
      maxWaitMs: body['maxWaitMs'] as number,
      minBytes: body['minBytes'] as number,
      maxBytes: body['maxBytes'] as number,
      recordFormat: 1,
      topics: topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({
          partition: p.partition,
          fetchOffset: String(p.fetchOffset),
          partitionMaxBytes: p.partitionMaxBytes,
          ...(p.currentLeaderEpoch >= 0 ? { currentLeaderEpoch: String(p.currentLeaderEpoch) } : {}),
        })),
      })),
    } as unknown as FetchRequest__Output;
    const response = await handleFetch(request, d);
    deps.fetchObserver?.kafka(response);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: (response.topics ?? []).map((t) => ({
        topic: t.topic,
        partitions: (t.partitions ?? []).map((p) => {
          const hw = Number(p.highWatermark ?? -1);
          return {
            partitionIndex: p.partition,
            errorCode: kafkaErrorCode(Number(p.errorCode ?? 0)),
            highWatermark: hw,
            lastStableOffset: hw,
            logStartOffset: Number(p.logStartOffset ?? -1),
            abortedTransactions: [],
            preferredReadReplica: -1,
            records: (p.recordBatches as Buffer | undefined) ?? Buffer.alloc(0),
          };
        }),
      })),
    };
  };
}
