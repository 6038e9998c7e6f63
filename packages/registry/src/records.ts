/**
 * Values stored in etcd: versioned JSON records, checked on read so a malformed or foreign value
 * fails loudly instead of flowing into decisions.
 */

/** `brokers/<id>`: where a live broker listens. */
export interface BrokerRegistration {
  version: 1;
  id: number;
  host: string;
  port: number;
  rack: string | null;
  startedAt: number;
  /** The broker's Kafka wire-protocol listener as clients reach it; absent when it has none. */
  kafka?: { host: string; port: number };
}

/** `coordinators/<id>`: where a live group coordinator listens. */
export interface CoordinatorRegistration {
  version: 1;
  id: string;
  host: string;
  port: number;
  startedAt: number;
}

/** `controller`: the active controller. */
export interface ControllerRegistration {
  version: 1;
  id: string;
  host: string;
  port: number;
  electedAt: number;
}

type Check<T> = (value: unknown) => value is T;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isPort = (v: unknown): v is number => isInt(v) && v > 0 && v < 65536;

export const isBrokerRegistration: Check<BrokerRegistration> = (v): v is BrokerRegistration =>
  isObject(v) &&
  v['version'] === 1 &&
  isInt(v['id']) &&
  typeof v['host'] === 'string' &&
  isPort(v['port']) &&
  (v['rack'] === null || typeof v['rack'] === 'string') &&
  isInt(v['startedAt']) &&
  (v['kafka'] === undefined ||
    (isObject(v['kafka']) && typeof v['kafka']['host'] === 'string' && isPort(v['kafka']['port'])));

export const isCoordinatorRegistration: Check<CoordinatorRegistration> = (v): v is CoordinatorRegistration =>
  isObject(v) &&
  v['version'] === 1 &&
  typeof v['id'] === 'string' &&
  typeof v['host'] === 'string' &&
  isPort(v['port']) &&
  isInt(v['startedAt']);

export const isControllerRegistration: Check<ControllerRegistration> = (v): v is ControllerRegistration =>
  isObject(v) &&
  v['version'] === 1 &&
  typeof v['id'] === 'string' &&
  typeof v['host'] === 'string' &&
  isPort(v['port']) &&
  isInt(v['electedAt']);

/** Parses a stored record, throwing with the key named when it is not what `check` expects. */
export function parseRecord<T>(key: string, raw: string | Buffer, check: Check<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch (err) {
    throw new Error(`etcd key ${key} holds invalid JSON`, { cause: err });
  }
  if (!check(value))
    throw new Error(`etcd key ${key} holds an unexpected record: ${raw.toString().slice(0, 200)}`);
  return value;
}

export const serializeRecord = (value: object): string => JSON.stringify(value);

/** `topics/<name>`: a topic's identity, replica assignment and config overrides. */
export interface TopicRecord {
  version: 1;
  name: string;
  /** UUID given at creation; a re-created topic of the same name gets a new one. */
  topicId: string;
  /** Replica broker ids per partition, index = partition number; the first is the preferred leader. */
  replicas: number[][];
  /** Topic-level config overrides (Kafka names, e.g. `retention.ms`), as strings. */
  configs: Record<string, string>;
  createdAt: number;
  /** Set while a deletion is in progress: brokers delete the data, then the controller deletes the keys. */
  deleting?: boolean;
  /**
   * Set while the topic's partition keys are written in more than one txn (more than fit in one):
   * a controller that finds it (or any partition of `replicas` without a key) writes the missing
   * partition keys and clears it. Docs: docs/controller.md.
   */
  creating?: boolean;
}

/** `partitions/<topic>/<p>`: leadership and in-sync replicas, fenced by mod revision. */
export interface PartitionState {
  version: 1;
  /** Leader broker id, or -1 while the partition is offline. */
  leader: number;
  /** Increases with every leader change; stamped on batches and checked by followers. */
  leaderEpoch: number;
  /** In-sync replica ids (the leader included). */
  isr: number[];
  /** The controller epoch that last wrote this state (0 when the leader shrank/expanded the ISR). */
  controllerEpoch: number;
  /** Increases with every write of this record (leader or ISR change), like Kafka's partition epoch. */
  partitionEpoch: number;
  /**
   * Set while the partition is being reassigned (Kafka KIP-455): the topic record's replicas are
   * then the union of the target and the original replicas, target first. Every writer of this
   * record carries it over unchanged; only the controller starts, completes or cancels it.
   * Docs: docs/reassignment.md.
   */
  reassignment?: PartitionReassignment;
}

/** An in-flight reassignment of one partition (KIP-455's adding/removing replicas). */
export interface PartitionReassignment {
  /** Replicas being added: in the target, not in the original set. They catch up, then join the ISR. */
  adding: number[];
  /** Replicas being removed: in the original set, not in the target. Dropped once the target is in sync. */
  removing: number[];
  /** The replica list before the move, in its order (what a cancellation restores). */
  original: number[];
  /**
   * Replication throttle for the adding replicas, in bytes/s (0 = none): each leader sends at most
   * this much per second to the adding replicas of the partitions it leads under one throttle.
   */
  throttleBytesPerSec: number;
  /** When the controller started it (ms since the epoch). */
  startedAt: number;
}

const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

export const isTopicRecord: Check<TopicRecord> = (v): v is TopicRecord =>
  isObject(v) &&
  v['version'] === 1 &&
  typeof v['name'] === 'string' &&
  typeof v['topicId'] === 'string' &&
  Array.isArray(v['replicas']) &&
  v['replicas'].every(isIntArray) &&
  isObject(v['configs']) &&
  Object.values(v['configs']).every((c) => typeof c === 'string') &&
  isInt(v['createdAt']) &&
  (v['deleting'] === undefined || typeof v['deleting'] === 'boolean') &&
  (v['creating'] === undefined || typeof v['creating'] === 'boolean');

const isPartitionReassignment = (v: unknown): v is PartitionReassignment =>
  isObject(v) &&
  isIntArray(v['adding']) &&
  isIntArray(v['removing']) &&
  isIntArray(v['original']) &&
  isInt(v['throttleBytesPerSec']) &&
  v['throttleBytesPerSec'] >= 0 &&
  isInt(v['startedAt']);

export const isPartitionState: Check<PartitionState> = (v): v is PartitionState =>
  isObject(v) &&
  v['version'] === 1 &&
  isInt(v['leader']) &&
  isInt(v['leaderEpoch']) &&
  isIntArray(v['isr']) &&
  isInt(v['controllerEpoch']) &&
  isInt(v['partitionEpoch']) &&
  (v['reassignment'] === undefined || isPartitionReassignment(v['reassignment']));

/** `producer-ids/next-block`: the first producer id of the next block a controller may take. */
export interface ProducerIdBlock {
  version: 1;
  nextBlockStart: number;
}

/** `producer-ids/transactional/<id>`: the producer id and latest epoch bound to a transactional id. */
export interface TransactionalProducer {
  version: 1;
  producerId: number;
  producerEpoch: number;
}

/** `deletions/<topic>/<broker>`: the broker has deleted its data of the topic with this id. */
export interface TopicDeletionAck {
  version: 1;
  topicId: string;
  brokerId: number;
  deletedAt: number;
}

export const isProducerIdBlock: Check<ProducerIdBlock> = (v): v is ProducerIdBlock =>
  isObject(v) && v['version'] === 1 && isInt(v['nextBlockStart']) && v['nextBlockStart'] >= 0;

export const isTransactionalProducer: Check<TransactionalProducer> = (v): v is TransactionalProducer =>
  isObject(v) &&
  v['version'] === 1 &&
  isInt(v['producerId']) &&
  v['producerId'] >= 0 &&
  isInt(v['producerEpoch']) &&
  v['producerEpoch'] >= 0;

export const isTopicDeletionAck: Check<TopicDeletionAck> = (v): v is TopicDeletionAck =>
  isObject(v) &&
  v['version'] === 1 &&
  typeof v['topicId'] === 'string' &&
  isInt(v['brokerId']) &&
  isInt(v['deletedAt']);
