/**
 * Descriptions of the cluster built from a MetadataView, in the shape of the proto's
 * `PartitionMetadata` and endpoint messages (plain objects; this package does not load the
 * proto). The broker's Metadata and the controller's DescribeCluster/DescribeTopics both answer
 * with these, so clients see one picture whichever they ask.
 */
import { ErrorCode } from '@tributary/errors';
import type { MetadataView } from './metadata-view';

/** `tributary.v1.PartitionMetadata`. */
export interface PartitionDescription {
  errorCode: number;
  errorMessage: string;
  partition: number;
  leaderId: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

/** The live endpoints of the cluster, as `BrokerEndpoint`, `CoordinatorEndpoint`, `ControllerEndpoint`. */
export interface EndpointsDescription {
  controller: { controllerId: number; host: string; port: number } | null;
  /** The active controller's epoch (its key's create revision); -1 while none is active. */
  controllerEpoch: number;
  brokers: { brokerId: number; host: string; port: number; rack: string }[];
  coordinators: { coordinatorId: number; host: string; port: number }[];
}

/**
 * The number in a controller or coordinator id (`controller-1` → 1, a StatefulSet pod
 * `tributary-controller-2` → 2): the proto's endpoint ids are int32, the registry's are names.
 * -1 when the id ends in no number.
 */
export function numericId(id: string): number {
  const match = /(\d+)$/.exec(id);
  const n = match ? Number(match[1]) : -1;
  return Number.isSafeInteger(n) && n <= 2 ** 31 - 1 ? n : -1;
}

/** Live brokers, coordinators and the active controller, each sorted by id. */
export function describeEndpoints(view: MetadataView): EndpointsDescription {
  const controller = view.controller();
  return {
    controller: controller
      ? {
          controllerId: numericId(controller.value.id),
          host: controller.value.host,
          port: controller.value.port,
        }
      : null,
    controllerEpoch: controller?.createRevision ?? -1,
    brokers: [...view.brokers().values()]
      .sort((a, b) => a.id - b.id)
      .map((b) => ({ brokerId: b.id, host: b.host, port: b.port, rack: b.rack ?? '' })),
    coordinators: [...view.coordinators().values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((c) => ({ coordinatorId: numericId(c.id), host: c.host, port: c.port })),
  };
}

/**
 * The partitions of a topic, ordered by number, or undefined if the topic does not exist or is
 * being deleted. A partition without state yet (topic still being created) or without a live
 * leader reports LEADER_NOT_AVAILABLE.
 */
export function describePartitions(view: MetadataView, topic: string): PartitionDescription[] | undefined {
  const record = view.topic(topic)?.value;
  if (!record || record.deleting) return undefined;
  const live = view.brokers();
  return record.replicas.map((replicas, partition) => {
    const state = view.partition(topic, partition)?.value;
    const leaderId = state?.leader ?? -1;
    const led = leaderId >= 0 && live.has(leaderId);
    return {
      errorCode: led ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
      errorMessage: led
        ? ''
        : state === undefined
          ? `Partition ${topic}-${partition} is being created`
          : `Partition ${topic}-${partition} has no live leader`,
      partition,
      leaderId: led ? leaderId : -1,
      leaderEpoch: state?.leaderEpoch ?? -1,
      replicas: [...replicas],
      isr: [...(state?.isr ?? [])],
      offlineReplicas: replicas.filter((b) => !live.has(b)),
    };
  });
}
