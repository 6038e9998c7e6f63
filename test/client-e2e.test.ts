import { type ConsumerMessage, stringSerde, Tributary } from '@tributary/client';
import { LocalCluster, waitFor } from '@tributary/test-kit';

/**
 * Issue 8: the client end to end against real processes (etcd, controller, brokers, group
 * coordinator): topics created through the admin, 100,000 keyed records produced, consumed by a
 * group of three with every record seen exactly once in per-key order; commits survive a
 * restart of the consumers; seek re-reads.
 */
const RECORDS = 100_000;
const KEYS = 500;
const PARTITIONS = 6;

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

type Msg = ConsumerMessage<string, string>;

jest.setTimeout(90_000);

describe('client end to end', () => {
  let cluster: LocalCluster;
  let client: Tributary;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 2, controllers: 1, coordinators: 1, leaseTtlSeconds: 3 });
    client = new Tributary({ bootstrap: cluster.bootstrap, clientId: 'client-e2e' });
  });

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  const consumerOf = (groupId: string) =>
    client.consumer({
      groupId,
      keyDeserializer: stringSerde.deserialize,
      valueDeserializer: stringSerde.deserialize,
      autoCommitIntervalMs: 200,
      sessionTimeoutMs: 6000,
    });

  it('100,000 keyed records: a group of 3 sees each once in key order; commits survive a restart; seek re-reads', async () => {
    const admin = client.admin();
    const topic = unique('orders');
    const [created] = await admin.createTopics([
      { name: topic, numPartitions: PARTITIONS, replicationFactor: 1 },
    ]);
    expect(created).toMatchObject({ name: topic, numPartitions: PARTITIONS });

    // Produce: key k-i carries values "k-i:0", "k-i:1", ... in send order.
    const producer = client.producer({ lingerMs: 5 });
    const perKey = new Array<number>(KEYS).fill(0);
    const sends: Array<Promise<unknown>> = [];
    for (let start = 0; start < RECORDS; start += 1000) {
      const messages = Array.from({ length: 1000 }, (_, j) => {
        const k = (start + j) % KEYS;
        return { key: `k-${k}`, value: `k-${k}:${perKey[k]!++}` };
      });
      sends.push(producer.send({ topic, messages }));
    }
    await Promise.all(sends);
    await producer.flush();
    const ranges = await admin.fetchTopicOffsets(topic);
    expect(ranges.reduce((sum, r) => sum + r.latest, 0)).toBe(RECORDS);

    // Consume in a group of three.
    const group = unique('billing');
    const seen = new Map<string, number>(); // key -> next expected sequence
    let total = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    const onMessage = (m: Msg) => {
      const [key, seqText] = m.value!.split(':') as [string, string];
      expect(m.key).toBe(key);
      const seq = Number(seqText);
      const expected = seen.get(key) ?? 0;
      if (seq < expected) duplicates++;
      else if (seq > expected) outOfOrder++;
      else {
        seen.set(key, expected + 1);
        total++;
      }
    };
    const consumers = [consumerOf(group), consumerOf(group), consumerOf(group)];
    const runs = consumers.map(async (c) => {
      await c.subscribe({ topics: [topic], fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => onMessage(message) });
    });
    await waitFor(() => total + duplicates + outOfOrder >= RECORDS, {
      timeoutMs: 60_000,
      description: `the group to consume ${RECORDS} records (seen ${total})`,
    });
    // Every member got work and every partition is owned by exactly one member.
    const owned = consumers.flatMap((c) => c.assignment().map((tp) => `${tp.topic}-${tp.partition}`));
    expect(new Set(owned).size).toBe(PARTITIONS);
    expect(owned.length).toBe(PARTITIONS);
    for (const c of consumers) expect(c.assignment().length).toBe(PARTITIONS / 3);
    expect({ total, duplicates, outOfOrder }).toEqual({ total: RECORDS, duplicates: 0, outOfOrder: 0 });
    for (let k = 0; k < KEYS; k++) expect(seen.get(`k-${k}`)).toBe(RECORDS / KEYS);

    // Commit and stop; then everything is committed.
    for (const c of consumers) await c.commit();
    await Promise.all(consumers.map((c) => c.disconnect()));
    await Promise.all(runs);
    const described = await waitFor(
      async () => {
        const [g] = await admin.describeGroups([group]);
        return g !== undefined && g.members.length === 0 && g.totalLag === 0 ? g : undefined;
      },
      { timeoutMs: 15_000, description: 'the group to be empty with no lag' },
    );
    expect(described.partitions.map((p) => p.committedOffset).reduce((a, b) => a + b, 0)).toBe(RECORDS);

    // Restart: new members of the same group read only what was produced after the commit.
    await producer.send({
      topic,
      messages: Array.from({ length: 300 }, (_, i) => ({
        key: `k-${i % KEYS}`,
        value: `k-${i % KEYS}:${perKey[i % KEYS]!++}`,
      })),
    });
    const restarted = [consumerOf(group), consumerOf(group), consumerOf(group)];
    const after: Msg[] = [];
    const reruns = restarted.map(async (c) => {
      await c.subscribe({ topics: [topic], fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void after.push(message) });
    });
    await waitFor(() => after.length >= 300, { timeoutMs: 30_000, description: 'the 300 new records' });
    await Promise.all(restarted.map((c) => c.disconnect()));
    await Promise.all(reruns);
    expect(after.length).toBe(300);
    for (const m of after) onMessage(m);
    expect({ duplicates, outOfOrder }).toEqual({ duplicates: 0, outOfOrder: 0 });

    // Seek back and re-read partition 0 from the start, without a group.
    const reader = client.consumer({
      valueDeserializer: stringSerde.deserialize,
      keyDeserializer: stringSerde.deserialize,
    });
    const end = (await admin.fetchTopicOffsets(topic)).find((r) => r.partition === 0)!.latest;
    await reader.assign([{ topic, partition: 0, offset: end }]);
    reader.seek({ topic, partition: 0, offset: 0 });
    const reread: Msg[] = [];
    for await (const m of reader) {
      reread.push(m);
      if (reread.length === end) break;
    }
    expect(reread.map((m) => m.offset)).toEqual(Array.from({ length: end }, (_, i) => i));
    // Seek back to the middle and read again.
    reader.seek({ topic, partition: 0, offset: Math.floor(end / 2) });
    const again: Msg[] = [];
    for await (const m of reader) {
      again.push(m);
      if (m.offset === end - 1) break;
    }
    expect(again[0]!.offset).toBe(Math.floor(end / 2));
    expect(again.map((m) => m.value)).toEqual(reread.slice(Math.floor(end / 2)).map((m) => m.value));
    await reader.disconnect();
  }, 90_000);

  it('members joining and leaving while records flow: cooperative handovers lose nothing and duplicate nothing', async () => {
    const admin = client.admin();
    const topic = unique('handover');
    await admin.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
    const group = unique('handover');
    const producer = client.producer({ lingerMs: 2 });
    const keys = 60;
    const perKey = new Array<number>(keys).fill(0);
    let produced = 0;
    let producing = true;
    const writer = (async () => {
      while (producing) {
        const messages = Array.from({ length: 200 }, (_, j) => {
          const k = (produced + j) % keys;
          return { key: `k-${k}`, value: `k-${k}:${perKey[k]!++}` };
        });
        await producer.send({ topic, messages });
        produced += messages.length;
      }
    })();
    const next = new Map<string, number>();
    let total = 0;
    const problems: string[] = [];
    const handle = (m: Msg) => {
      const [key, seqText] = m.value!.split(':') as [string, string];
      const expected = next.get(key) ?? 0;
      if (Number(seqText) !== expected) problems.push(`${key}: got ${seqText}, expected ${expected}`);
      else {
        next.set(key, expected + 1);
        total++;
      }
    };
    const start = (c: ReturnType<typeof consumerOf>) =>
      (async () => {
        await c.subscribe({ topics: [topic], fromBeginning: true });
        await c.run({ eachMessage: async ({ message }) => handle(message) });
      })();
    const a = consumerOf(group);
    const runs = [start(a)];
    await waitFor(() => total > 2000, { timeoutMs: 20_000, description: 'A to consume' });
    const b = consumerOf(group);
    runs.push(start(b));
    await waitFor(() => b.assignment().length > 0 && total > 6000, {
      timeoutMs: 20_000,
      description: 'B to get partitions',
    });
    const c = consumerOf(group);
    runs.push(start(c));
    await waitFor(() => c.assignment().length > 0 && total > 10_000, {
      timeoutMs: 20_000,
      description: 'C to get partitions',
    });
    await a.disconnect(); // leaves: its partitions move to B and C
    await waitFor(() => b.assignment().length + c.assignment().length === PARTITIONS && total > 14_000, {
      timeoutMs: 20_000,
      description: "A's partitions to move",
    });
    producing = false;
    await writer;
    await producer.flush();
    await waitFor(() => total >= produced || problems.length > 0, {
      timeoutMs: 30_000,
      description: `all ${produced} records (seen ${total})`,
    });
    await Promise.all([b.disconnect(), c.disconnect()]);
    await Promise.all(runs);
    expect(problems.slice(0, 5)).toEqual([]);
    expect(total).toBe(produced);
  });

  it('a consumer group survives the loss of its coordinator (reconnects, rejoins, keeps consuming)', async () => {
    const local = await LocalCluster.start({
      brokers: 1,
      controllers: 1,
      coordinators: 2,
      leaseTtlSeconds: 2,
    });
    const c2 = new Tributary({ bootstrap: local.bootstrap, retry: { retries: 10, maxRetryTimeMs: 1000 } });
    try {
      const topic = unique('coord');
      await c2.admin().createTopics([{ name: topic, numPartitions: 3, replicationFactor: 1 }]);
      const producer = c2.producer({ lingerMs: 2 });
      const send = (from: number, n: number) =>
        producer.send({
          topic,
          messages: Array.from({ length: n }, (_, i) => ({
            key: `k${(from + i) % 30}`,
            value: String(from + i),
          })),
        });
      await send(0, 3000);
      const group = unique('coord');
      const seen = new Set<string>();
      const consumer = c2.consumer({ groupId: group, autoCommitIntervalMs: 100, sessionTimeoutMs: 6000 });
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const running = consumer.run({
        eachMessage: async ({ message }) => void seen.add(message.value!.toString()),
      });
      await waitFor(() => seen.size === 3000, { timeoutMs: 20_000, description: 'the first 3000 records' });
      await consumer.commit();
      // Kill the coordinator that owns the group; the other takes it over.
      const owner = await (
        c2 as unknown as { cluster: { findCoordinator(g: string): Promise<string> } }
      ).cluster.findCoordinator(group);
      const node = local.coordinators.find((n) => n.address === owner)!;
      node.signal('SIGKILL');
      await send(3000, 3000);
      await waitFor(() => seen.size === 6000, {
        timeoutMs: 40_000,
        description: `all 6000 records after the coordinator died (seen ${seen.size})`,
      });
      await consumer.commit();
      const [described] = await c2.admin().describeGroups([group]);
      expect(described!.coordinatorId).not.toBe(Number(node.id.replace(/\D/g, '')));
      expect(described!.totalLag).toBe(0);
      await consumer.disconnect();
      await running;
      await producer.disconnect();
    } finally {
      await c2.close();
      await local.stop();
    }
  });

  it("subscribe fails with the coordinator's reason instead of hanging when the group cannot be joined", async () => {
    const consumer = client.consumer({ groupId: unique('odd'), assignors: ['no-such-assignor'] });
    const err = await consumer.subscribe({ topics: ['anything'] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await consumer.disconnect();
    expect(err).toMatchObject({ retriable: false });
    expect((err as { errorName: string }).errorName).toMatch(/INCONSISTENT_GROUP_PROTOCOL|INVALID_REQUEST/);
  });
});
