/**
 * Group administration (Kafka's `kafka-consumer-groups`): list, describe with lag, committed
 * offsets, delete, reset. Each call goes to the group's coordinator (FindCoordinator); per-item
 * codes become TributaryErrors naming the group, topic and partition.
 */
import { TributaryError } from '@tributary/errors';
import {
  type AlterGroupOffsetsRequest,
  type AlterGroupOffsetsResponse__Output,
  type DeleteGroupsResponse__Output,
  type DescribeGroupsResponse__Output,
  type FetchOffsetsResponse__Output,
  GroupState,
  int64ToNumber,
  type ListGroupsResponse__Output,
} from '@tributary/proto';
import { itemError } from '../errors';
import type { Cluster } from '../rpc/cluster';
import { promisify } from '../rpc/unary';
import type {
  GroupInfo,
  GroupListing,
  GroupStateName,
  OffsetResetResult,
  ResetOffsetsOptions,
} from './types';

const n = (v: string, field: string) => int64ToNumber(v, field);

function check(code: number, message: string, context: Record<string, string | number>): void {
  if (code !== 0) throw itemError(code, message, context);
}

function stateName(state: number): GroupStateName {
  switch (state) {
    case GroupState.GROUP_STATE_EMPTY:
      return 'Empty';
    case GroupState.GROUP_STATE_REBALANCING:
      return 'Rebalancing';
    case GroupState.GROUP_STATE_STABLE:
      return 'Stable';
    case GroupState.GROUP_STATE_DEAD:
      return 'Dead';
    default:
      return 'Unknown';
  }
}

/** Every group of the cluster. */
export async function listGroups(cluster: Cluster): Promise<GroupListing[]> {
  const client = await cluster.anyCoordinator();
  const deadline = new Date(Date.now() + cluster.timeoutMs);
  const res = await promisify<ListGroupsResponse__Output>((cb) =>
    client.ListGroups({ states: [] }, { deadline }, cb),
  );
  return res.groups.map((g) => ({
    groupId: g.groupId,
    state: stateName(g.state),
    assignor: g.assignor,
    memberCount: g.memberCount,
  }));
}

/** Describes groups: members, assignments, committed offsets and lag per partition. */
export async function describeGroups(cluster: Cluster, groupIds: readonly string[]): Promise<GroupInfo[]> {
  return Promise.all(
    groupIds.map(async (groupId) => {
      const res = await cluster.group(groupId, (c, deadline) =>
        promisify<DescribeGroupsResponse__Output>((cb) =>
          c.DescribeGroups({ groupIds: [groupId] }, { deadline }, cb),
        ),
      );
      const g = res.groups[0];
      if (g === undefined) throw new TributaryError('GROUP_ID_NOT_FOUND', `Group ${groupId} not found`);
      check(g.errorCode, g.errorMessage, { group: groupId });
      const partitions = g.partitions
        .map((p) => ({
          topic: p.topic,
          partition: p.partition,
          committedOffset: n(p.committedOffset, 'committed_offset'),
          logEndOffset: n(p.logEndOffset, 'log_end_offset'),
          lag: n(p.lag, 'lag'),
          owner: p.ownerMemberId,
        }))
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      return {
        groupId: g.groupId,
        state: stateName(g.state),
        assignor: g.assignor,
        generationId: g.generationId,
        coordinatorId: g.coordinatorId,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          host: m.host,
          subscribedTopics: [...m.subscribedTopics],
          assignment: m.assignment.map((a) => ({ topic: a.topic, partitions: [...a.partitions] })),
        })),
        partitions,
        totalLag: partitions.reduce((sum, p) => sum + Math.max(0, p.lag), 0),
      };
    }),
  );
}

/** A group's committed offsets per partition (-1 where nothing is committed). */
export async function fetchOffsets(
  cluster: Cluster,

  groupId: string,
  topics: readonly string[] = [],
): Promise<Array<{ topic: string; partition: number; offset: number }>> {
  const res = await cluster.group(groupId, (c, deadline) =>
    promisify<FetchOffsetsResponse__Output>((cb) =>
      c.FetchOffsets(
        { groupId, topics: topics.map((topic) => ({ topic, partitions: [] })) },
        { deadline },
        cb,
      ),
    ),
  );
  const out: Array<{ topic: string; partition: number; offset: number }> = [];
  for (const t of res.topics) {
    for (const p of t.partitions) {
      check(p.errorCode, p.errorMessage, { group: groupId, topic: t.topic, partition: p.partition });
      out.push({ topic: t.topic, partition: p.partition, offset: n(p.offset, 'offset') });
    }
  }
  return out;
}

/** Deletes groups that have no active members, with their offsets. */
export async function deleteGroups(cluster: Cluster, groupIds: readonly string[]): Promise<void> {
  for (const groupId of groupIds) {
    const res = await cluster.group(groupId, (c, deadline) =>
      promisify<DeleteGroupsResponse__Output>((cb) =>
        c.DeleteGroups({ groupIds: [groupId] }, { deadline }, cb),
      ),
    );
    for (const r of res.results) check(r.errorCode, r.errorMessage, { group: r.groupId });
  }
}

/** Moves a group's committed offsets for one topic; the group must have no active members. */
export async function resetOffsets(
  cluster: Cluster,
  options: ResetOffsetsOptions,
): Promise<OffsetResetResult[]> {
  const { groupId, topic, reset } = options;
  const request: AlterGroupOffsetsRequest = {
    groupId,
    topic,
    partitions: [...(options.partitions ?? [])],
    dryRun: options.dryRun ?? false,
  };
  if (reset.to === 'earliest') request.toEarliest = true;
  else if (reset.to === 'latest') request.toLatest = true;
  else if (reset.to === 'offset') request.toOffset = reset.offset;
  else if (reset.to === 'timestamp') request.toTimestampMs = reset.timestamp;
  else request.shiftBy = reset.by;
  const res = await cluster.group(groupId, (c, deadline) =>
    promisify<AlterGroupOffsetsResponse__Output>((cb) => c.AlterGroupOffsets(request, { deadline }, cb)),
  );
  return res.partitions
    .map((p) => {
      check(p.errorCode, p.errorMessage, { group: groupId, topic, partition: p.partition });
      return {
        partition: p.partition,
        previousOffset: n(p.previousOffset, 'previous_offset'),
        newOffset: n(p.newOffset, 'new_offset'),
      };
    })
    .sort((a, b) => a.partition - b.partition);
}
