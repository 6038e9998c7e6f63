/**
 * Records of the group registries (ARCHITECTURE §2, docs/groups.md): the coordinator that owns a
 * group, the consumer registry, the ownership registry and the offset registry. Versioned JSON,
 * checked on read like every other record (`parseRecord`).
 */

type Check<T> = (value: unknown) => value is T;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** The lifecycle states a coordinator publishes for its groups (the proto GroupState names). */
export type GroupStateName = 'EMPTY' | 'REBALANCING' | 'STABLE';

/**
 * `groups/<g>/coordinator` (ephemeral, on the owning coordinator's lease): who owns the group and
 * where it listens, plus a summary refreshed with every generation so any coordinator can answer
 * ListGroups from the registry. The key's create revision fences every write the owner makes for
 * the group.
 */
export interface GroupCoordinatorRecord {
  version: 1;
  /** The owning coordinator's id (`coordinators/<id>`). */
  coordinatorId: string;
  host: string;
  port: number;
  claimedAt: number;
  /** The group's generation as of the last write; 0 before the first assignment. */
  generation: number;
  /** The assignor in use; empty while the group has no members. */
  assignor: string;
  state: GroupStateName;
  memberCount: number;
}

/** `groups/<g>/members/<member>` (ephemeral): a member of the group, written per rebalance. */
export interface GroupMemberRecord {
  version: 1;
  memberId: string;
  /** Static membership id (group.instance.id); empty for a dynamic member. */
  instanceId: string;
  clientId: string;
  host: string;
  topics: string[];
  joinedAt: number;
}

/**
 * `groups/<g>/owners/<topic>/<p>` (ephemeral): the member that owns the partition. Written only
 * when ownership moves, before the new owner is told; `generation` is the generation in which
 * this member received the partition.
 */
export interface GroupOwnerRecord {
  version: 1;
  memberId: string;
  generation: number;
}

/** `groups/<g>/offsets/<topic>/<p>` (persistent): the group's committed position. */
export interface GroupOffsetRecord {
  version: 1;
  /** The next offset to consume. */
  offset: number;
  /** Leader epoch of the last consumed record; -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  /** The generation the commit was made in (-1: a standalone consumer or an admin reset). */
  generation: number;
  /** The committing member; empty for standalone consumers and admin resets. */
  memberId: string;
  committedAt: number;
}

export const isGroupCoordinatorRecord: Check<GroupCoordinatorRecord> = (v): v is GroupCoordinatorRecord =>
  isObject(v) &&
  v['version'] === 1 &&
  isString(v['coordinatorId']) &&
  isString(v['host']) &&
  isInt(v['port']) &&
  isInt(v['claimedAt']) &&
  isInt(v['generation']) &&
  isString(v['assignor']) &&
  (v['state'] === 'EMPTY' || v['state'] === 'REBALANCING' || v['state'] === 'STABLE') &&
  isInt(v['memberCount']);

export const isGroupMemberRecord: Check<GroupMemberRecord> = (v): v is GroupMemberRecord =>
  isObject(v) &&
  v['version'] === 1 &&
  isString(v['memberId']) &&
  isString(v['instanceId']) &&
  isString(v['clientId']) &&
  isString(v['host']) &&
  isStringArray(v['topics']) &&
  isInt(v['joinedAt']);

export const isGroupOwnerRecord: Check<GroupOwnerRecord> = (v): v is GroupOwnerRecord =>
  isObject(v) && v['version'] === 1 && isString(v['memberId']) && isInt(v['generation']);

export const isGroupOffsetRecord: Check<GroupOffsetRecord> = (v): v is GroupOffsetRecord =>
  isObject(v) &&
  v['version'] === 1 &&
  isInt(v['offset']) &&
  isInt(v['leaderEpoch']) &&
  isString(v['metadata']) &&
  isInt(v['generation']) &&
  isString(v['memberId']) &&
  isInt(v['committedAt']);
