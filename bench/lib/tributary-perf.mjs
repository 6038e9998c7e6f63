// Tributary's side of bench:vs-kafka: its command line (`tributary topics create`,
// `tributary perf produce`, `tributary perf consume --json`), each run under GNU time for its CPU
// and memory, and bench/lib/e2e-at-rate.mjs, the same end-to-end measurement the Java program
// makes for Kafka.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2eArgs, e2eResult } from './e2e-protocol.mjs';
import { runMeasured } from './proc-usage.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '..', '..', 'clients', 'ts', 'bin', 'tributary.js');
const E2E = path.join(here, 'e2e-at-rate.mjs');

/** Tributary's CLI against `bootstrap` (comma-separated `host:port`s). */
export function tributaryTools({ bootstrap, nodeArgs = [] }) {
  const cli = (args) => runMeasured(process.execPath, [...nodeArgs, CLI, ...args, '--bootstrap', bootstrap]);
  return {
    name: 'Tributary',
    async createTopic(topic, partitions, replicationFactor) {
      await cli([
        'topics',
        'create',
        topic,
        '--partitions',
        String(partitions),
        '--replication-factor',
        String(replicationFactor),
      ]);
    },
    async produce({ topic, records, recordSize, acks }) {
      const run = await cli([
        'perf',
        'produce',
        topic,
        '--num-records',
        String(records),
        '--record-size',
        String(recordSize),
        '--throughput',
        '-1',
        '--acks',
        acks,
        '--json',
      ]);
      const r = JSON.parse(run.stdout);
      return {
        records: r.records,
        recordsPerSec: r.recordsPerSec,
        sendLatencyMs: { p50: r.latencyMs.p50, p99: r.latencyMs.p99 },
        cpuSeconds: run.cpuSeconds,
        peakRssBytes: run.peakRssBytes,
      };
    },
    async consume({ topic, records }) {
      const run = await cli(['perf', 'consume', topic, '--messages', String(records), '--json']);
      const r = JSON.parse(run.stdout);
      return {
        records: r.records,
        recordsPerSec: r.recordsPerSec,
        cpuSeconds: run.cpuSeconds,
        peakRssBytes: run.peakRssBytes,
      };
    },
    async endToEnd(options) {
      return e2eResult(
        await runMeasured(process.execPath, [...nodeArgs, E2E, ...e2eArgs({ bootstrap, ...options })]),
      );
    },
  };
}
