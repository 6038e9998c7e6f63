// The command line and output both end-to-end programs share (bench/java/EndToEndAtRate.java and
// bench/lib/e2e-at-rate.mjs): one place builds the arguments in their order and reads the result.

/** `BOOTSTRAP TOPIC RECORDS RECORD_SIZE RATE ACKS WARMUP`, as both programs take them. */
export const e2eArgs = ({ bootstrap, topic, records, recordSize, rate, acks, warmup }) => [
  bootstrap,
  topic,
  String(records),
  String(recordSize),
  String(rate),
  acks,
  String(warmup),
];

/** The JSON line a program printed last, with the run's CPU and memory (proc-usage.mjs). */
export function e2eResult(run) {
  const json = run.stdout.trim().split('\n').pop();
  return { ...JSON.parse(json), cpuSeconds: run.cpuSeconds, peakRssBytes: run.peakRssBytes };
}
