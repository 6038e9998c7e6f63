// The franz-go side of bench:kafka-listener: bench/go/kafka-perf, a producer and consumer on
// franz-go (Kafka's fastest pure-Go client), built by `go build` into .tools/bin. Kafka's Java
// tools spend 3-5 CPU s per million records of their own and on two cores take them from the
// brokers; this client spends much less, so its figure is the broker's.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from './proc-usage.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = path.join(ROOT, 'bench', 'go', 'kafka-perf');
const BINARY = path.join(ROOT, '.tools', 'bin', 'kafka-perf');

/** Builds bench/go/kafka-perf (Go's build cache makes a rebuild of unchanged code quick). */
export function buildFranzPerf() {
  const build = spawnSync('go', ['build', '-o', BINARY, '.'], { cwd: SOURCE, encoding: 'utf8' });
  if (build.error?.code === 'ENOENT')
    throw new Error(
      'bench:kafka-listener needs Go 1.26 for its franz-go client: export PATH=$PATH:/usr/local/go/bin',
    );
  if (build.status !== 0) throw new Error(`go build bench/go/kafka-perf failed: ${build.stderr}`);
}

/** The program's JSON line and the whole process's CPU seconds (start-up and connecting included). */
async function franzPerf(args) {
  const run = await runMeasured(BINARY, args, { cwd: ROOT });
  return { ...JSON.parse(run.stdout), processCpuSeconds: run.cpuSeconds };
}

/**
 * Produces `records` records of `recordSize` bytes to partition 0 of `topic` with the settings the
 * Java tool runs with in this bench: the acks given, linger 5 ms, 64 KiB batches, no compression,
 * 5 requests in flight, and idempotence as the Java producer has it (on only for acks=all: an
 * explicit acks=1 turns its default off).
 */
export const franzProduce = ({ bootstrap, topic, records, recordSize, acks }) =>
  franzPerf([
    ...['-mode', 'produce', '-brokers', bootstrap, '-topic', topic],
    ...['-records', String(records), '-record-size', String(recordSize), '-acks', acks],
    ...['-linger', '5ms', '-batch-bytes', '65536', `-idempotent=${acks === 'all'}`],
  ]);

/** Reads `records` records of partition 0 of `topic` from the beginning, the Java consumer's fetch settings. */
export const franzConsume = ({ bootstrap, topic, records }) =>
  franzPerf(['-mode', 'consume', '-brokers', bootstrap, '-topic', topic, '-records', String(records)]);
