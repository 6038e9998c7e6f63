/**
 * The sender's drain over many partitions, through the real producer against an in-process
 * BrokerService that holds each produce request until the test acknowledges it: a request takes
 * at most `maxRequestSize` of batches, what does not fit keeps growing in the accumulator, and
 * partitions left out of one request go first in the next (none starves behind partitions that
 * always have data). docs/scale.md, eighth round.
 */
import * as grpc from '@grpc/grpc-js';
import {
  type BrokerServiceHandlers,
  getServiceDefinition,
  type MetadataResponse__Output,
  SERVER_OPTIONS,
} from '@tributary/proto';
import { readBatchHeader } from '@tributary/record-batch';
import { Producer } from './producer';
import type { ProducerOptions, RecordMetadata } from './types';

const PARTITIONS = 40;
/** 100-byte values: 112 bytes a record as the producer counts them (estimateRecordBytes). */
const VALUE = Buffer.alloc(100, 1);
const RECORD_BYTES = 112;

interface HeldRequest {
  /** Per partition of the request, in its order: how many records its batch holds. */
  readonly batches: { partition: number; records: number }[];
  write(): void;
}

describe('producer sender drain', () => {
  let server: grpc.Server;
  let port: number;
  let held: HeldRequest[] = [];
  const nextOffset = new Map<number, number>();
  const producers: Producer[] = [];

  beforeAll(async () => {
    const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
      callback({ code: grpc.status.UNIMPLEMENTED } as grpc.ServiceError);
    const handlers: BrokerServiceHandlers = {
      Metadata: unimplemented,
      Produce: unimplemented,
      Fetch: unimplemented,
      ListOffsets: unimplemented,
      FetchStream: (call) => call.end(),
      ProduceStream(call) {
        call.on('data', (request) => {
          const topics = request.request.topics as {
            topic: string;
            partitions: { partition: number; recordBatches: Buffer }[];
          }[];
          const batches: HeldRequest['batches'] = [];
          // Offsets per partition in arrival order, as a leader appends.
          const answer = topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => {
              const records = readBatchHeader(p.recordBatches).recordCount;
              batches.push({ partition: p.partition, records });
              const baseOffset = nextOffset.get(p.partition) ?? 0;
              nextOffset.set(p.partition, baseOffset + records);
              return {
                partition: p.partition,
                errorCode: 0 as const,
                baseOffset,
                logAppendTimeMs: -1,
                logStartOffset: 0,
              };
            }),
          }));
          held.push({
            batches,
            write: () => call.write({ correlationId: request.correlationId, response: { topics: answer } }),
          });
        });
        call.on('end', () => call.end());
      },
    };
    server = new grpc.Server(SERVER_OPTIONS);
    server.addService(getServiceDefinition('BrokerService'), handlers as grpc.UntypedServiceImplementation);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
  });

  beforeEach(() => {
    held = [];
    nextOffset.clear();
  });

  afterEach(async () => {
    const open = producers.splice(0);
    const acking = setInterval(ackAll, 5);
    try {
      await Promise.all(open.map((p) => p.disconnect()));
    } finally {
      clearInterval(acking);
    }
  });

  afterAll(() => server.forceShutdown());

  function producer(options: ProducerOptions = {}): Producer {
    const metadata = async (): Promise<MetadataResponse__Output> =>
      ({
        brokers: [{ brokerId: 0, host: '127.0.0.1', port, rack: '' }],
        topics: [
          {
            name: 'orders',
            errorCode: 0,
            errorMessage: '',
            partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({
              partition,
              leaderId: 0,
              leaderEpoch: '1',
              replicas: [0],
              isr: [0],
            })),
          },
        ],
      }) as unknown as MetadataResponse__Output;
    const p = new Producer({ metadata, acks: 1, idempotent: false, lingerMs: 0, ...options });
    producers.push(p);
    return p;
  }

  function ackAll(): void {
    for (const r of held.splice(0)) r.write();
  }

  async function settle(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** One record to each of `partitions`, as one send. */
  function sendTo(p: Producer, partitions: number[]): Promise<RecordMetadata[]> {
    return p.send({
      topic: 'orders',
      messages: partitions.map((partition) => ({ partition, value: VALUE })),
    });
  }

  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  it('fills a request up to maxRequestSize, serves the partitions left out first, and lets their batches grow meanwhile', async () => {
    // Ten one-record batches a request, one request in flight.
    const p = producer({ maxRequestSize: 10 * RECORD_BYTES, maxInFlightRequestsPerBroker: 1 });
    await p.connect();
    const sends = [sendTo(p, range(0, PARTITIONS))];
    await settle(() => held.length === 1);
    // Every partition gets records again while the first request is out: 0-9 open new batches,
    // 10-39 add to the batches the first request had no room for.
    sends.push(sendTo(p, range(0, PARTITIONS)));
    const requests: HeldRequest['batches'][] = [];
    while (requests.length < 8) {
      await settle(() => held.length === 1);
      const r = held.shift()!;
      requests.push(r.batches);
      r.write();
    }
    // 10-39 waited and took the second send's records (one batch of two records each, five of
    // them a request), then 0-9 come back with their second batch: no partition is served twice
    // before every other one was served once.
    expect(requests.map((r) => r.map((b) => b.partition))).toEqual([
      range(0, 10),
      range(10, 15),
      range(15, 20),
      range(20, 25),
      range(25, 30),
      range(30, 35),
      range(35, 40),
      range(0, 10),
    ]);
    expect(requests.map((r) => r.map((b) => b.records).join(','))).toEqual([
      Array(10).fill(1).join(','),
      ...Array(6).fill(Array(5).fill(2).join(',')),
      Array(10).fill(1).join(','),
    ]);
    const results = await Promise.all(sends);
    // Per partition, the offsets follow the sends' order.
    for (let partition = 0; partition < PARTITIONS; partition++)
      expect(results.map((r) => r[partition]!.offset)).toEqual([0, 1]);
  });

  it('keeps no more than the free requests can carry in flight: the rest waits in the accumulator', async () => {
    const p = producer({ maxRequestSize: 10 * RECORD_BYTES, maxInFlightRequestsPerBroker: 2 });
    await p.connect();
    const send = sendTo(p, range(0, PARTITIONS));
    await settle(() => held.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held.map((r) => r.batches.map((b) => b.partition))).toEqual([range(0, 10), range(10, 20)]);
    const acking = setInterval(ackAll, 2);
    try {
      expect((await send).map((m) => m.offset)).toEqual(Array.from({ length: PARTITIONS }, () => 0));
    } finally {
      clearInterval(acking);
    }
  });
});
