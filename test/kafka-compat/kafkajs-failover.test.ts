import { waitFor } from '@tributary/test-kit';
import { Kafka, logLevel } from 'kafkajs';
import { readOverGrpc } from './grpc-read';
import { type KafkaCompatCluster, startKafkaCompatCluster, unique } from './kafka-cluster';

/**
 * The product's promise through Kafka's wire protocol: a kafkajs idempotent producer (acks=all)
 * writing over the Kafka listeners loses no acknowledged record, duplicates none and keeps the
 * order within each partition across kill -9 of a partition leader, and again across kill -9 of
 * the next leader once the first broker is back (its log must have caught up, not diverged).
 * Every partition is then read twice: over gRPC, and by a kafkajs consumer group.
 */
jest.setTimeout(240_000);

const PARTITIONS = 3;
const SENDS = 150;
const PER_SEND = 4;
/** The first leader dies after this many sends. */
const KILL_AT = 40;

/** `<partition>:<seq>`: what a record's value holds, seq increasing per producer. */
const parse = (value: string) => {
  const [p, seq] = value.split(':').map(Number);
  return { partition: p!, seq: seq! };
};

describe('kafkajs through kill -9 of partition leaders', () => {
  let c: KafkaCompatCluster;

  beforeAll(async () => {
    c = await startKafkaCompatCluster(3, { leaseTtlSeconds: 3 });
  });

  afterAll(async () => {
    await c?.stop();
  });

  async function partitionsOf(topic: string) {
    const [t] = await c.tributary.admin().describeTopics([topic]);
    return t!.partitions;
  }

  async function waitFullIsr(topic: string) {
    await waitFor(async () => (await partitionsOf(topic)).every((p) => p.leader >= 0 && p.isr.length === 3), {
      timeoutMs: 60_000,
      description: `every partition of ${topic} to have a leader and a full ISR`,
    });
  }

  /** Kill -9 of the leader of the first partition (in `order`) led by a broker not in `spare`. */
  async function killALeader(topic: string, order: readonly number[], spare: readonly string[] = []) {
    const partitions = await partitionsOf(topic);
    const leaders = order.map((n) => String(partitions.find((p) => p.partition === n)!.leader));
    const victim = c.cluster.brokers.find((b) => b.id === leaders.find((id) => !spare.includes(id)))!;
    victim.signal('SIGKILL');
    return victim;
  }

  it('no acknowledged record lost, none duplicated, order kept, read back over gRPC and by a kafkajs group', async () => {
    const topic = unique('kjs-failover');
    await c.createTopic(topic, PARTITIONS, 3);
    await waitFullIsr(topic);
    const kafka = new Kafka({
      clientId: 'kafkajs-failover',
      brokers: c.kafkaBootstrap,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 30 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();

    const epochBefore = (await partitionsOf(topic))[0]!.leaderEpoch;
    const acked = new Map<number, number[]>(Array.from({ length: PARTITIONS }, (_, p) => [p, []]));
    const failures: string[] = [];
    let seq = 0;
    let slowestMs = 0;
    let firstVictim: Awaited<ReturnType<typeof killALeader>> | undefined;
    for (let i = 0; i < SENDS; i++) {
      if (i === KILL_AT) firstVictim = await killALeader(topic, [0]);
      const partition = i % PARTITIONS;
      const seqs = Array.from({ length: PER_SEND }, () => seq++);
      const started = performance.now();
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: seqs.map((s) => ({ partition, key: `k-${s}`, value: `${partition}:${s}` })),
        });
        acked.get(partition)!.push(...seqs);
        slowestMs = Math.max(slowestMs, performance.now() - started);
      } catch (err) {
        failures.push(`send ${i}: ${(err as Error).message}`);
      }
    }
    await producer.disconnect();
    console.log(`kafkajs: ${SENDS} sends, the slowest (through the failover) ${Math.round(slowestMs)} ms`);
    // The kill moved partition 0's leadership while the producer wrote.
    expect((await partitionsOf(topic)).find((p) => p.partition === 0)!.leaderEpoch).toBeGreaterThan(
      epochBefore,
    );
    // kafkajs retries through the failover: every send should have been acknowledged.
    expect(failures).toEqual([]);

    // The first victim comes back and catches up (it may lead again: preferred leaders); then
    // another broker that leads a partition dies, so what the first victim holds now is read.
    firstVictim!.start();
    await firstVictim!.waitServing();
    await waitFullIsr(topic);
    const secondVictim = await killALeader(topic, [0, 1, 2], [firstVictim!.id]);
    await waitFor(async () => (await partitionsOf(topic)).every((p) => p.leader >= 0), {
      timeoutMs: 30_000,
      description: 'a new leader for every partition',
    });

    const ends = await c.tributary.admin().fetchTopicOffsets(topic);
    for (let p = 0; p < PARTITIONS; p++) {
      const end = ends.find((o) => o.partition === p)!.latest;
      const records = await readOverGrpc(c.tributary, topic, p, end);
      const seqs = records.map((r) => parse(r.value!.toString()));
      expect(seqs.every((s) => s.partition === p)).toBe(true);
      // In order and once each: strictly increasing, as they were sent.
      const values = seqs.map((s) => s.seq);
      expect(values).toEqual([...new Set(values)].sort((a, b) => a - b));
      // Nothing acknowledged is missing (and nothing was written that was not sent).
      expect(values).toEqual(acked.get(p));
      records.forEach((r, i) => {
        expect(r.offset).toBe(i);
      });
    }

    // A kafkajs group reads the same records, through the Kafka listener of the new leaders.
    const seen = new Map<number, number[]>(Array.from({ length: PARTITIONS }, (_, p) => [p, []]));
    const consumer = kafka.consumer({ groupId: unique('kjs-failover-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.get(partition)!.push(parse(message.value!.toString()).seq);
      },
    });
    try {
      await waitFor(() => [...seen.values()].reduce((n, s) => n + s.length, 0) >= SENDS * PER_SEND, {
        timeoutMs: 60_000,
        description: 'the kafkajs group to read every record',
      });
    } finally {
      await consumer.disconnect();
    }
    for (let p = 0; p < PARTITIONS; p++) expect(seen.get(p)).toEqual(acked.get(p));

    secondVictim.start();
    await secondVictim.waitServing();
  });
});
