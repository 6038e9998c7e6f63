/**
 * The broker's metrics, named here once. Partition-state gauges are computed at scrape time from
 * the replicas this broker holds, counted only where it leads (as Kafka's ReplicaManager does), so
 * summing over brokers counts every partition once.
 */
import { statfsSync } from 'node:fs';
import { LATENCY_BUCKETS } from '@tributary/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the scrape-time gauges read: the partitions this broker holds. */
export interface PartitionStates {
  all(): readonly {
    readonly isLeader: boolean;
    readonly replicas: readonly number[];
    readonly isr: readonly number[];
    readonly minInsyncReplicas: number;
  }[];
}

export function createBrokerMetrics(registry: Registry, partitions: PartitionStates, dataDir: string) {
  const disk = () => {
    const s = statfsSync(dataDir);
    return { free: s.bavail * s.bsize, capacity: s.blocks * s.bsize };
  };
  const registers = [registry];
  const led = () => partitions.all().filter((p) => p.isLeader);
  return {
    produceRequests: new Counter({
      name: 'tributary_broker_produce_requests_total',
      help: 'Produce requests handled (unary Produce, each request on a ProduceStream, Kafka Produce), by acks.',
      labelNames: ['acks'] as const,
      registers,
    }),
    produceDuration: new Histogram({
      name: 'tributary_broker_produce_request_duration_seconds',
      help: 'Time from receiving a produce request to its answer, acks=all replication wait included.',
      labelNames: ['acks'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    fetchResponses: new Counter({
      name: 'tributary_broker_fetch_responses_total',
      help: 'Fetch responses sent to consumers (kind: unary Fetch, each FetchStream response, Kafka Fetch).',
      labelNames: ['kind'] as const,
      registers,
    }),
    fetchDuration: new Histogram({
      name: 'tributary_broker_fetch_request_duration_seconds',
      help: 'Time to answer a unary Fetch, long-poll wait included.',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    kafkaRequestDuration: new Histogram({
      name: 'tributary_broker_kafka_request_duration_seconds',
      help:
        'Kafka listener: time from a request read whole to its response written to the socket ' +
        '(a Fetch long poll included), by API: the broker’s share of a Kafka client’s round trip.',
      labelNames: ['api'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    kafkaResponseBytes: new Counter({
      name: 'tributary_broker_kafka_response_bytes_total',
      help: 'Kafka listener: response bytes written, frames included, by API.',
      labelNames: ['api'] as const,
      registers,
    }),
    bytesIn: new Counter({
      name: 'tributary_broker_topic_bytes_in_total',
      help: 'Record batch bytes appended by producers, per topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
    bytesOut: new Counter({
      name: 'tributary_broker_topic_bytes_out_total',
      help: 'Record batch bytes sent to consumers, per topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
    isrShrinks: new Counter({
      name: 'tributary_broker_isr_shrinks_total',
      help: 'ISR shrinks this broker wrote as leader (a follower fell behind).',
      registers,
    }),
    isrExpands: new Counter({
      name: 'tributary_broker_isr_expands_total',
      help: 'ISR expansions this broker wrote as leader (a follower caught up).',
      registers,
    }),
    underReplicated: new Gauge({
      name: 'tributary_broker_under_replicated_partitions',
      help: 'Partitions this broker leads whose ISR is smaller than their replica set.',
      registers,
      collect() {
        this.set(led().filter((p) => p.isr.length < p.replicas.length).length);
      },
    }),
    underMinIsr: new Gauge({
      name: 'tributary_broker_under_min_isr_partitions',
      help: 'Partitions this broker leads whose ISR is below min.insync.replicas (acks=all fails).',
      registers,
      collect() {
        this.set(led().filter((p) => p.isr.length < p.minInsyncReplicas).length);
      },
    }),
    leaders: new Gauge({
      name: 'tributary_broker_leader_partitions',
      help: 'Partitions this broker leads.',
      registers,
      collect() {
        this.set(led().length);
      },
    }),
    logDirFree: new Gauge({
      name: 'tributary_broker_log_dir_free_bytes',
      help: 'Bytes available to the broker on the file system of its data.dir.',
      registers,
      collect() {
        this.set(disk().free);
      },
    }),
    logDirCapacity: new Gauge({
      name: 'tributary_broker_log_dir_capacity_bytes',
      help: 'Size of the file system holding the broker’s data.dir.',
      registers,
      collect() {
        this.set(disk().capacity);
      },
    }),
    replicas: new Gauge({
      name: 'tributary_broker_partitions',
      help: 'Partition replicas this broker holds (leader or follower).',
      registers,
      collect() {
        this.set(partitions.all().length);
      },
    }),
  };
}

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;
