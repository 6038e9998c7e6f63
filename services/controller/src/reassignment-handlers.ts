/**
 * AlterPartitionReassignments and ListPartitionReassignments (KIP-455): proto in, Reassignments
 * on the ActiveController's queue, proto out. A bad item (unknown partition, bad target) gets its
 * own error code and message and changes nothing; the others go ahead.
 */
import { ErrorCode, TributaryError } from '@tributary/errors';
import {
  type AlterPartitionReassignmentsRequest__Output,
  type AlterPartitionReassignmentsResponse,
  int64ToNumber,
  type ListPartitionReassignmentsRequest__Output,
  type ListPartitionReassignmentsResponse,
} from '@tributary/proto';
import type { ActiveController } from './active-controller';
import { protoCode } from './admin-handlers';
import { byTopic } from './by-topic';
import type { ReassignmentRequest } from './reassignments';

export async function alterPartitionReassignments(
  controller: ActiveController,
  request: AlterPartitionReassignmentsRequest__Output,
): Promise<AlterPartitionReassignmentsResponse> {
  const throttle = int64ToNumber(request.throttleBytesPerSec, 'throttle_bytes_per_sec');
  if (throttle < 0) throw new TributaryError('INVALID_REQUEST', 'throttle_bytes_per_sec must be >= 0');
  const items: ReassignmentRequest[] = request.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      target: p.cancel ? ('cancel' as const) : [...p.replicas],
    })),
  );
  const errors = await controller.mutate(() => controller.reassignments.alter(items, throttle));
  let i = 0;
  return {
    topics: request.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        const err = errors[i++];
        return {
          partition: p.partition,
          errorCode: protoCode(err?.code ?? ErrorCode.NONE),
          errorMessage: err?.message ?? '',
        };
      }),
    })),
  };
}

export async function listPartitionReassignments(
  controller: ActiveController,
  request: ListPartitionReassignmentsRequest__Output,
): Promise<ListPartitionReassignmentsResponse> {
  await controller.ready();
  const filter =
    request.topics.length === 0
      ? undefined
      : new Map(
          request.topics.map((t) => [t.topic, t.partitions.length > 0 ? new Set(t.partitions) : undefined]),
        );
  return {
    topics: [...byTopic(controller.reassignments.list(filter), (r) => r.topic)].map(([topic, rs]) => ({
      topic,
      partitions: rs.map((r) => ({
        partition: r.partition,
        replicas: [...r.replicas],
        addingReplicas: [...r.adding],
        removingReplicas: [...r.removing],
        isr: [...r.isr],
        leaderId: r.leader,
        throttleBytesPerSec: r.throttleBytesPerSec,
      })),
    })),
  };
}
