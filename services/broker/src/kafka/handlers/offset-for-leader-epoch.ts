/**
 * OffsetForLeaderEpoch over Kafka (consumers validating their position after a leader change,
 * KIP-320): the same handleOffsetForLeaderEpoch the replication service answers followers with.
 */
import { kafkaErrorCode } from '@tributary/errors';
import type { OffsetForLeaderEpochRequest__Output } from '@tributary/proto';
import type { ReplicaManager } from '../../replica/replica-manager';
import { handleOffsetForLeaderEpoch } from '../../replication/leader-side';
import type { KafkaHandler } from '../served-api';

interface EpochTopic {
  topic: string;
  partitions: { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[];
}

export function offsetForLeaderEpochHandler(replicas: ReplicaManager): KafkaHandler {
  return (body) => {
    const topics = body['topics'] as EpochTopic[];
    const request = {
      replicaId: -1,
      topics: topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({
          partition: p.partition,
          leaderEpoch: String(p.leaderEpoch),
          ...(p.currentLeaderEpoch >= 0 ? { currentLeaderEpoch: String(p.currentLeaderEpoch) } : {}),
        })),
      })),
    } as unknown as OffsetForLeaderEpochRequest__Output;
    const res = handleOffsetForLeaderEpoch(request, replicas);
    return {
      throttleTimeMs: 0,
      topics: (res.topics ?? []).map((t) => ({
        topic: t.topic,
        partitions: (t.partitions ?? []).map((p) => ({
          errorCode: kafkaErrorCode(Number(p.errorCode ?? 0)),
          partition: p.partition,
          leaderEpoch: Number(p.leaderEpoch ?? -1),
          endOffset: Number(p.endOffset ?? -1),
        })),
      })),
    };
  };
}
