import { ErrorCode, type ErrorName, TributaryError, toGrpcError } from '@tributary/errors';
import type {
  CommitOffsetsRequest__Output,
  CommitOffsetsResponse,
  CommitOffsetsTopic__Output,
  FetchOffsetsPartitionResponse,
  FetchOffsetsRequest__Output,
  FetchOffsetsResponse,
  GroupCoordinatorServiceHandlers,
  ProtoErrorCode__Output,
} from '@tributary/proto';
import type { GroupOffsetRecord } from '@tributary/registry';
import type { Clock } from '../clock';
import type { GroupManager, OwnedGroup } from '../group-manager';
import type { OffsetEntry } from '../registry/group-store';
import { parseTp, type TpKey, tpKey } from '../topic-partition';
import { checkGroupId, int64, wireCode } from './validate';

export interface OffsetHandlerDeps {
  readonly manager: GroupManager;
  readonly clock: Clock;
  readonly metadataMaxBytes: number;
}

type PartitionResult = { partition: number; errorCode: ProtoErrorCode__Output; errorMessage: string };

const failure = (partition: number, name: ErrorName, message: string): PartitionResult => ({
  partition,
  errorCode: wireCode(ErrorCode[name]),
  errorMessage: message,
});

/** A commit that passed the fence: its refusals are known, its accepted offsets are on their way to etcd. */
export interface AcceptedCommit {
  /** Resolves once the accepted offsets are durable; rejects with the write's error. */
  readonly durable: Promise<void>;
  /** Every partition's result (call once `durable` has resolved). */
  response(): CommitOffsetsResponse;
}

/**
 * Fences a commit (generation, member, ownership per partition: membership/commit-fence.ts) and
 * queues what it may commit in the group's commit window, synchronously: commits accepted one
 * after the other reach etcd in that order, per partition. Throws the group-level refusal.
 * CommitOffsets and a GroupSession's `commit` both come through here.
 */
export function acceptCommit(
  deps: OffsetHandlerDeps,
  owned: OwnedGroup,
  memberId: string,
  generationId: number,
  topics: readonly CommitOffsetsTopic__Output[],
): AcceptedCommit {
  const check = owned.group.checkCommit(memberId, generationId);
  if (!check.ok) throw new TributaryError(check.error, check.message);

  const results = new Map<string, PartitionResult[]>();
  const accepted = new Map<TpKey, OffsetEntry>();
  const acceptedPartitions: { topic: string; partition: number }[] = [];
  const committedAt = deps.clock.now();
  for (const { topic, partitions } of topics) {
    const list: PartitionResult[] = [];
    results.set(topic, list);
    const count = deps.manager.partitionCount(topic);
    for (const p of partitions) {
      const tp = tpKey(topic, p.partition);
      if (count === undefined || p.partition < 0 || p.partition >= count) {
        list.push(failure(p.partition, 'UNKNOWN_TOPIC_OR_PARTITION', `${tp} does not exist`));
        continue;
      }
      if (Buffer.byteLength(p.metadata) > deps.metadataMaxBytes) {
        list.push(
          failure(
            p.partition,
            'OFFSET_METADATA_TOO_LARGE',
            `metadata is over ${deps.metadataMaxBytes} bytes`,
          ),
        );
        continue;
      }
      if (!check.owns(tp)) {
        list.push(
          failure(
            p.partition,
            'ILLEGAL_GENERATION',
            `${tp} is not owned by ${memberId} in generation ${generationId}`,
          ),
        );
        continue;
      }
      const offset = int64(p.offset, 'offset');
      if (offset < 0) {
        list.push(failure(p.partition, 'INVALID_REQUEST', `offset ${offset} is negative`));
        continue;
      }
      const leaderEpoch = p.leaderEpoch === undefined ? -1 : int64(p.leaderEpoch, 'leader_epoch');
      const record: GroupOffsetRecord = {
        version: 1,
        offset,
        leaderEpoch: leaderEpoch < 0 ? -1 : leaderEpoch,
        metadata: p.metadata,
        generation: generationId,
        memberId,
        committedAt,
      };
      accepted.set(tp, { tp, record });
      acceptedPartitions.push({ topic, partition: p.partition });
    }
  }
  return {
    durable: accepted.size > 0 ? owned.commits.commit(accepted) : Promise.resolve(),
    response: () => {
      for (const { topic, partition } of acceptedPartitions) {
        results.get(topic)!.push({ partition, errorCode: wireCode(0), errorMessage: '' });
      }
      return {
        topics: [...results].map(([topic, partitions]) => ({
          topic,
          partitions: partitions.sort((a, b) => a.partition - b.partition),
        })),
      };
    },
  };
}

/** CommitOffsets: `acceptCommit`, answered once the commit window's etcd txn succeeded. */
export async function commitOffsets(
  deps: OffsetHandlerDeps,
  request: CommitOffsetsRequest__Output,
): Promise<CommitOffsetsResponse> {
  checkGroupId(request.groupId);
  const owned = await deps.manager.acquire(request.groupId);
  const commit = acceptCommit(deps, owned, request.memberId, request.generationId, request.topics);
  await commit.durable;
  return commit.response();
}

/**
 * FetchOffsets: answered from the owner's copy of the offset registry after the group's pending
 * commits are written (read-your-writes across members: a new owner sees what the old one
 * committed before it released the partition).
 */
export async function fetchOffsets(
  deps: OffsetHandlerDeps,
  request: FetchOffsetsRequest__Output,
): Promise<FetchOffsetsResponse> {
  checkGroupId(request.groupId);
  const owned = await deps.manager.acquire(request.groupId);
  await owned.commits.drain();
  const byTopic = new Map<string, Set<number>>();
  if (request.topics.length === 0) {
    for (const tp of owned.offsets.keys()) {
      const { topic, partition } = parseTp(tp);
      if (!byTopic.has(topic)) byTopic.set(topic, new Set());
      byTopic.get(topic)!.add(partition);
    }
  }
  for (const { topic, partitions } of request.topics) {
    const wanted = byTopic.get(topic) ?? new Set<number>();
    byTopic.set(topic, wanted);
    if (partitions.length > 0) {
      for (const p of partitions) wanted.add(p);
      continue;
    }
    const count = deps.manager.partitionCount(topic) ?? 0;
    for (let p = 0; p < count; p++) wanted.add(p);
    for (const tp of owned.offsets.keys()) if (parseTp(tp).topic === topic) wanted.add(parseTp(tp).partition);
  }
  return {
    topics: [...byTopic].map(([topic, partitions]) => {
      const count = deps.manager.partitionCount(topic);
      return {
        topic,
        partitions: [...partitions]
          .sort((a, b) => a - b)
          .map((partition): FetchOffsetsPartitionResponse => {
            const record = owned.offsets.get(tpKey(topic, partition));
            if (record) {
              return {
                partition,
                errorCode: 0,
                errorMessage: '',
                offset: record.offset,
                leaderEpoch: record.leaderEpoch,
                metadata: record.metadata,
              };
            }
            const missing = count === undefined || partition < 0 || partition >= count;
            return {
              partition,
              errorCode: wireCode(missing ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0),
              errorMessage: missing ? `${topic}/${partition} does not exist` : '',
              offset: -1,
              leaderEpoch: -1,
              metadata: '',
            };
          }),
      };
    }),
  };
}

/** Wraps an async unary implementation: errors become a gRPC status with the error-code trailer. */
export function unary<Req, Res>(
  impl: (request: Req) => Promise<Res>,
): (
  call: { request: Req },
  callback: (err: ReturnType<typeof toGrpcError> | null, response?: Res) => void,
) => void {
  return (call, callback) => {
    impl(call.request).then(
      (response) => callback(null, response),
      (err) => callback(toGrpcError(err instanceof TributaryError ? err : asTributary(err))),
    );
  };
}

const asTributary = (err: unknown): TributaryError =>
  new TributaryError('UNKNOWN_SERVER_ERROR', err instanceof Error ? err.message : String(err), {
    cause: err,
  });

/** The handler types, for main.ts. */
export type UnaryHandlers = Pick<
  GroupCoordinatorServiceHandlers,
  | 'CommitOffsets'
  | 'FetchOffsets'
  | 'ListGroups'
  | 'DescribeGroups'
  | 'DeleteGroups'
  | 'AlterGroupOffsets'
  | 'FindCoordinator'
>;
