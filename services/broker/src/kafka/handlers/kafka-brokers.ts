/** Live brokers at their advertised Kafka listener addresses (from their etcd registrations). */
import type { ClusterMetadata } from '../../cluster';

export interface KafkaBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export function kafkaBrokers(metadata: ClusterMetadata): KafkaBroker[] {
  return [...metadata.brokers().values()]
    .filter((b) => b.kafka !== undefined)
    .sort((a, b) => a.id - b.id)
    .map((b) => ({ nodeId: b.id, host: b.kafka!.host, port: b.kafka!.port, rack: b.rack }));
}
