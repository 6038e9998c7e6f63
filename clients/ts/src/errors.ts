/**
 * The client's errors. Every error a Tributary call can end with is a {@link TributaryError}
 * (from the one error table in @tributary/errors): `code` and `errorName` are the proto
 * `ErrorCode`, `retriable` says whether retrying can help (the client already retried those a
 * bounded number of times before giving up), `context` names the topic, partition or group.
 *
 * `errorHint(err)` adds what to do about it, for logs and the CLI.
 */
import type { ServiceError } from '@grpc/grpc-js';
import {
  BufferExhaustedError,
  fromGrpcError,
  InvalidConfigError,
  MessageTooLargeError,
  TributaryError,
} from '@tributary/errors';

export {
  BufferExhaustedError,
  CorruptMessageError,
  ErrorCode,
  type ErrorContext,
  type ErrorName,
  InvalidConfigError,
  MessageTooLargeError,
  NotLeaderError,
  OffsetOutOfRangeError,
  TributaryError,
} from '@tributary/errors';
export { DeserializationError } from './serializers/serializers';

/** What an operator or developer can do about each error, by error name. */
const HINTS: Readonly<Record<string, string>> = {
  OFFSET_OUT_OF_RANGE:
    'Seek to an offset between the partition\'s earliest and latest offsets, or set autoOffsetReset to "earliest" or "latest".',
  UNKNOWN_TOPIC_OR_PARTITION:
    'Check the topic name (`tributary topics list`) or create it (`tributary topics create NAME`).',
  LEADER_NOT_AVAILABLE: 'A leader election is in progress; retry in a few seconds.',
  NOT_LEADER_OR_FOLLOWER:
    'Leadership moved; the client refreshes metadata and retries. If it persists, check `tributary cluster describe`.',
  REQUEST_TIMED_OUT:
    'The cluster did not answer in time; check that brokers are up and raise requestTimeoutMs if they are slow.',
  BROKER_NOT_AVAILABLE:
    'Cannot reach the broker: check --bootstrap / the bootstrap list and that the cluster is running (`npm run dev`).',
  MESSAGE_TOO_LARGE:
    "Send smaller records or raise the topic's max.message.bytes (`tributary topics alter NAME --config max.message.bytes=N`).",
  COORDINATOR_NOT_AVAILABLE: 'No group coordinator is running; start one, then retry.',
  NOT_COORDINATOR: 'The group moved to another coordinator; the client finds it again and retries.',
  INVALID_TOPIC: 'Use 1-249 characters of [a-zA-Z0-9._-], and neither "." nor "..".',
  NOT_ENOUGH_REPLICAS:
    'Fewer in-sync replicas than min.insync.replicas: bring brokers back, or produce with acks=1.',
  INVALID_REQUIRED_ACKS: 'Use acks 0, 1 or -1 ("all").',
  ILLEGAL_GENERATION:
    'The group rebalanced; the consumer rejoins. Commit only offsets of partitions it still owns.',
  UNKNOWN_MEMBER_ID:
    'The member was removed (session or poll timeout); the consumer rejoins. Process faster or raise maxPollIntervalMs.',
  REBALANCE_IN_PROGRESS: 'The group is rebalancing; retry after the next assignment.',
  TOPIC_ALREADY_EXISTS: 'Pick another name, or delete the topic first (`tributary topics delete NAME`).',
  INVALID_PARTITIONS: 'Partitions must be at least 1 and can only grow.',
  INVALID_REPLICATION_FACTOR:
    'Use a replication factor between 1 and the number of live brokers (`tributary cluster describe`).',
  INVALID_CONFIG:
    'Check the config name and value (`tributary topics describe NAME` lists the current ones).',
  NOT_CONTROLLER: 'The controller changed; the client finds the active one and retries.',
  NON_EMPTY_GROUP: "Stop the group's consumers first (`tributary groups describe G` lists them).",
  GROUP_ID_NOT_FOUND: 'Check the group id (`tributary groups list`).',
  UNSUPPORTED_COMPRESSION_TYPE: 'Use compression none, gzip, lz4 or zstd.',
  UNIMPLEMENTED: 'This server does not implement the operation yet; upgrade the cluster.',
  UNKNOWN_SERVER_ERROR: 'The server failed unexpectedly; see its log.',
  AUTHENTICATION_FAILED:
    'Pass a token (--token or TRIBUTARY_TOKEN; `tributary auth token create` makes one) that this cluster signed and that has not expired.',
  TOPIC_AUTHORIZATION_FAILED: 'Ask an administrator for an ACL on the topic (`tributary acls add`).',
  GROUP_AUTHORIZATION_FAILED: 'Ask an administrator for an ACL on the group (`tributary acls add`).',
  CLUSTER_AUTHORIZATION_FAILED: 'Ask an administrator for an ACL on the cluster (`tributary acls add`).',
};

/** What to do about `err` (a sentence), or undefined when there is nothing useful to add. */
export function errorHint(err: unknown): string | undefined {
  // The transport check's message already says which TLS option to give.
  if (err instanceof InvalidConfigError && err.setting === 'tls') return undefined;
  // Client-side limits of the producer, not the cluster's: their table hints would mislead.
  if (err instanceof BufferExhaustedError)
    return 'The brokers acknowledge more slowly than records are sent: await producer.waitForBufferSpace() between sends, or raise bufferMemory or maxBlockMs.';
  if (err instanceof MessageTooLargeError && err.setting === 'bufferMemory')
    return "Split the send into smaller ones or raise the producer's bufferMemory.";
  if (err instanceof TributaryError) return HINTS[err.errorName];
  return undefined;
}

/** The error's message followed by its hint, on one line: what the CLI prints. */
export function describeError(err: unknown): string {
  const e = toTributaryError(err);
  // grpc-js ends transport errors with an empty "Resolution note:"; it says nothing.
  const text = e.message.replace(/\s*Resolution note:\s*$/, '');
  const message = e instanceof TributaryError ? `${e.errorName}: ${text}` : text;
  const hint = errorHint(e);
  const sentence = /[.!?)]$/.test(message.trim()) ? message.trim() : `${message.trim()}.`;
  const line = hint === undefined || message.includes(hint) ? message : `${sentence} ${hint}`;
  return line.replace(/\s*\n\s*/g, ' ');
}

/**
 * Normalises a thrown value: gRPC failures become TributaryErrors (code from the trailer, or
 * BROKER_NOT_AVAILABLE / REQUEST_TIMED_OUT for transport failures); other errors pass through.
 */
export function toTributaryError(err: unknown): Error {
  if (err instanceof TributaryError) return err;
  if (isServiceError(err)) return fromGrpcError(err);
  return err instanceof Error ? err : new Error(String(err));
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'metadata' in err;
}

/** Builds the TributaryError of a per-item `error_code`, with context. */
export function itemError(
  code: number,
  message: string,
  context: Record<string, string | number>,
): TributaryError {
  return TributaryError.fromCode(code, message.length > 0 ? message : undefined, context);
}
