/**
 * Helpers of the data-plane and replication suites: topics and leader elections written straight
 * into etcd (the controller's CreateTopics and elections are issue 5's; these suites run without
 * a controller so the test decides every election), and reading a partition back through the
 * client's fetcher.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@tributary/errors';
import type { BrokerServiceClient } from '@tributary/proto';
import {
  connectEtcd,
  type EtcdConnection,
  isPartitionState,
  keys,
  type PartitionState,
  parseRecord,
  serializeRecord,
  type TopicRecord,
} from '@tributary/registry';
import { LocalCluster, type LocalClusterOptions, waitFor } from '@tributary/test-kit';
import { Fetcher } from '../clients/ts/src/consumer/fetcher';
import type { MetadataSource } from '../clients/ts/src/internal/leader-cache';
import { Cluster } from '../clients/ts/src/rpc/cluster';

let topicCounter = 0;

/** A unique topic name. */
export const uniqueTopic = (prefix = 't'): string =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${topicCounter++}`;

/** Creates a topic: record + partition states (leader = first replica, ISR = all replicas, epoch 0). */
export async function createTopic(
  etcd: EtcdConnection,
  name: string,
  replicas: number[][],
  configs: Record<string, string> = {},
): Promise<void> {
  const topic: TopicRecord = {
    version: 1,
    name,
    topicId: randomUUID(),
    replicas,
    configs,
    createdAt: Date.now(),
  };
  await etcd.ns.put(keys.topicKey(name)).value(serializeRecord(topic)).exec();
  for (let p = 0; p < replicas.length; p++) {
    const state: PartitionState = {
      version: 1,
      leader: replicas[p]![0]!,
      leaderEpoch: 0,
      isr: [...replicas[p]!],
      controllerEpoch: 1,
      partitionEpoch: 0,
    };
    await etcd.ns.put(keys.partitionStateKey(name, p)).value(serializeRecord(state)).exec();
  }
}

export async function readState(
  etcd: EtcdConnection,
  topic: string,
  partition: number,
): Promise<PartitionState> {
  const key = keys.partitionStateKey(topic, partition);
  const raw = await etcd.ns.get(key).string();
  if (raw === null) throw new Error(`no state at ${key}`);
  return parseRecord(key, raw, isPartitionState);
}

/** Elects `leader` at epoch + 1 with the given ISR, as the controller would (guarded txn). */
export async function electLeader(
  etcd: EtcdConnection,
  topic: string,
  partition: number,
  leader: number,
  isr: number[],
): Promise<PartitionState> {
  const key = keys.partitionStateKey(topic, partition);
  for (;;) {
    const res = await etcd.ns.get(key).exec();
    const kv = res.kvs[0]!;
    const current = parseRecord(key, kv.value, isPartitionState);
    const next: PartitionState = {
      ...current,
      leader,
      isr,
      leaderEpoch: current.leaderEpoch + 1,
      partitionEpoch: current.partitionEpoch + 1,
      controllerEpoch: 1,
    };
    const txn = await etcd.ns
      .if(key, 'Mod', '==', kv.mod_revision)
      .then(etcd.ns.put(key).value(serializeRecord(next)))
      .commit();
    if (txn.succeeded) return next;
  }
}

/** Waits until the partition's ISR in etcd satisfies `check`. */
export function waitForIsr(
  etcd: EtcdConnection,
  topic: string,
  partition: number,
  check: (isr: number[]) => boolean,
  timeoutMs: number,
): Promise<PartitionState> {
  return waitFor(
    async () => {
      const s = await readState(etcd, topic, partition);
      return check(s.isr) ? s : undefined;
    },
    { timeoutMs, intervalMs: 50, description: `ISR of ${topic}/${partition}` },
  );
}

/**
 * Waits until the broker behind `client` leads every one of `partitions` (its ListOffsets answers
 * without an error). A partition state written to etcd is only the broker's instruction: under
 * load it takes the leadership a moment later, and a request sent before that gets
 * NOT_LEADER_OR_FOLLOWER, not what the test is about.
 */
export function waitLeading(
  client: BrokerServiceClient,
  partitions: ReadonlyArray<readonly [topic: string, partition: number]>,
  timeoutMs = 15_000,
): Promise<unknown> {
  const leads = (topic: string, partition: number) =>
    new Promise<boolean>((resolve) =>
      client.listOffsets({ topics: [{ topic, partitions: [{ partition, spec: 2 }] }] }, (err, res) =>
        resolve(!err && res!.topics[0]?.partitions[0]?.errorCode === ErrorCode.NONE),
      ),
    );
  return waitFor(async () => (await Promise.all(partitions.map(([t, p]) => leads(t, p)))).every(Boolean), {
    timeoutMs,
    intervalMs: 50,
    description: `the broker to lead ${partitions.map(([t, p]) => `${t}/${p}`).join(', ')}`,
  });
}

/** A metadata source over the bootstrap brokers (the client's Cluster). */
export function metadataSource(bootstrap: readonly string[]): { source: MetadataSource; close(): void } {
  const cluster = new Cluster({
    bootstrap,
    requestTimeoutMs: 5000,
    retry: { retries: 5, initialRetryTimeMs: 50, maxRetryTimeMs: 500 },
  });
  return { source: (topics) => cluster.metadata(topics), close: () => cluster.close() };
}

export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
}

/** Reads a partition from `from` until `until` offsets (exclusive) through the client's fetcher. */
export async function readPartition(
  bootstrap: readonly string[],
  topic: string,
  partition: number,
  from: number,
  until: number,
  timeoutMs = 20_000,
): Promise<ReadRecord[]> {
  const md = metadataSource(bootstrap);
  const fetcher = new Fetcher({
    metadata: md.source,
    settings: {
      maxWaitMs: 200,
      minBytes: 1,
      maxBytes: 8 << 20,
      partitionMaxBytes: 4 << 20,
      maxPrefetchBytes: 64 << 20,
    },
  });
  const out: ReadRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    fetcher.add([{ topic, partition, offset: from }]);
    let next = from;
    while (next < until) {
      if (Date.now() > deadline)
        throw new Error(`read ${topic}/${partition} reached ${next} of ${until} in ${timeoutMs} ms`);
      const got = await Promise.race([
        fetcher.next(),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 500)),
      ]);
      if (got === undefined) continue;
      if (got.errors.length > 0) throw got.errors[0]!.error;
      for (const b of got.batches) {
        for (const r of b.decode()) {
          if (r.offset < next) continue;
          out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
          next = r.offset + 1;
        }
        fetcher.release(b);
      }
    }
    return out;
  } finally {
    await fetcher.close();
    md.close();
  }
}

/** Resolves once broker `id`'s registration key is gone (its lease expired after a kill or pause). */
export function brokerRegistrationGone(etcd: EtcdConnection, id: number): Promise<boolean> {
  return waitFor(async () => (await etcd.ns.get(keys.brokerKey(id)).exec()).kvs.length === 0, {
    timeoutMs: 10_000,
    description: `broker ${id}'s registration to expire`,
  });
}

/** A producer writing `m0`, `m1`, ... to one topic as fast as `maxInFlight` sends allow. */
export interface ContinuousWriter {
  /** Records acknowledged so far, with their offsets. */
  readonly acked: { value: string; offset: number }[];
  /** Sends that failed after the producer's retries. */
  readonly failed: unknown[];
  /** Stops sending and resolves once every send in flight has settled. */
  stop(): Promise<void>;
}

export function startContinuousWriter(
  producer: { send(r: { topic: string; messages: { value: string }[] }): Promise<{ offset: number }[]> },
  topic: string,
  maxInFlight = 50,
): ContinuousWriter {
  const acked: { value: string; offset: number }[] = [];
  const failed: unknown[] = [];
  let stopped = false;
  const loop = (async () => {
    const inFlight = new Set<Promise<void>>();
    for (let n = 0; !stopped; n++) {
      const value = `m${n}`;
      const p = producer.send({ topic, messages: [{ value }] }).then(
        ([m]) => void acked.push({ value, offset: m!.offset }),
        (err) => void failed.push(err),
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();
  return {
    acked,
    failed,
    stop: () => {
      stopped = true;
      return loop;
    },
  };
}

/** A local cluster and an etcd connection to its namespace; `stop` resumes paused brokers first. */
export async function startClusterWithEtcd(
  options: LocalClusterOptions,
): Promise<{ cluster: LocalCluster; etcd: EtcdConnection; stop(): Promise<void> }> {
  const cluster = await LocalCluster.start(options);
  const etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
  return {
    cluster,
    etcd,
    async stop() {
      for (const b of cluster.brokers) b.signal('SIGCONT');
      etcd.close();
      await cluster.stop();
    },
  };
}
