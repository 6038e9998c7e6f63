/**
 * OffsetCommit and OffsetFetch over Kafka, proxied to the group's coordinator (CommitOffsets,
 * FetchOffsets): the same committed offsets `tributary groups describe` shows. A group-level
 * failure (NOT_COORDINATOR, REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, ...) is reported on every
 * partition, as Kafka does; NOT_COORDINATOR also forgets where the group lives.
 */
import { kafkaErrorCode, TributaryError } from '@tributary/errors';
import type {
  CommitOffsetsRequest,
  CommitOffsetsResponse__Output,
  FetchOffsetsRequest,
  FetchOffsetsResponse__Output,
} from '@tributary/proto';
import { type ClusterClients, callUnary } from '../cluster-clients';
import type { KafkaHandler } from '../served-api';

interface CommitTopic {
  name: string;
  partitions: {
    partitionIndex: number;
    committedOffset: number;
    committedLeaderEpoch: number;
    committedMetadata: string | null;
  }[];
}

function codeOf(err: unknown): number {
  return err instanceof TributaryError ? err.code : 1000;
}

export function offsetCommitHandler(clients: ClusterClients): KafkaHandler {
  return async (body) => {
    const groupId = body['groupId'] as string;
    const topics = body['topics'] as CommitTopic[];
    const request: CommitOffsetsRequest = {
      groupId,
      memberId: body['memberId'] as string,
      generationId: body['generationIdOrMemberEpoch'] as number,
      topics: topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionIndex,
          offset: p.committedOffset,
          ...(p.committedLeaderEpoch >= 0 ? { leaderEpoch: p.committedLeaderEpoch } : {}),
          metadata: p.committedMetadata ?? '',
        })),
      })),
    };
    const codes = new Map<string, number>();
    let whole = 0;
    try {
      const coordinator = await clients.groupCoordinator(groupId);
      const res = await callUnary<CommitOffsetsRequest, CommitOffsetsResponse__Output>(
        coordinator,
        coordinator.CommitOffsets,
        request,
      );
      for (const t of res.topics)
        for (const p of t.partitions) codes.set(`${t.topic}/${p.partition}`, Number(p.errorCode));
    } catch (err) {
      if (err instanceof TributaryError && err.errorName === 'NOT_COORDINATOR') clients.forgetGroup(groupId);
      whole = codeOf(err);
    }
    return {
      throttleTimeMs: 0,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: kafkaErrorCode(whole || (codes.get(`${t.name}/${p.partitionIndex}`) ?? 0)),
        })),
      })),
    };
  };
}

export function offsetFetchHandler(clients: ClusterClients): KafkaHandler {
  return async (body) => {
    const groupId = body['groupId'] as string;
    const wanted = body['topics'] as { name: string; partitionIndexes: number[] }[] | null;
    const request: FetchOffsetsRequest = {
      groupId,
      topics: (wanted ?? []).map((t) => ({ topic: t.name, partitions: t.partitionIndexes })),
    };
    try {
      const coordinator = await clients.groupCoordinator(groupId);
      const res = await callUnary<FetchOffsetsRequest, FetchOffsetsResponse__Output>(
        coordinator,
        coordinator.FetchOffsets,
        request,
      );
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        topics: res.topics.map((t) => ({
          name: t.topic,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partition,
            committedOffset: Number(p.offset),
            committedLeaderEpoch: Number(p.leaderEpoch),
            metadata: p.metadata,
            errorCode: kafkaErrorCode(Number(p.errorCode)),
          })),
        })),
      };
    } catch (err) {
      if (err instanceof TributaryError && err.errorName === 'NOT_COORDINATOR') clients.forgetGroup(groupId);
      return { throttleTimeMs: 0, errorCode: kafkaErrorCode(codeOf(err)), topics: [] };
    }
  };
}
