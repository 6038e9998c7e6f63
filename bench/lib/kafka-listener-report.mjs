// bench:kafka-listener's tables: records/s and the ratios per case, the brokers' and clients' CPU
// per record, what the Java producer did against each broker, and where a Kafka fetch's round
// trip goes.
import { table } from './report.mjs';

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const fixed = (n) => (n === undefined ? '-' : n.toFixed(2));

/** Prints every table of a run's cases; `apache` adds the Apache Kafka columns. */
export function printKafkaListenerReport(cases, { apache }) {
  console.log(
    table(
      [
        'case',
        'Kafka client via listener rec/s',
        'tributary perf via gRPC rec/s',
        'listener/gRPC',
        'per pair',
        ...(apache ? ['Kafka client vs Apache Kafka rec/s'] : []),
      ],
      cases.map((c) => [
        c.name,
        fmt(c.recordsPerSec),
        fmt(c.baseline.recordsPerSec),
        c.ratio.toFixed(2),
        c.pairRatios.map((r) => r.toFixed(2)).join(' '),
        ...(apache ? [c.apacheKafka ? fmt(c.apacheKafka.recordsPerSec) : '-'] : []),
      ]),
    ),
  );
  console.log(
    table(
      [
        'case',
        'broker CPU s/M records, listener',
        'broker CPU s/M records, gRPC',
        'gRPC/listener',
        'per pair',
        'client CPU s/M records, Kafka client',
        'client CPU s/M records, tributary perf',
        ...(apache ? ['broker CPU s/M, Apache Kafka', 'client CPU s/M vs Apache Kafka'] : []),
      ],
      cases.map((c) => [
        c.name,
        c.brokerCpuSecondsPerMillionRecords.toFixed(2),
        c.baseline.brokerCpuSecondsPerMillionRecords.toFixed(2),
        c.brokerCpuRatio.toFixed(2),
        c.pairBrokerCpuRatios.map((r) => r.toFixed(2)).join(' '),
        c.clientCpuSecondsPerMillionRecords.toFixed(2),
        c.baseline.clientCpuSecondsPerMillionRecords.toFixed(2),
        ...(apache
          ? [
              fixed(c.apacheKafka?.brokerCpuSecondsPerMillionRecords),
              fixed(c.apacheKafka?.clientCpuSecondsPerMillionRecords),
            ]
          : []),
      ]),
    ),
  );
  const producing = cases.filter((c) => c.producerMetrics !== undefined);
  const sides = (c) => [['listener', c], ...(c.apacheKafka ? [['Apache Kafka', c.apacheKafka]] : [])];
  if (producing.length > 0)
    console.log(
      table(
        [
          'ProducerPerformance against',
          'client CPU s/M (whole process)',
          'batch B avg',
          'records/request (client)',
          'records/request (broker)',
          'requests',
          'request latency ms',
          'retries',
          'errors',
          'throttle ms',
          'connections',
          'Metadata requests (broker)',
        ],
        producing.flatMap((c) =>
          sides(c).map(([who, s]) => [
            `${c.name.split(',')[0]}: ${who}`,
            s.clientProcessCpuSecondsPerMillionRecords.toFixed(2),
            String(s.producerMetrics.batchSizeAvg),
            String(s.producerMetrics.recordsPerRequestAvg),
            String(s.recordsPerProduceRequest ?? '-'),
            String(s.producerMetrics.requests),
            String(s.producerMetrics.requestLatencyAvgMs),
            String(s.producerMetrics.recordRetries),
            String(s.producerMetrics.recordErrors),
            String(s.producerMetrics.produceThrottleTimeAvgMs),
            String(s.producerMetrics.connectionCreations),
            String(s.kafkaMetadataRequests ?? '-'),
          ]),
        ),
      ),
    );
  for (const c of cases.filter((x) => x.kind === 'produce'))
    console.log(
      `${c.name}: ${c.client} ${c.clientProcessCpuSecondsPerMillionRecords.toFixed(2)} CPU s/M records (whole process), ${c.recordsPerProduceRequest} records/request (broker); tributary perf produce (gRPC): ${c.baseline.clientProcessCpuSecondsPerMillionRecords.toFixed(2)}, ${c.baseline.recordsPerProduceRequest}`,
    );
  const roundTrips = cases.filter((c) => c.roundTrip !== undefined);
  if (roundTrips.length > 0)
    console.log(
      table(
        [
          'Kafka consume case',
          'fetches',
          'KiB/fetch',
          'records/fetch',
          'round trip ms/fetch',
          'broker ms/fetch p50',
          'broker CPU ms/fetch',
        ],
        roundTrips.map((c) => [
          c.name,
          String(c.roundTrip.fetches),
          String(Math.round(c.roundTrip.bytesPerFetch / 1024)),
          String(c.roundTrip.recordsPerFetch),
          String(c.roundTrip.roundTripMsPerFetch),
          String(c.roundTrip.brokerMsPerFetchP50),
          String(c.roundTrip.brokerCpuMsPerFetch),
        ]),
      ),
    );
  for (const c of cases.filter((x) => x.apacheKafka?.roundTripMsPerFetch !== undefined))
    console.log(
      `${c.name}, ${c.client} against Apache Kafka: ${c.apacheKafka.clientFetches} fetches, round trip ${c.apacheKafka.roundTripMsPerFetch} ms/fetch`,
    );
}
