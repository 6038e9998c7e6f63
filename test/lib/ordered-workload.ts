/**
 * The workload of the availability tests (controlled shutdown, reassignment): one writer per
 * partition sending "p:0", "p:1", ... one at a time, so what was acknowledged is a prefix that
 * can be read back exactly; and a sampler of every partition's leader in etcd, which records each
 * moment a partition had no live leader.
 */
import { type EtcdConnection, isPartitionState, keys, parseRecord } from '@tributary/registry';

/** What `startPartitionWriters` needs of a producer. */
export interface OrderedSender {
  send(record: { topic: string; messages: { partition: number; value: string }[] }): Promise<unknown>;
}

export interface PartitionWriters {
  /** Records acknowledged per partition: "p:0" .. "p:(acked[p]-1)". */
  readonly acked: number[];
  /** Sends that failed, with their error messages. */
  readonly failures: string[];
  /** Acknowledged records over all partitions. */
  total(): number;
  /** Stops sending; resolves once every send has settled. */
  stop(): Promise<void>;
}

export function startPartitionWriters(
  producer: OrderedSender,
  topic: string,
  partitions: number,
): PartitionWriters {
  const sent = new Array<number>(partitions).fill(0);
  const acked = new Array<number>(partitions).fill(0);
  const failures: string[] = [];
  let writing = true;
  const writer = async (partition: number) => {
    while (writing) {
      const value = `${partition}:${sent[partition]!++}`;
      try {
        await producer.send({ topic, messages: [{ partition, value }] });
        acked[partition]!++;
      } catch (err) {
        failures.push(`${value}: ${(err as Error).message}`);
      }
    }
  };
  const writers = Array.from({ length: partitions }, (_, p) => writer(p));
  return {
    acked,
    failures,
    total: () => acked.reduce((a, b) => a + b, 0),
    stop: async () => {
      writing = false;
      await Promise.all(writers);
    },
  };
}

/** The values partition `p`'s writer had acknowledged, in order. */
export const expectedValues = (p: number, acked: number): string[] =>
  Array.from({ length: acked }, (_, i) => `${p}:${i}`);

export interface LeaderSampler {
  /** One line per sampled moment and partition without a live leader. */
  readonly offline: string[];
  /** Samples taken so far. */
  samples(): number;
  /** Stops sampling; resolves after the sample in progress. */
  stop(): Promise<void>;
}

/** Reads every partition's state and the live brokers from etcd every `everyMs`. */
export function startLeaderSampler(etcd: EtcdConnection, topic: string, everyMs = 50): LeaderSampler {
  const offline: string[] = [];
  let samples = 0;
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const [brokers, states] = await Promise.all([
        etcd.ns.getAll().prefix(keys.brokersPrefix()).keys(),
        etcd.ns.getAll().prefix(keys.partitionsPrefix(topic)).exec(),
      ]);
      const live = new Set(brokers.map((k) => Number(k.split('/')[1])));
      for (const kv of states.kvs) {
        const key = kv.key.toString();
        const s = parseRecord(key, kv.value, isPartitionState);
        if (s.leader < 0 || !live.has(s.leader))
          offline.push(`sample ${samples}: partition ${key.split('/').pop()} leader ${s.leader}`);
      }
      samples++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    offline,
    samples: () => samples,
    stop: async () => {
      sampling = false;
      await loop;
    },
  };
}
