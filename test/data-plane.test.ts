import type * as grpc from '@grpc/grpc-js';
import { ERROR_CODE_TRAILER, ErrorCode } from '@tributary/errors';
import {
  type BrokerServiceClient,
  createClient,
  type FetchResponse__Output,
  type FetchStreamRequest,
  type FetchStreamResponse__Output,
  type ListOffsetsResponse__Output,
  type ProduceRequest,
  type ProduceResponse__Output,
  type ProduceStreamResponse__Output,
} from '@tributary/proto';
import { encodeRecordBatch } from '@tributary/record-batch';
import type { EtcdConnection } from '@tributary/registry';
import type { LocalCluster } from '@tributary/test-kit';
import { Producer } from '../clients/ts/src/producer/producer';
import {
  createTopic,
  readPartition,
  startClusterWithEtcd,
  uniqueTopic,
  waitForIsr,
  waitLeading,
} from './data-plane-helpers';

/**
 * Issue 6: produce and fetch through the real client against three broker processes and a real
 * etcd (no controller: topics and leaders are written to etcd by the test).
 */
jest.setTimeout(90_000);

describe('data plane', () => {
  let cluster: LocalCluster;
  let etcd: EtcdConnection;
  let stopCluster: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({
      cluster,
      etcd,
      stop: stopCluster,
    } = await startClusterWithEtcd({
      brokers: 3,
      controllers: 0,
      coordinators: 0,
      leaseTtlSeconds: 2,
      extraArgs: { broker: ['--replica.lag.time.max.ms', '2000', '--request.max.bytes', String(1 << 20)] },
    }));
  });

  afterAll(async () => {
    await stopCluster?.();
  });

  it('produces with acks=all to RF=3 and reads every record back in order', async () => {
    const topic = uniqueTopic('rf3');
    await createTopic(etcd, topic, [
      [0, 1, 2],
      [1, 2, 0],
    ]);
    const producer = new Producer({ bootstrap: cluster.bootstrap, lingerMs: 2 });
    const sends = [];
    for (let i = 0; i < 200; i++)
      sends.push(producer.send({ topic, messages: [{ key: `k${i}`, value: `v${i}`, partition: i % 2 }] }));
    const metas = (await Promise.all(sends)).flat();
    await producer.disconnect();
    const p0 = metas.filter((m) => m.partition === 0).map((m) => m.offset);
    expect(p0).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const records = await readPartition(cluster.bootstrap, topic, 0, 0, 100);
    expect(records.map((r) => r.value)).toEqual(Array.from({ length: 100 }, (_, i) => `v${i * 2}`));
    await waitForIsr(etcd, topic, 0, (isr) => isr.length === 3, 5000);
  });

  const batch = (values: string[], timestamp?: number) =>
    encodeRecordBatch(values.map((v) => ({ value: Buffer.from(v), ...(timestamp ? { timestamp } : {}) })));

  const produce = (client: BrokerServiceClient, req: ProduceRequest) =>
    new Promise<ProduceResponse__Output>((resolve, reject) =>
      client.produce(req, (err, res) => (err ? reject(err) : resolve(res!))),
    );

  const latest = (client: BrokerServiceClient, topic: string, partition: number) =>
    new Promise<number>((resolve, reject) =>
      client.listOffsets({ topics: [{ topic, partitions: [{ partition, spec: 2 }] }] }, (err, res) =>
        err ? reject(err) : resolve(Number(res!.topics[0]!.partitions[0]!.offset)),
      ),
    );

  it('answers bad input with precise per-partition errors, appends nothing for them, and serves the rest', async () => {
    const topic = uniqueTopic('bad');
    const other = uniqueTopic('crc');
    await createTopic(etcd, topic, [[0], [0]], { 'max.message.bytes': '2000' });
    await createTopic(etcd, other, [[0]]);
    const client = createClient('BrokerService', cluster.brokers[0]!.address);
    await waitLeading(client, [
      [topic, 0],
      [topic, 1],
      [other, 0],
    ]);
    const corrupt = batch(['x', 'y']);
    corrupt[corrupt.length - 1]! ^= 0xff; // a record byte: the CRC no longer matches
    const res = await produce(client, {
      acks: 1,
      topics: [
        {
          topic,
          partitions: [
            { partition: 0, recordBatches: batch(['z'.repeat(3000)]) },
            { partition: 1, recordBatches: batch(['good']) },
            { partition: 7, recordBatches: batch(['nowhere']) },
          ],
        },
        { topic: other, partitions: [{ partition: 0, recordBatches: corrupt }] },
        { topic: 'no-such-topic', partitions: [{ partition: 0, recordBatches: batch(['a']) }] },
      ],
    });
    const codes = res.topics.flatMap((t) =>
      t.partitions.map((p) => [t.topic, p.partition, p.errorCode, p.baseOffset]),
    );
    expect(codes).toEqual([
      [topic, 0, ErrorCode.MESSAGE_TOO_LARGE, '-1'],
      [topic, 1, ErrorCode.NONE, '0'],
      [topic, 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, '-1'],
      [other, 0, ErrorCode.CORRUPT_MESSAGE, '-1'],
      ['no-such-topic', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, '-1'],
    ]);
    expect(res.topics[0]!.partitions[0]!.errorMessage).toMatch(/2000/);
    // Truncated bytes and a missing payload.
    const torn = await produce(client, {
      acks: 1,
      topics: [{ topic: other, partitions: [{ partition: 0, recordBatches: batch(['a']).subarray(0, 40) }] }],
    });
    expect(torn.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(await latest(client, topic, 0)).toBe(0);
    expect(await latest(client, topic, 1)).toBe(1);
    expect(await latest(client, other, 0)).toBe(0);

    // Whole-request failures: a gRPC status with the code in the trailer.
    const tooBig = await produce(client, {
      acks: 1,
      topics: [{ topic, partitions: [{ partition: 1, recordBatches: Buffer.alloc((1 << 20) + 1) }] }],
    }).catch((e: grpc.ServiceError) => e);
    expect((tooBig as grpc.ServiceError).metadata.get(ERROR_CODE_TRAILER)).toEqual([
      String(ErrorCode.RECORD_LIST_TOO_LARGE),
    ]);
    const badAcks = await produce(client, { acks: 2, topics: [] }).catch((e: grpc.ServiceError) => e);
    expect((badAcks as grpc.ServiceError).metadata.get(ERROR_CODE_TRAILER)).toEqual([
      String(ErrorCode.INVALID_REQUIRED_ACKS),
    ]);

    // On a ProduceStream a bad request gets an error for its correlation id; the stream goes on.
    const stream = client.produceStream();
    const answers: ProduceStreamResponse__Output[] = [];
    const two = new Promise<void>((resolve) =>
      stream.on('data', (r: ProduceStreamResponse__Output) => {
        answers.push(r);
        if (answers.length === 2) resolve();
      }),
    );
    stream.write({ correlationId: 1, request: { acks: 3, topics: [] } });
    stream.write({
      correlationId: 2,
      request: { acks: -1, topics: [{ topic, partitions: [{ partition: 1, recordBatches: batch(['s']) }] }] },
    });
    await two;
    stream.end();
    expect(answers.map((a) => [a.correlationId, a.errorCode])).toEqual([
      ['1', ErrorCode.INVALID_REQUIRED_ACKS],
      ['2', ErrorCode.NONE],
    ]);
    expect(answers[1]!.response!.topics[0]!.partitions[0]!.baseOffset).toBe('1');
    client.close();
  });

  it('long-polls Fetch until an append, reports OFFSET_OUT_OF_RANGE with the range, and lists offsets', async () => {
    const topic = uniqueTopic('poll');
    await createTopic(etcd, topic, [[2, 0, 1]]);
    const client = createClient('BrokerService', cluster.brokers[2]!.address);
    await waitForIsr(etcd, topic, 0, (isr) => isr.length === 3, 5000);
    await produce(client, {
      acks: -1,
      topics: [{ topic, partitions: [{ partition: 0, recordBatches: batch(['a', 'b'], 1000) }] }],
    });
    const started = Date.now();
    const polled = new Promise<{ res: FetchResponse__Output; ms: number }>((resolve, reject) =>
      client.fetch(
        {
          maxWaitMs: 20_000,
          minBytes: 1,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 2 }] }],
        },
        (err, res) => (err ? reject(err) : resolve({ res: res!, ms: Date.now() - started })),
      ),
    );
    await produce(client, {
      acks: -1,
      topics: [{ topic, partitions: [{ partition: 0, recordBatches: batch(['c'], 5000) }] }],
    });
    const { res, ms } = await polled;
    expect(ms).toBeLessThan(5000);
    const p = res.topics[0]!.partitions[0]!;
    expect([p.errorCode, p.fetchOffset, p.highWatermark]).toEqual([ErrorCode.NONE, '2', '3']);
    expect(p.recordBatches.length).toBeGreaterThan(0);

    const oor = await new Promise<FetchResponse__Output>((resolve, reject) =>
      client.fetch(
        { maxWaitMs: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 99 }] }] },
        (err, r) => (err ? reject(err) : resolve(r!)),
      ),
    );
    const o = oor.topics[0]!.partitions[0]!;
    expect([o.errorCode, o.logStartOffset, o.highWatermark]).toEqual([
      ErrorCode.OFFSET_OUT_OF_RANGE,
      '0',
      '3',
    ]);

    const offsets = await new Promise<ListOffsetsResponse__Output>((resolve, reject) =>
      client.listOffsets(
        {
          topics: [
            {
              topic,
              partitions: [
                { partition: 0, spec: 1 },
                { partition: 0, spec: 2 },
                { partition: 0, spec: 3, timestampMs: 2000 },
              ],
            },
          ],
        },
        (err, r) => (err ? reject(err) : resolve(r!)),
      ),
    );
    expect(offsets.topics[0]!.partitions.map((x) => x.offset)).toEqual(['0', '3', '2']);
    // Not the leader: NOT_LEADER_OR_FOLLOWER with a hint.
    const follower = createClient('BrokerService', cluster.brokers[0]!.address);
    const nl = await produce(follower, {
      acks: 1,
      topics: [{ topic, partitions: [{ partition: 0, recordBatches: batch(['x']) }] }],
    });
    expect(nl.topics[0]!.partitions[0]).toMatchObject({
      errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
      currentLeader: { leaderId: 2, leaderEpoch: '0' },
    });
    follower.close();
    client.close();
  });

  it('streams fetches within the credit the client grants', async () => {
    const topic = uniqueTopic('stream');
    await createTopic(etcd, topic, [[1]]);
    const client = createClient('BrokerService', cluster.brokers[1]!.address);
    await waitLeading(client, [[topic, 0]]);
    const call = client.fetchStream();
    const got: FetchStreamResponse__Output[] = [];
    let notify: (() => void) | undefined;
    call.on('data', (r: FetchStreamResponse__Output) => {
      got.push(r);
      notify?.();
    });
    const waitCount = (n: number) =>
      new Promise<void>((resolve) => {
        if (got.length >= n) return resolve();
        notify = () => got.length >= n && resolve();
      });
    const start: FetchStreamRequest = {
      start: {
        settings: { maxWaitMs: 50, minBytes: 1 },
        partitions: [{ topic, partition: 0, fetchOffset: 0 }],
        credit: { responses: 1, bytes: 1 << 20 },
      },
    };
    call.write(start);
    await produce(client, {
      acks: 1,
      topics: [{ topic, partitions: [{ partition: 0, recordBatches: batch(['1']) }] }],
    });
    await waitCount(1);
    // Out of response credit: the next append is held back until credit arrives.
    await produce(client, {
      acks: 1,
      topics: [{ topic, partitions: [{ partition: 0, recordBatches: batch(['2']) }] }],
    });
    const heldBack = await Promise.race([
      waitCount(2).then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), 300)),
    ]);
    expect(heldBack).toBe(true);
    call.write({ credit: { responses: 1, bytes: 1 << 20 } });
    await waitCount(2);
    expect(got.map((r) => r.topics[0]!.partitions[0]!.fetchOffset)).toEqual(['0', '1']);
    call.end();
    client.close();
  });
});
