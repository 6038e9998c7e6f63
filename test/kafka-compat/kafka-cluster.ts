/**
 * A Tributary cluster whose brokers also listen on Kafka's protocol, for the kafka-compat suite:
 * real etcd, controller, three brokers and a group coordinator, plus a Tributary client for the
 * gRPC side of each check.
 */
import { Tributary } from '@tributary/client';
import { LocalCluster } from '@tributary/test-kit';

let counter = 0;
/** A name no other test of this run uses. */
export const unique = (prefix: string): string =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

export interface KafkaCompatCluster {
  readonly cluster: LocalCluster;
  /** Tributary's own client (gRPC). */
  readonly tributary: Tributary;
  /** `host:port` of every broker's Kafka listener. */
  readonly kafkaBootstrap: string[];
  createTopic(name: string, partitions: number, replicationFactor?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startKafkaCompatCluster(
  brokers = 3,
  options: { leaseTtlSeconds?: number } = {},
): Promise<KafkaCompatCluster> {
  const cluster = await LocalCluster.start({
    brokers,
    controllers: 1,
    coordinators: 1,
    kafka: true,
    metrics: true,
    leaseTtlSeconds: options.leaseTtlSeconds,
  });
  const tributary = new Tributary({ bootstrap: cluster.bootstrap, clientId: 'kafka-compat' });
  return {
    cluster,
    tributary,
    kafkaBootstrap: cluster.kafkaBootstrap,
    async createTopic(name, partitions, replicationFactor = 1) {
      await tributary.admin().createTopics([{ name, numPartitions: partitions, replicationFactor }]);
    },
    async stop() {
      await tributary.close();
      await cluster.stop();
    },
  };
}

/**
 * Starts a cluster before the suite's tests and stops it after; returns a getter for it (valid
 * inside tests).
 */
export function useKafkaCompatCluster(brokers = 3): () => KafkaCompatCluster {
  let c: KafkaCompatCluster | undefined;
  beforeAll(async () => {
    c = await startKafkaCompatCluster(brokers);
  });
  afterAll(async () => {
    await c?.stop();
  });
  return () => {
    if (c === undefined) throw new Error('the kafka-compat cluster is not started');
    return c;
  };
}
