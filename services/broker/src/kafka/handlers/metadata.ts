/**
 * Metadata over Kafka: the same answer as BrokerService.Metadata (describeMetadata, from the
 * etcd-fed cache), with brokers at their Kafka listener addresses. Brokers without a Kafka
 * listener are left out. The controller id is the answering broker: every broker proxies
 * administrative requests to the active controller, so any of them serves as Kafka's controller.
 * Topics are never created by asking (allowAutoTopicCreation is ignored).
 */
import { kafkaErrorCode } from '@tributary/errors';
import type { ClusterMetadata } from '../../cluster';
import { describeMetadata } from '../../handlers/metadata';
import type { Message } from '../protocol/schema';
import type { KafkaHandler } from '../served-api';
import { kafkaBrokers } from './kafka-brokers';

export interface MetadataDeps {
  readonly metadata: ClusterMetadata;
  readonly clusterId: string;
  readonly brokerId: number;
}

export function metadataHandler(deps: MetadataDeps): KafkaHandler {
  return (body): Message => {
    const requested = body['topics'] as { name: string | null }[] | null;
    const names = requested === null ? [] : requested.map((t) => t.name ?? '');
    const described =
      requested !== null && requested.length === 0
        ? { topics: [] }
        : describeMetadata(deps.metadata, deps.clusterId, names);
    return {
      throttleTimeMs: 0,
      brokers: kafkaBrokers(deps.metadata),
      clusterId: deps.clusterId,
      controllerId: deps.brokerId,
      topics: (described.topics ?? []).map((t) => ({
        errorCode: kafkaErrorCode(Number(t.errorCode ?? 0)),
        name: t.name ?? '',
        topicId: t.topicId || undefined,
        isInternal: false,
        partitions: (t.partitions ?? []).map((p) => ({
          errorCode: kafkaErrorCode(Number(p.errorCode ?? 0)),
          partitionIndex: p.partition ?? 0,
          leaderId: p.leaderId ?? -1,
          leaderEpoch: Number(p.leaderEpoch ?? -1),
          replicaNodes: p.replicas ?? [],
          isrNodes: p.isr ?? [],
          offlineReplicas: p.offlineReplicas ?? [],
        })),
      })),
    };
  };
}
