import type * as grpc from '@grpc/grpc-js';
import { ErrorCode, fromGrpcError } from '@tributary/errors';
import { createClient, MAX_MESSAGE_BYTES } from '@tributary/proto';
import { encodeRecordBatch } from '@tributary/record-batch';
import { connectEtcd, type EtcdConnection, keys } from '@tributary/registry';
import { checkHealth, LocalCluster, waitFor } from '@tributary/test-kit';

/**
 * Issue 12, item 6 (the whole-request half; the batch fuzzing is a unit test beside the broker's
 * produce): a gRPC message over the size limit, a fetch with max_bytes 0, and a topic of 100,000
 * partitions each get a clear answer, and nothing changes.
 */
describe('bad input against a real cluster', () => {
  let cluster: LocalCluster;
  let etcd: EtcdConnection;
  const topic = `bad-input-${process.pid}`;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 1, controllers: 1, coordinators: 0, leaseTtlSeconds: 3 });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
    const controller = createClient('ControllerService', cluster.controllers[0]!.address);
    const created = await unary(controller, 'CreateTopics', {
      topics: [{ name: topic, numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 10_000,
    });
    controller.close();
    expect((created as { topics: { errorCode: number }[] }).topics[0]!.errorCode).toBe(0);
    await waitFor(async () => (await produce(encodeRecordBatch([{ value: Buffer.from('first') }]))) === 0, {
      timeoutMs: 10_000,
      description: 'the topic to take writes',
    });
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  // biome-ignore lint/suspicious/noExplicitAny: one helper for any unary method of a typed client
  const unary = (client: any, method: string, request: object): Promise<unknown> =>
    new Promise((resolve, reject) =>
      client[method](
        request,
        { deadline: Date.now() + 30_000 },
        (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res)),
      ),
    );

  /** Produces to partition 0; resolves with the partition's error code. */
  const produce = async (batch: Buffer, channelOptions: grpc.ChannelOptions = {}) => {
    const broker = createClient('BrokerService', cluster.brokers[0]!.address, { channelOptions });
    try {
      const res = (await unary(broker, 'Produce', {
        acks: 1,
        timeoutMs: 5000,
        topics: [{ topic, partitions: [{ partition: 0, recordBatches: batch }] }],
      })) as { topics: { partitions: { errorCode: number }[] }[] };
      return res.topics[0]!.partitions[0]!.errorCode;
    } finally {
      broker.close();
    }
  };

  const logEnd = async () => {
    const broker = createClient('BrokerService', cluster.brokers[0]!.address);
    try {
      const res = (await unary(broker, 'ListOffsets', {
        topics: [{ topic, partitions: [{ partition: 0, spec: 'OFFSET_SPEC_LATEST' }] }],
      })) as { topics: { partitions: { offset: string }[] }[] };
      return Number(res.topics[0]!.partitions[0]!.offset);
    } finally {
      broker.close();
    }
  };

  it('a produce message over the 64 MiB limit: RESOURCE_EXHAUSTED naming the limit, nothing appended', async () => {
    const before = await logEnd();
    const huge = encodeRecordBatch([{ value: Buffer.alloc(MAX_MESSAGE_BYTES + 1024, 7) }]);
    // The client's own limit would stop it first; lift it so the broker has to refuse.
    const err = await produce(huge, { 'grpc.max_send_message_length': -1 }).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(err?.code).toBe(8); // RESOURCE_EXHAUSTED
    expect(err?.details).toMatch(/larger than max \(\d+ vs 67108864\)/);
    expect(await logEnd()).toBe(before);
    expect(await checkHealth(cluster.brokers[0]!.address)).toBe('SERVING');
    expect(await produce(encodeRecordBatch([{ value: Buffer.from('after') }]))).toBe(0);
    expect(await logEnd()).toBe(before + 1);
  });

  it('a fetch with max_bytes 0 means the broker default, as documented, and returns records', async () => {
    const broker = createClient('BrokerService', cluster.brokers[0]!.address);
    try {
      const res = (await unary(broker, 'Fetch', {
        maxWaitMs: 100,
        minBytes: 0,
        maxBytes: 0,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 0 }] }],
      })) as { topics: { partitions: { errorCode: number; recordBatches: Buffer }[] }[] };
      const p = res.topics[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.recordBatches.length).toBeGreaterThan(0);
    } finally {
      broker.close();
    }
  });

  it('a topic of 100,000 partitions: INVALID_PARTITIONS naming the limit, nothing written to etcd', async () => {
    const controller = createClient('ControllerService', cluster.controllers[0]!.address);
    const name = `${topic}-huge`;
    const revision = Number((await etcd.ns.get('controller').exec()).header.revision);
    try {
      const res = (await unary(controller, 'CreateTopics', {
        topics: [{ name, numPartitions: 100_000, replicationFactor: 1 }],
      })) as { topics: { errorCode: number; errorMessage: string }[] };
      expect(res.topics[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
      expect(res.topics[0]!.errorMessage).toMatch(/100000 is over the limit of 10000 per topic/);
      const grow = (await unary(controller, 'CreatePartitions', {
        topics: [{ name: topic, count: 100_000 }],
      }).catch((e: grpc.ServiceError) => {
        throw fromGrpcError(e);
      })) as { topics: { errorCode: number; errorMessage: string }[] };
      expect(grow.topics[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    } finally {
      controller.close();
    }
    expect((await etcd.ns.get(keys.topicKey(name)).exec()).kvs).toHaveLength(0);
    const partitions = await etcd.ns.getAll().prefix(`partitions/${topic}/`).keys();
    expect(partitions).toHaveLength(1);
    expect(Number((await etcd.ns.get('controller').exec()).header.revision)).toBe(revision);
  });
});
