/**
 * The one table of Tributary error codes: the source of truth mirrored by the proto `ErrorCode`
 * enum (`proto/tributary/v1/errors.proto`, each value `ERROR_CODE_<NAME>`) and by the client's
 * typed error classes. Numbers are Kafka's where Kafka has the same error, so Kafka users can
 * read them; codes Kafka lacks start at 1000. A unit test checks the proto against this table.
 *
 * `retriable` means: the same request may succeed if sent again later, possibly to another
 * broker after a metadata refresh. Clients retry only these.
 *
 * `refreshMetadata` means: the client's idea of where the partition lives is stale (Kafka's
 * `InvalidMetadataException` family, plus a broker that could not be reached): refresh
 * metadata before the retry, and re-route. Broker and client both read this column; nothing
 * keeps its own list of "leadership errors".
 */
export interface ErrorSpec {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
  /** Retry only after a metadata refresh (the partition's leader may have moved). */
  readonly refreshMetadata: boolean;
  /** What happened, and where it helps, what to do about it. */
  readonly message: string;
}

/** The `refreshMetadata` column's marker: write it last in a row that has the flag. */
const REFRESH_METADATA = 'refresh metadata';

const spec = (
  code: number,
  name: string,
  retriable: boolean,
  message: string,
  refresh?: typeof REFRESH_METADATA,
): ErrorSpec => ({
  code,
  name,
  retriable,
  refreshMetadata: refresh === REFRESH_METADATA,
  message,
});

export const ERROR_TABLE = [
  spec(0, 'NONE', false, 'No error.'),
  spec(1, 'OFFSET_OUT_OF_RANGE', false, 'The requested offset is outside the range held by the partition.'),
  spec(2, 'CORRUPT_MESSAGE', true, 'The record batch failed its CRC check or is malformed.'),
  spec(
    3,
    'UNKNOWN_TOPIC_OR_PARTITION',
    true,
    'This server does not host this topic-partition.',
    REFRESH_METADATA,
  ),
  spec(
    5,
    'LEADER_NOT_AVAILABLE',
    true,
    'The partition has no leader right now (an election is in progress).',
    REFRESH_METADATA,
  ),
  spec(
    6,
    'NOT_LEADER_OR_FOLLOWER',
    true,
    'This broker is not the leader of the partition; refresh metadata and retry at the current leader.',
    REFRESH_METADATA,
  ),
  spec(7, 'REQUEST_TIMED_OUT', true, 'The request timed out before it completed.', REFRESH_METADATA),
  spec(8, 'BROKER_NOT_AVAILABLE', true, 'The broker is not available.', REFRESH_METADATA),
  spec(
    10,
    'MESSAGE_TOO_LARGE',
    false,
    'The record batch is larger than the topic accepts (max.message.bytes).',
  ),
  spec(11, 'STALE_CONTROLLER_EPOCH', false, 'The request came from a controller that is no longer active.'),
  spec(12, 'OFFSET_METADATA_TOO_LARGE', false, 'The metadata attached to the committed offset is too large.'),
  spec(14, 'COORDINATOR_LOAD_IN_PROGRESS', true, 'The group coordinator is still loading the group.'),
  spec(15, 'COORDINATOR_NOT_AVAILABLE', true, 'No group coordinator is available for this group.'),
  spec(16, 'NOT_COORDINATOR', true, 'This coordinator does not own the group; find the coordinator again.'),
  spec(
    17,
    'INVALID_TOPIC',
    false,
    'Illegal topic name: use 1-249 characters of [a-zA-Z0-9._-], and neither "." nor "..".',
  ),
  spec(18, 'RECORD_LIST_TOO_LARGE', false, 'The request is larger than the broker accepts.'),
  spec(
    19,
    'NOT_ENOUGH_REPLICAS',
    true,
    'Fewer in-sync replicas than min.insync.replicas; the write was refused.',
  ),
  spec(
    20,
    'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
    true,
    'The write was appended on the leader, but the in-sync replicas fell below min.insync.replicas.',
  ),
  spec(21, 'INVALID_REQUIRED_ACKS', false, 'acks must be 0, 1 or -1 (all).'),
  spec(22, 'ILLEGAL_GENERATION', false, 'The group generation has moved on; rejoin the group.'),
  spec(23, 'INCONSISTENT_GROUP_PROTOCOL', false, "The member's assignors share none with the group."),
  spec(24, 'INVALID_GROUP_ID', false, 'The group id is empty or illegal.'),
  spec(25, 'UNKNOWN_MEMBER_ID', false, 'The coordinator does not know this member id; rejoin the group.'),
  spec(
    26,
    'INVALID_SESSION_TIMEOUT',
    false,
    'The session timeout is outside the range the coordinator allows.',
  ),
  spec(27, 'REBALANCE_IN_PROGRESS', true, 'The group is rebalancing; rejoin and retry.'),
  spec(29, 'TOPIC_AUTHORIZATION_FAILED', false, 'The principal is not authorized for this topic (ACLs).'),
  spec(30, 'GROUP_AUTHORIZATION_FAILED', false, 'The principal is not authorized for this group (ACLs).'),
  spec(
    31,
    'CLUSTER_AUTHORIZATION_FAILED',
    false,
    'The principal is not authorized for this cluster operation (ACLs).',
  ),
  spec(32, 'INVALID_TIMESTAMP', false, 'A record timestamp is out of the accepted range.'),
  spec(36, 'TOPIC_ALREADY_EXISTS', false, 'A topic with this name already exists.'),
  spec(
    37,
    'INVALID_PARTITIONS',
    false,
    'The number of partitions is invalid (it must be at least 1 and can only grow).',
  ),
  spec(
    38,
    'INVALID_REPLICATION_FACTOR',
    false,
    'The replication factor is invalid: it must be at least 1 and at most the number of live brokers.',
  ),
  spec(39, 'INVALID_REPLICA_ASSIGNMENT', false, 'The replica assignment is invalid.'),
  spec(40, 'INVALID_CONFIG', false, 'A configuration name or value is invalid.'),
  spec(41, 'NOT_CONTROLLER', true, 'This controller is not the active controller; retry at the active one.'),
  spec(42, 'INVALID_REQUEST', false, 'The request is malformed.'),
  spec(
    45,
    'OUT_OF_ORDER_SEQUENCE',
    false,
    'The broker received a batch with a sequence gap; records may be missing.',
  ),
  spec(
    46,
    'DUPLICATE_SEQUENCE',
    false,
    'The batch is a duplicate of one already written; the original offset is returned.',
  ),
  spec(
    47,
    'INVALID_PRODUCER_EPOCH',
    false,
    'The producer epoch is older than the latest one for this producer id.',
  ),
  spec(56, 'STORAGE_ERROR', true, 'The broker failed to read or write its disk.', REFRESH_METADATA),
  spec(59, 'UNKNOWN_PRODUCER_ID', false, 'The broker has no state for this producer id.'),
  spec(68, 'NON_EMPTY_GROUP', false, 'The group has active members; stop them first.'),
  spec(69, 'GROUP_ID_NOT_FOUND', false, 'The group does not exist.'),
  spec(
    74,
    'FENCED_LEADER_EPOCH',
    true,
    'The leader epoch in the request is older than the current one.',
    REFRESH_METADATA,
  ),
  spec(
    75,
    'UNKNOWN_LEADER_EPOCH',
    true,
    'The leader epoch in the request is newer than the broker knows.',
    REFRESH_METADATA,
  ),
  spec(76, 'UNSUPPORTED_COMPRESSION_TYPE', false, 'The compression codec is not supported.'),
  spec(79, 'MEMBER_ID_REQUIRED', false, 'The member must join with the member id the coordinator assigned.'),
  spec(80, 'PREFERRED_LEADER_NOT_AVAILABLE', true, 'The preferred leader is not live or not in sync.'),
  spec(
    82,
    'FENCED_INSTANCE_ID',
    false,
    'Another member with the same group.instance.id has taken its place.',
  ),
  spec(83, 'ELIGIBLE_LEADERS_NOT_AVAILABLE', true, 'No in-sync replica is live to become leader.'),
  spec(84, 'ELECTION_NOT_NEEDED', false, 'The preferred replica already leads the partition.'),
  spec(85, 'NO_REASSIGNMENT_IN_PROGRESS', false, 'No reassignment of the partition is in progress.'),
  spec(87, 'INVALID_RECORD', false, 'A record in the batch is invalid.'),
  spec(100, 'UNKNOWN_TOPIC_ID', true, 'This server does not know the topic id.', REFRESH_METADATA),
  spec(1000, 'UNKNOWN_SERVER_ERROR', false, 'An unexpected server error; see the server log.'),
  spec(1001, 'UNIMPLEMENTED', false, 'This server does not implement the operation yet.'),
  spec(1002, 'BROKER_ID_IN_USE', false, 'A live broker is already registered with this id.'),
  spec(
    1003,
    'CANCELLED',
    true,
    'The call was cancelled: by this side (a seek or a close), or by the server as it went away.',
    REFRESH_METADATA,
  ),
  spec(
    1004,
    'AUTHENTICATION_FAILED',
    false,
    'The call carried no credentials, or ones this cluster does not accept (a missing, expired or badly signed token).',
  ),
] as const satisfies readonly ErrorSpec[];

export type ErrorName = (typeof ERROR_TABLE)[number]['name'];

const byName = new Map<string, ErrorSpec>(ERROR_TABLE.map((e) => [e.name, e]));
const byCode = new Map<number, ErrorSpec>(ERROR_TABLE.map((e) => [e.code, e]));

/** Error codes by name, e.g. `ErrorCode.NOT_LEADER_OR_FOLLOWER === 6`. */
export const ErrorCode = Object.fromEntries(ERROR_TABLE.map((e) => [e.name, e.code])) as {
  readonly [K in ErrorName]: Extract<(typeof ERROR_TABLE)[number], { name: K }>['code'];
};

export function errorSpecByName(name: ErrorName): ErrorSpec {
  return byName.get(name)!;
}

/** The spec for a code; an unknown code (from a newer server) reads as UNKNOWN_SERVER_ERROR. */
export function errorSpecByCode(code: number): ErrorSpec {
  return byCode.get(code) ?? byName.get('UNKNOWN_SERVER_ERROR')!;
}

export function isKnownErrorCode(code: number): boolean {
  return byCode.has(code);
}
