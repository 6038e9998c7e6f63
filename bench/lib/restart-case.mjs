// The restart case of bench:scale (issue 13), also run alone by bench/restart.mjs: fill an RF=1
// topic of 6 partitions on broker 0 with `bytes` of log, then kill -9 that broker and time its
// restart — until gRPC health says SERVING, and until it answers ListOffsets for every partition
// — `restarts` times over the same log. The broker's own start-up log lines (phase timings,
// storage report) are kept beside each figure, so a slow restart says where its time went.
import { createRequire } from 'node:module';
import { progress } from './report.mjs';
import { call } from './rpc.mjs';

const require = createRequire(import.meta.url);
const { waitFor } = require('../../packages/test-kit/dist/index.js');

const TOPIC = 'scale-restart';
const PARTITIONS = 6;
const round = (n) => Math.round(n);

/** Whether `address` shows a leader for every partition of `topic`. */
async function leadersShown(address, topic, partitions) {
  const md = await call('BrokerService', address, 'metadata', { topics: [topic] }, 5000);
  const t = md.topics.find((x) => x.name === topic);
  return t !== undefined && t.partitions.length === partitions && t.partitions.every((p) => p.leaderId >= 0);
}

/** Creates the topic on broker 0 and writes `bytes` of 1 KB records into it through the client. */
export async function fillRestartTopic(cluster, t, bytes, createTopics) {
  await createTopics({
    topics: [
      {
        name: TOPIC,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
        assignments: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, brokerIds: [0] })),
      },
    ],
    timeoutMs: 30_000,
  });
  await waitFor(() => leadersShown(cluster.brokers[0].address, TOPIC, PARTITIONS).catch(() => false), {
    timeoutMs: 60_000,
    description: 'restart topic',
  });
  // Idempotent (the client's default): the producer state to rebuild on restart is real.
  const producer = t.producer({ acks: 1, lingerMs: 5, batchSize: 1 << 20, maxRequestSize: 8 << 20 });
  await producer.connect();
  const value = Buffer.alloc(1000, 99);
  const chunk = Array.from({ length: 1000 }, () => ({ value }));
  let written = 0;
  const outstanding = new Set();
  const bar = progress(Math.ceil(bytes / 2 ** 20), 'MiB');
  while (written < bytes) {
    const p = producer
      .send({ topic: TOPIC, messages: chunk })
      .catch(() => undefined)
      .finally(() => outstanding.delete(p));
    outstanding.add(p);
    written += chunk.length * (value.length + 20);
    bar.update(Math.floor(written / 2 ** 20), 'writing the restart log');
    if (outstanding.size >= 16) await Promise.race(outstanding);
  }
  await Promise.all(outstanding);
  bar.stop();
  await producer.disconnect();
  return written;
}

/** One kill -9 and restart of broker 0: ms to SERVING and to answering for every partition. */
export async function restartOnce(cluster) {
  const node = cluster.brokers[0];
  node.signal('SIGKILL');
  await node.process.waitForExit();
  const t0 = performance.now();
  const proc = node.start();
  const lines = [];
  proc.onLine?.((line) => {
    if (/logs opened|started|registered|lease|producer state/.test(line)) lines.push(line);
  });
  await node.waitServing(600_000);
  const servingMs = round(performance.now() - t0);
  await waitFor(
    async () => {
      const r = await call('BrokerService', node.address, 'listOffsets', {
        topics: [
          {
            topic: TOPIC,
            partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, spec: 2 })),
          },
        ],
      }).catch(() => undefined);
      return r?.topics[0]?.partitions.every((p) => (p.errorCode ?? 0) === 0 && Number(p.offset) > 0);
    },
    { timeoutMs: 600_000, intervalMs: 50, description: 'restarted broker answering for its partitions' },
  );
  const leadingMs = round(performance.now() - t0);
  return { servingMs, leadingMs, startupLog: lines };
}

/**
 * The whole case: fill, then `restarts` kill -9 + restart rounds. Figures of the first round
 * (a log just written: the kernel still holds much of it in its page cache) and the median.
 */
export async function restartCase(cluster, t, bytes, createTopics, restarts = 1) {
  const logBytes = await fillRestartTopic(cluster, t, bytes, createTopics);
  const rounds = [];
  for (let i = 0; i < restarts; i++) rounds.push(await restartOnce(cluster));
  const median = (key) => rounds.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
  return {
    logBytes,
    servingMs: median('servingMs'),
    leadingMs: median('leadingMs'),
    rounds: rounds.map(({ servingMs, leadingMs }) => ({ servingMs, leadingMs })),
    startupLog: rounds.at(-1)?.startupLog ?? [],
  };
}
