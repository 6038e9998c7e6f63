/** DescribeCluster over Kafka: brokers at their Kafka listeners, from the metadata cache. */
import type { ClusterMetadata } from '../../cluster';
import type { KafkaHandler } from '../served-api';
import { kafkaBrokers } from './kafka-brokers';

export function describeClusterHandler(
  metadata: ClusterMetadata,
  clusterId: string,
  brokerId: number,
): KafkaHandler {
  return () => ({
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    endpointType: 1,
    clusterId,
    // Every broker proxies administrative requests, so the answering one stands in as controller.
    controllerId: brokerId,
    brokers: kafkaBrokers(metadata).map((b) => ({
      brokerId: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack,
    })),
  });
}
