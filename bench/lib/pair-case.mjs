// One case of bench:kafka-listener from its interleaved runs: the medians of each side (a Kafka
// client through the listener, `tributary perf` over gRPC, optionally the Kafka client against
// Apache Kafka), the ratio of the medians and the ratio per pair, by records/s and by the brokers'
// CPU per record.

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const round = (n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The figures a consume case gives of its Kafka fetches (medians over the listener's runs). */
const ROUND_TRIP_KEYS = [
  'fetches',
  'bytesPerFetch',
  'recordsPerFetch',
  'roundTripMsPerFetch',
  'brokerMsPerFetchP50',
  'brokerCpuMsPerFetch',
];

/**
 * `runs` per side: `kafka` (the listener), `grpc` (the baseline) and `apache` (may be empty), in
 * pair order; every run has recordsPerSec and clientCpuSeconds, the others what its tool gives.
 */
export function pairCase(
  { name, setup, records, recordSize, baselineName, client },
  { kafka, grpc, apache = [] },
) {
  const medianOf = (runs, key) => round(median(runs.map((r) => r[key])));
  const perMillion = (seconds) => round((seconds * 1_000_000) / records);
  /** The medians of the keys every run of a side has, under the same names. */
  const optional = (runs, keys) =>
    Object.fromEntries(keys.filter((k) => runs[0][k] !== undefined).map((k) => [k, medianOf(runs, k)]));
  const side = (runs) => ({
    recordsPerSec: medianOf(runs, 'recordsPerSec'),
    clientCpuSeconds: medianOf(runs, 'clientCpuSeconds'),
    clientCpuSecondsPerMillionRecords: perMillion(medianOf(runs, 'clientCpuSeconds')),
    ...(runs[0].clientProcessCpuSeconds === undefined
      ? {}
      : { clientProcessCpuSecondsPerMillionRecords: perMillion(medianOf(runs, 'clientProcessCpuSeconds')) }),
    ...(runs[0].producerMetrics === undefined
      ? {}
      : {
          producerMetrics: Object.fromEntries(
            Object.keys(runs[0].producerMetrics).map((k) => [
              k,
              round(median(runs.map((r) => r.producerMetrics[k]))),
            ]),
          ),
        }),
    ...optional(runs, [
      'recordsPerProduceRequest',
      'kafkaMetadataRequests',
      'clientRequests',
      'clientFetches',
      'roundTripMsPerFetch',
    ]),
    ...(runs[0].brokerCpuSeconds === undefined
      ? {}
      : {
          brokerCpuSeconds: medianOf(runs, 'brokerCpuSeconds'),
          brokerCpuSecondsPerMillionRecords: perMillion(medianOf(runs, 'brokerCpuSeconds')),
        }),
    runs,
  });
  const c = {
    name: `${name}, ${recordSize} B, ${records} records`,
    kind: name.split(' ')[0],
    client,
    replicationFactor: setup.rf,
    acks: setup.acks,
    records,
    recordSize,
    ...side(kafka),
    baseline: { name: baselineName, ...side(grpc) },
  };
  if (apache.length > 0)
    c.apacheKafka = {
      name: `${client} against Apache Kafka (its brokers' CPU the same way)`,
      ...side(apache),
    };
  c.ratio = round(c.recordsPerSec / c.baseline.recordsPerSec, 3);
  c.pairRatios = kafka.map((k, i) => round(k.recordsPerSec / grpc[i].recordsPerSec, 3));
  // The listener's own cost beside gRPC's, the clients left out: gRPC's broker CPU per record over
  // the listener's, so that, like `ratio`, 1 is a tie and >= 0.8 meets the goal.
  c.brokerCpuRatio = round(c.baseline.brokerCpuSeconds / c.brokerCpuSeconds, 3);
  c.pairBrokerCpuRatios = kafka.map((k, i) => round(grpc[i].brokerCpuSeconds / k.brokerCpuSeconds, 3));
  if (kafka[0].fetches !== undefined)
    c.roundTrip = Object.fromEntries(ROUND_TRIP_KEYS.map((k) => [k, medianOf(kafka, k)]));
  return c;
}
