import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@tributary/errors';
import { type BrokerServiceClient, createClient, type ProduceResponse__Output } from '@tributary/proto';
import { encodeRecordBatch } from '@tributary/record-batch';
import { type EtcdConnection, keys } from '@tributary/registry';
import { type LocalCluster, ServiceNode, waitFor } from '@tributary/test-kit';
import { createTopic, startClusterWithEtcd, uniqueTopic, waitForIsr } from './data-plane-helpers';

/**
 * Issue 13, a broker's restart after kill -9: it loads its producer state from the snapshots in
 * its logs (and still refuses a duplicate idempotent retry), and it revokes the registration lease
 * its dead former run left in etcd instead of waiting out the TTL — while a second broker with the
 * same id is still refused, whether it has a data directory of its own or the same one.
 */
jest.setTimeout(120_000);

describe('broker restart after kill -9', () => {
  // Long, so a restart that waited out its former lease could not pass the timing check below.
  const leaseTtlSeconds = 20;
  let cluster: LocalCluster;
  let etcd: EtcdConnection;
  let stopCluster: (() => Promise<void>) | undefined;
  let client: BrokerServiceClient;
  const extraDirs: string[] = [];

  beforeAll(async () => {
    ({
      cluster,
      etcd,
      stop: stopCluster,
    } = await startClusterWithEtcd({
      brokers: 1,
      controllers: 0,
      coordinators: 0,
      leaseTtlSeconds,
    }));
    client = createClient('BrokerService', cluster.brokers[0]!.address);
  });

  afterAll(async () => {
    client?.close();
    await stopCluster?.();
    for (const d of extraDirs) rmSync(d, { recursive: true, force: true });
  });

  const PRODUCER_ID = 4242;
  /** An idempotent batch of 5 records from sequence `seq` (~600 bytes). */
  const idempotentBatch = (seq: number) =>
    encodeRecordBatch(
      Array.from({ length: 5 }, (_, i) => ({ value: Buffer.alloc(100, seq + i) })),
      { producerId: PRODUCER_ID, producerEpoch: 0, baseSequence: seq },
    );
  const produce = (topic: string, recordBatches: Buffer) =>
    new Promise<ProduceResponse__Output['topics'][number]['partitions'][number]>((resolve, reject) =>
      client.produce(
        { acks: 1, topics: [{ topic, partitions: [{ partition: 0, recordBatches }] }] },
        (err, res) => (err ? reject(err) : resolve(res!.topics[0]!.partitions[0]!)),
      ),
    );
  const latest = (topic: string) =>
    new Promise<number>((resolve, reject) =>
      client.listOffsets({ topics: [{ topic, partitions: [{ partition: 0, spec: 2 }] }] }, (err, res) =>
        err ? reject(err) : resolve(Number(res!.topics[0]!.partitions[0]!.offset)),
      ),
    );
  /**
   * The JSON start-up line `msg` of the broker's current run. Waited for: the health service says
   * SERVING before the service logs "started", and stdout arrives through a pipe.
   */
  const logLine = (msg: string) =>
    waitFor(
      () =>
        cluster.brokers[0]!.process!.stdout.split('\n')
          .filter((l) => l.includes(`"msg":"${msg}"`))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .at(-1),
      { timeoutMs: 10_000, description: `the broker's "${msg}" log line` },
    );

  it('restarts without waiting out its lease and still refuses a duplicate idempotent retry', async () => {
    const topic = uniqueTopic('restart-state');
    // Small segments: a snapshot at every roll.
    await createTopic(etcd, topic, [[0]], { 'segment.bytes': '4096' });
    await waitForIsr(etcd, topic, 0, (isr) => isr.length === 1, 10_000);
    let last: { seq: number; baseOffset: number } | undefined;
    for (let seq = 0; seq < 150; seq += 5) {
      const r = await produce(topic, idempotentBatch(seq));
      expect(r.errorCode).toBe(ErrorCode.NONE);
      last = { seq, baseOffset: Number(r.baseOffset) };
    }
    const end = await latest(topic);
    expect(end).toBe(150);

    const broker = cluster.brokers[0]!;
    broker.signal('SIGKILL');
    await broker.process!.waitForExit();
    expect((await etcd.ns.get(keys.brokerKey(0)).exec()).kvs.length).toBe(1); // its old key lives on
    const restartedAt = Date.now();
    broker.start();
    await broker.waitServing(leaseTtlSeconds * 1000 + 10_000);
    expect(Date.now() - restartedAt).toBeLessThan(leaseTtlSeconds * 1000);
    expect(broker.process!.stdout).toMatch(/revoked its lease/);
    expect(broker.process!.stdout).not.toMatch(/waiting for its lease to expire/);
    const opened = await logLine('logs opened');
    expect(opened.producerStateFromSnapshot).toBe(1);
    // Only the batches of the active segment were walked, not all 30.
    expect(opened.producerStateBatchesScanned).toBeLessThan(30);
    expect(await logLine('started')).toMatchObject({
      stepMs: expect.objectContaining({ storage: expect.any(Number) }),
    });

    await waitForIsr(etcd, topic, 0, (isr) => isr.length === 1, 10_000);
    // The retry of the last batch (its answer lost, say) is not appended again: it gets the
    // original offset; a gap in sequences is refused.
    let retry: Awaited<ReturnType<typeof produce>> | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      retry = await produce(topic, idempotentBatch(last!.seq));
      if (retry.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect({ code: retry!.errorCode, baseOffset: Number(retry!.baseOffset) }).toEqual({
      code: ErrorCode.NONE,
      baseOffset: last!.baseOffset,
    });
    expect(await latest(topic)).toBe(end);
    expect((await produce(topic, idempotentBatch(last!.seq + 10))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE,
    );
    expect((await produce(topic, idempotentBatch(last!.seq + 5))).errorCode).toBe(ErrorCode.NONE);
    expect(await latest(topic)).toBe(end + 5);
  });

  it('refuses a second broker with the same id, with a data directory of its own or the same one', async () => {
    const original = cluster.brokers[0]!;
    const dataDirAt = original.args.indexOf('--data.dir') + 1;
    const otherDir = mkdtempSync(join(tmpdir(), 'tributary-duplicate-'));
    extraDirs.push(otherDir);
    const cases = [
      { dir: otherDir, message: /broker id 0 is already registered by a live broker/ },
      { dir: original.args[dataDirAt]!, message: /is in use by process \d+ \(still running\)/ },
    ];
    for (const { dir, message } of cases) {
      const args = original.args.map((a, i) =>
        a === String(original.port) ? '0' : i === dataDirAt ? dir : a,
      );
      const duplicate = new ServiceNode('broker', 'duplicate', 0, args, false);
      const startedAt = Date.now();
      const exit = await duplicate.start().waitForExit();
      expect({ code: exit.code, stderr: duplicate.process!.stderr }).toEqual({
        code: 1,
        stderr: expect.stringMatching(message),
      });
      expect(Date.now() - startedAt).toBeLessThan(leaseTtlSeconds * 1000);
      expect(await original.health()).toBe('SERVING');
    }
  });
});
