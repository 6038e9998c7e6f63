/**
 * ListOffsets over Kafka: timestamp -2 is the log start offset, -1 the high watermark, anything
 * else a lookup by time, through the same handleListOffsets as the gRPC call. Kafka's newer
 * sentinels (-3 max timestamp and below) answer INVALID_REQUEST.
 */
import { kafkaErrorCode } from '@tributary/errors';
import type { ListOffsetsRequest__Output } from '@tributary/proto';
import { handleListOffsets } from '../../fetch/fetch';
import { type DataPlaneDeps, dataPathDeps } from '../../handlers/broker-service';
import type { KafkaHandler } from '../served-api';

interface KafkaListOffsetsTopic {
  name: string;
  partitions: { partitionIndex: number; currentLeaderEpoch: number; timestamp: number }[];
}

const EARLIEST = -2;
const LATEST = -1;

function spec(timestamp: number): number {
  if (timestamp === EARLIEST) return 1;
  if (timestamp === LATEST) return 2;
  return timestamp >= 0 ? 3 : 0;
}

export function listOffsetsHandler(deps: DataPlaneDeps): KafkaHandler {
  const d = dataPathDeps(deps);
  return (body) => {
    const topics = body['topics'] as KafkaListOffsetsTopic[];
    const request = {
      topics: topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionIndex,
          spec: spec(p.timestamp),
          timestampMs: String(Math.max(0, p.timestamp)),
          ...(p.currentLeaderEpoch >= 0 ? { currentLeaderEpoch: String(p.currentLeaderEpoch) } : {}),
        })),
      })),
    } as unknown as ListOffsetsRequest__Output;
    const response = handleListOffsets(request, d);
    return {
      throttleTimeMs: 0,
      topics: (response.topics ?? []).map((t) => ({
        name: t.topic,
        partitions: (t.partitions ?? []).map((p) => ({
          partitionIndex: p.partition,
          errorCode: kafkaErrorCode(Number(p.errorCode ?? 0)),
          timestamp: Number(p.timestampMs ?? -1),
          offset: Number(p.offset ?? -1),
          leaderEpoch: Number(p.leaderEpoch ?? -1),
        })),
      })),
    };
  };
}
