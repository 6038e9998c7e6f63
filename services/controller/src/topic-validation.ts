/**
 * Validation of admin input, before anything is written: a request that fails here leaves etcd
 * untouched. Every check throws a TributaryError whose code is the per-topic error of the proto.
 */
import { InvalidConfigError, TributaryError } from '@tributary/errors';
import { topicNameProblem } from '@tributary/registry';
import { parseTopicConfig, type TopicConfig } from '@tributary/topic-config';

/**
 * More partitions than this in one topic is a typo, not a plan: each is an etcd key (written in
 * txns of 126), a directory and open files on every replica, and a line in every Metadata answer.
 * 100,000 at RF=3 would be 300,000 logs on a handful of brokers (issue 12: refused, nothing
 * written). Kafka's guidance is a few thousand partitions per broker.
 */
export const MAX_PARTITIONS = 10_000;

export { topicNameProblem };

/** Throws INVALID_TOPIC if `name` is not a legal topic name. */
export function checkTopicName(name: string): void {
  const problem = topicNameProblem(name);
  if (problem !== undefined) throw new TributaryError('INVALID_TOPIC', problem);
}

/** Parses and validates a topic config map; throws INVALID_CONFIG naming the key. */
export function checkTopicConfigs(configs: Readonly<Record<string, string>>): TopicConfig {
  try {
    return parseTopicConfig(configs);
  } catch (err) {
    if (err instanceof InvalidConfigError) throw err;
    throw new TributaryError('INVALID_CONFIG', (err as Error).message, { cause: err });
  }
}

/** Whether the topic allows unclean leader election; a config that no longer parses counts as no. */
export function uncleanAllowed(configs: Readonly<Record<string, string>>): boolean {
  try {
    return parseTopicConfig(configs).replication.uncleanLeaderElection;
  } catch {
    return false;
  }
}

/** Throws INVALID_PARTITIONS unless 1 <= count <= MAX_PARTITIONS. */
export function checkPartitionCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new TributaryError('INVALID_PARTITIONS', `Number of partitions must be at least 1, got ${count}`);
  }
  if (count > MAX_PARTITIONS) {
    throw new TributaryError(
      'INVALID_PARTITIONS',
      `Number of partitions ${count} is over the limit of ${MAX_PARTITIONS} per topic`,
    );
  }
}

/**
 * Checks a manual replica assignment (one entry per partition 0..n-1, distinct live brokers, the
 * same replica count everywhere) and returns it as replicas per partition.
 */
export function checkManualAssignment(
  assignments: readonly { partition: number; brokerIds: readonly number[] }[],
  live: ReadonlySet<number>,
): number[][] {
  const fail = (message: string) => new TributaryError('INVALID_REPLICA_ASSIGNMENT', message);
  checkPartitionCount(assignments.length);
  const byPartition = new Map<number, readonly number[]>();
  for (const a of assignments) {
    if (!Number.isSafeInteger(a.partition) || a.partition < 0 || a.partition >= assignments.length) {
      throw fail(
        `Partition ${a.partition} is out of range: assignments must cover 0..${assignments.length - 1}`,
      );
    }
    if (byPartition.has(a.partition)) throw fail(`Partition ${a.partition} is assigned twice`);
    if (a.brokerIds.length === 0) throw fail(`Partition ${a.partition} has no replicas`);
    if (new Set(a.brokerIds).size !== a.brokerIds.length) {
      throw fail(`Partition ${a.partition} lists a broker twice: [${a.brokerIds}]`);
    }
    const unknown = a.brokerIds.filter((b) => !live.has(b));
    if (unknown.length > 0) {
      throw fail(`Partition ${a.partition} names brokers that are not live: ${unknown.join(', ')}`);
    }
    byPartition.set(a.partition, a.brokerIds);
  }
  const replicas = [...byPartition].sort(([a], [b]) => a - b).map(([, ids]) => [...ids]);
  const rf = replicas[0]!.length;
  const uneven = replicas.findIndex((r) => r.length !== rf);
  if (uneven >= 0) {
    throw fail(`Partition ${uneven} has ${replicas[uneven]!.length} replicas, partition 0 has ${rf}`);
  }
  return replicas;
}
