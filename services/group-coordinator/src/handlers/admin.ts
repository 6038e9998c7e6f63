import { ErrorCode, type ErrorName, TributaryError } from '@tributary/errors';
import {
  type AlterGroupOffsetsPartitionResult,
  type AlterGroupOffsetsRequest__Output,
  type AlterGroupOffsetsResponse,
  type DeleteGroupsRequest__Output,
  type DeleteGroupsResponse,
  type DescribeGroupsRequest__Output,
  type DescribeGroupsResponse,
  type GroupDescription,
  type GroupPartitionDescription,
  GroupState,
  type GroupState__Output,
  type ListedGroup,
  type ListGroupsRequest__Output,
  type ListGroupsResponse,
} from '@tributary/proto';
import {
  type GroupOffsetRecord,
  type GroupStateName,
  isGroupCoordinatorRecord,
  keys,
  type Namespace,
  numericId,
  parseRecord,
} from '@tributary/registry';
import type { OffsetAnswer, OffsetQuery, PartitionOffsets } from '../broker-offsets';
import type { Clock } from '../clock';
import type { GroupManager, OwnedGroup } from '../group-manager';
import type { OffsetEntry } from '../registry/group-store';
import { parseTp, sortTps, type TpKey, toTopicPartitions, tpKey } from '../topic-partition';
import { checkGroupId, int64, wireCode } from './validate';

export interface AdminHandlerDeps {
  readonly ns: () => Namespace;
  readonly manager: GroupManager;
  readonly offsets: PartitionOffsets;
  readonly clock: Clock;
  readonly coordinatorId: string;
}

const STATES: Record<GroupStateName, GroupState__Output> = {
  EMPTY: GroupState.GROUP_STATE_EMPTY,
  REBALANCING: GroupState.GROUP_STATE_REBALANCING,
  STABLE: GroupState.GROUP_STATE_STABLE,
};

const NO_ANSWER: OffsetAnswer = {
  offset: -1,
  errorCode: ErrorCode.REQUEST_TIMED_OUT,
  errorMessage: 'the partition leader gave no answer',
};

const errorOf = (err: unknown): TributaryError =>
  err instanceof TributaryError ? err : new TributaryError('UNKNOWN_SERVER_ERROR', (err as Error).message);

/** Whether a group this coordinator owns exists in any sense (members, a generation, or offsets). */
const exists = (owned: OwnedGroup): boolean =>
  owned.group.memberCount > 0 || owned.group.generation > 0 || owned.offsets.size > 0;

/**
 * ListGroups, from the registry: one keys-only scan of `groups/` finds every group with members
 * or committed offsets; the state and assignor of groups owned elsewhere come from their
 * `groups/<g>/coordinator` record (refreshed with every generation), of groups owned here from
 * memory.
 */
export async function listGroups(
  deps: AdminHandlerDeps,
  request: ListGroupsRequest__Output,
): Promise<ListGroupsResponse> {
  const ns = deps.ns();
  const root = keys.groupsPrefix();
  const found = new Map<string, { members: number; offsets: boolean; claimed: boolean }>();
  for (const key of await ns.getAll().prefix(root).keys()) {
    const segment = key.slice(root.length, key.indexOf('/', root.length));
    const id = decodeURIComponent(segment);
    const entry = found.get(id) ?? { members: 0, offsets: false, claimed: false };
    found.set(id, entry);
    if (key === keys.groupCoordinatorKey(id)) entry.claimed = true;
    else if (key.startsWith(keys.groupMembersPrefix(id))) entry.members++;
    else if (key.startsWith(keys.groupOffsetsPrefix(id))) entry.offsets = true;
  }
  const groups: ListedGroup[] = [];
  for (const [groupId, entry] of found) {
    const mine = deps.manager.get(groupId);
    if (mine) {
      if (!exists(mine)) continue;
      groups.push({
        groupId,
        state: STATES[mine.group.memberCount > 0 ? mine.group.state : 'EMPTY'],
        assignor: mine.group.memberCount > 0 ? mine.group.assignorName : '',
        memberCount: mine.group.memberCount,
      });
      continue;
    }
    if (entry.members === 0) {
      if (entry.offsets)
        groups.push({ groupId, state: GroupState.GROUP_STATE_EMPTY, assignor: '', memberCount: 0 });
      continue;
    }
    const raw = entry.claimed ? await ns.get(keys.groupCoordinatorKey(groupId)).string() : null;
    let state: GroupState__Output = GroupState.GROUP_STATE_STABLE;
    let assignor = '';
    if (raw !== null) {
      try {
        const record = parseRecord(keys.groupCoordinatorKey(groupId), raw, isGroupCoordinatorRecord);
        state = STATES[record.state];
        assignor = record.assignor;
      } catch {
        // A malformed record: list the group with what the scan saw.
      }
    }
    groups.push({ groupId, state, assignor, memberCount: entry.members });
  }
  const wanted = new Set(request.states);
  return {
    groups: groups
      .filter((g) => wanted.size === 0 || wanted.has(g.state as GroupState__Output))
      .sort((a, b) => (a.groupId! < b.groupId! ? -1 : 1)),
  };
}

/** DescribeGroups: members and assignments from memory, offsets after pending commits, lag from the brokers. */
export async function describeGroups(
  deps: AdminHandlerDeps,
  request: DescribeGroupsRequest__Output,
): Promise<DescribeGroupsResponse> {
  const groups = await Promise.all(request.groupIds.map((groupId) => describeOne(deps, groupId)));
  return { groups };
}

async function describeOne(deps: AdminHandlerDeps, groupId: string): Promise<GroupDescription> {
  const failed = (err: TributaryError): GroupDescription => ({
    groupId,
    errorCode: wireCode(err.code),
    errorMessage: err.message,
    state: GroupState.GROUP_STATE_UNSPECIFIED,
    generationId: -1,
    coordinatorId: numericId(deps.coordinatorId),
  });
  let owned: OwnedGroup;
  try {
    checkGroupId(groupId);
    owned = await deps.manager.acquire(groupId);
    await owned.commits.drain();
  } catch (err) {
    return failed(errorOf(err));
  }
  if (!exists(owned))
    return failed(new TributaryError('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`));
  const { group } = owned;
  const owners = new Map<TpKey, string>();
  for (const member of group.memberList()) for (const tp of member.owned) owners.set(tp, member.memberId);
  const tps = sortTps(new Set([...owned.offsets.keys(), ...owners.keys()]));
  const ends = await deps.offsets.list(
    { spec: 'latest' },
    tps.map((tp) => parseTp(tp)),
  );
  const partitions: GroupPartitionDescription[] = tps.map((tp) => {
    const committed = owned.offsets.get(tp)?.offset ?? -1;
    const end = ends.get(tp);
    const logEnd = end && end.errorCode === 0 ? end.offset : -1;
    return {
      ...parseTp(tp),
      committedOffset: committed,
      logEndOffset: logEnd,
      lag: committed >= 0 && logEnd >= 0 ? Math.max(0, logEnd - committed) : -1,
      ownerMemberId: owners.get(tp) ?? '',
    };
  });
  const members = group.memberCount;
  return {
    groupId,
    errorCode: 0,
    errorMessage: '',
    state: STATES[members > 0 ? group.state : 'EMPTY'],
    assignor: members > 0 ? group.assignorName : '',
    generationId: group.generation > 0 || members > 0 ? group.generation : -1,
    coordinatorId: numericId(deps.coordinatorId),
    members: group.memberList().map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      host: m.host,
      subscribedTopics: [...m.topics],
      assignment: toTopicPartitions(m.owned),
    })),
    partitions,
  };
}

/** DeleteGroups: only groups without members; every key of the group goes in one fenced txn. */
export async function deleteGroups(
  deps: AdminHandlerDeps,
  request: DeleteGroupsRequest__Output,
): Promise<DeleteGroupsResponse> {
  const results = await Promise.all(
    request.groupIds.map(async (groupId) => {
      try {
        checkGroupId(groupId);
        const owned = await deps.manager.acquire(groupId);
        if (owned.group.memberCount > 0) {
          throw new TributaryError(
            'NON_EMPTY_GROUP',
            `Group ${groupId} has ${owned.group.memberCount} active members`,
          );
        }
        await owned.commits.drain();
        const found = exists(owned);
        await owned.store.deleteAll();
        deps.manager.drop(groupId, 'deleted');
        if (!found) throw new TributaryError('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`);
        return { groupId, errorCode: wireCode(0), errorMessage: '' };
      } catch (err) {
        const error = errorOf(err);
        return { groupId, errorCode: wireCode(error.code), errorMessage: error.message };
      }
    }),
  );
  return { results };
}

/**
 * AlterGroupOffsets: computes each partition's new offset (brokers' log start offset and high
 * watermark bound it; when the leader cannot be asked, an explicit or shifted offset is stored
 * as given, not clamped), then commits them through the group's commit window, unless dry_run.
 */
export async function alterGroupOffsets(
  deps: AdminHandlerDeps,
  request: AlterGroupOffsetsRequest__Output,
): Promise<AlterGroupOffsetsResponse> {
  checkGroupId(request.groupId);
  const reset = request.reset;
  if (
    reset === undefined ||
    (reset === 'toEarliest' && !request.toEarliest) ||
    (reset === 'toLatest' && !request.toLatest)
  ) {
    throw new TributaryError(
      'INVALID_REQUEST',
      'Give one reset: to_earliest, to_latest, to_timestamp_ms, to_offset or shift_by',
    );
  }
  const count = deps.manager.partitionCount(request.topic);
  if (count === undefined) {
    throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${request.topic} does not exist`);
  }
  const owned = await deps.manager.acquire(request.groupId);
  if (!request.dryRun && owned.group.memberCount > 0) {
    throw new TributaryError(
      'NON_EMPTY_GROUP',
      `Group ${request.groupId} has ${owned.group.memberCount} active members; stop them first (or use dry_run)`,
    );
  }
  await owned.commits.drain();
  const numbers = request.partitions.length > 0 ? [...new Set(request.partitions)] : [...Array(count).keys()];
  const valid = numbers
    .filter((p) => p >= 0 && p < count)
    .map((partition) => ({ topic: request.topic, partition }));
  const query = (q: OffsetQuery) =>
    valid.length > 0 ? deps.offsets.list(q, valid) : Promise.resolve(new Map());
  const [earliest, latest, byTime]: Map<TpKey, OffsetAnswer>[] = await Promise.all([
    query({ spec: 'earliest' }),
    query({ spec: 'latest' }),
    reset === 'toTimestampMs'
      ? query({ spec: 'timestamp', timestampMs: int64(request.toTimestampMs, 'to_timestamp_ms') })
      : Promise.resolve(new Map()),
  ]);
  const explicit = reset === 'toOffset' ? int64(request.toOffset, 'to_offset') : 0;
  const shift = reset === 'shiftBy' ? int64(request.shiftBy, 'shift_by') : 0;

  const results: AlterGroupOffsetsPartitionResult[] = [];
  const writes = new Map<TpKey, OffsetEntry>();
  for (const partition of numbers.sort((a, b) => a - b)) {
    const tp = tpKey(request.topic, partition);
    const previous = owned.offsets.get(tp)?.offset ?? -1;
    const fail = (name: ErrorName, message: string) =>
      results.push({
        partition,
        errorCode: wireCode(ErrorCode[name]),
        errorMessage: message,
        previousOffset: previous,
        newOffset: -1,
      });
    if (partition < 0 || partition >= count) {
      fail('UNKNOWN_TOPIC_OR_PARTITION', `${tp} does not exist`);
      continue;
    }
    const low: OffsetAnswer = earliest.get(tp) ?? NO_ANSWER;
    const high: OffsetAnswer = latest.get(tp) ?? NO_ANSWER;
    const known = low.errorCode === 0 && high.errorCode === 0;
    const clamp = (offset: number) =>
      known ? Math.min(Math.max(offset, low.offset), high.offset) : Math.max(0, offset);
    let target: number;
    if (reset === 'toEarliest' || reset === 'toLatest' || reset === 'toTimestampMs') {
      const answer =
        reset === 'toEarliest' ? low : reset === 'toLatest' ? high : (byTime.get(tp) ?? NO_ANSWER);
      const failedAnswer = [answer, ...(reset === 'toTimestampMs' ? [high] : [])].find(
        (a) => a.errorCode !== 0,
      );
      if (failedAnswer) {
        results.push({
          partition,
          errorCode: wireCode(failedAnswer.errorCode),
          errorMessage: failedAnswer.errorMessage,
          previousOffset: previous,
          newOffset: -1,
        });
        continue;
      }
      // No record at or after the timestamp: the high watermark.
      target = reset === 'toTimestampMs' && answer.offset < 0 ? high.offset : clamp(answer.offset);
    } else if (reset === 'toOffset') {
      if (explicit < 0) {
        fail('INVALID_REQUEST', `to_offset ${explicit} is negative`);
        continue;
      }
      target = clamp(explicit);
    } else {
      if (previous < 0) {
        fail('INVALID_REQUEST', `${tp} has no committed offset to shift`);
        continue;
      }
      target = clamp(previous + shift);
    }
    results.push({ partition, errorCode: 0, errorMessage: '', previousOffset: previous, newOffset: target });
    const record: GroupOffsetRecord = {
      version: 1,
      offset: target,
      leaderEpoch: -1,
      metadata: '',
      generation: -1,
      memberId: '',
      committedAt: deps.clock.now(),
    };
    writes.set(tp, { tp, record });
  }
  if (!request.dryRun && writes.size > 0) {
    if (owned.group.memberCount > 0) {
      throw new TributaryError('NON_EMPTY_GROUP', `Group ${request.groupId} got members while resetting`);
    }
    await owned.commits.commit(writes);
  }
  return { topic: request.topic, partitions: results };
}
