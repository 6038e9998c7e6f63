/**
 * Partition reassignment (Kafka's AlterPartitionReassignments / ListPartitionReassignments,
 * KIP-455), at the active controller. Results are per partition: a bad partition (unknown topic,
 * bad target) gets its own TributaryError and the others go ahead, as the controller applies
 * them.
 */
import { TributaryError } from '@tributary/errors';
import {
  type AlterPartitionReassignmentsResponse__Output,
  int64ToNumber,
  type ListPartitionReassignmentsResponse__Output,
} from '@tributary/proto';
import { itemError } from '../errors';
import type { Cluster } from '../rpc/cluster';
import { promisify } from '../rpc/unary';
import type { OngoingReassignment, ReassignmentChange, ReassignmentOutcome } from './types';

/** Starts, changes or cancels reassignments; one outcome per change, in order. */
export async function alterPartitionReassignments(
  cluster: Cluster,
  changes: readonly ReassignmentChange[],
  throttleBytesPerSec = 0,
): Promise<ReassignmentOutcome[]> {
  if (!Number.isSafeInteger(throttleBytesPerSec) || throttleBytesPerSec < 0) {
    throw new RangeError(`throttleBytesPerSec must be an integer >= 0, got ${throttleBytesPerSec}`);
  }
  // Grouped by topic in first-seen order; each change remembers where its answer will be (the
  // controller answers in request order), so a partition named twice gets both its answers.
  const topics: {
    topic: string;
    partitions: { partition: number; replicas: number[]; cancel: boolean }[];
  }[] = [];
  const where = changes.map((c) => {
    let ti = topics.findIndex((x) => x.topic === c.topic);
    if (ti < 0) ti = topics.push({ topic: c.topic, partitions: [] }) - 1;
    const pi =
      topics[ti]!.partitions.push({
        partition: c.partition,
        replicas: c.replicas === null ? [] : [...c.replicas],
        cancel: c.replicas === null,
      }) - 1;
    return [ti, pi] as const;
  });
  const res = await cluster.controller((c, deadline) =>
    promisify<AlterPartitionReassignmentsResponse__Output>((cb) =>
      c.AlterPartitionReassignments(
        { topics, throttleBytesPerSec: String(throttleBytesPerSec) },
        { deadline },
        cb,
      ),
    ),
  );
  return changes.map((c, i) => {
    const [ti, pi] = where[i]!;
    const r = res.topics[ti]?.partitions[pi];
    if (r === undefined) {
      throw new TributaryError(
        'UNKNOWN_SERVER_ERROR',
        `The controller gave no answer for ${c.topic}-${c.partition}`,
      );
    }
    const error =
      r.errorCode === 0
        ? undefined
        : itemError(r.errorCode, r.errorMessage, { topic: c.topic, partition: c.partition });
    return { topic: c.topic, partition: c.partition, ...(error ? { error } : {}) };
  });
}

/** The reassignments in progress (of the given topics; every topic's by default). */
export async function listPartitionReassignments(
  cluster: Cluster,
  topics: readonly string[] = [],
): Promise<OngoingReassignment[]> {
  const res = await cluster.controller((c, deadline) =>
    promisify<ListPartitionReassignmentsResponse__Output>((cb) =>
      c.ListPartitionReassignments(
        { topics: topics.map((topic) => ({ topic, partitions: [] })) },
        { deadline },
        cb,
      ),
    ),
  );
  return res.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      replicas: [...p.replicas],
      adding: [...p.addingReplicas],
      removing: [...p.removingReplicas],
      isr: [...p.isr],
      leader: p.leaderId,
      throttleBytesPerSec: int64ToNumber(p.throttleBytesPerSec, 'throttle_bytes_per_sec'),
    })),
  );
}
