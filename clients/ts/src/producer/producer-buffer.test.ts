/**
 * The producer's `bufferMemory` bound through the real producer and sender: an in-process
 * BrokerService holds every produce request until the test acknowledges it, giving offsets in
 * the order records arrived, so the tests see what was accepted, what waited and in which order.
 */
import * as grpc from '@grpc/grpc-js';
import { BufferExhaustedError, MessageTooLargeError } from '@tributary/errors';
import {
  type BrokerServiceHandlers,
  getServiceDefinition,
  type MetadataResponse__Output,
  SERVER_OPTIONS,
} from '@tributary/proto';
import { readBatchHeader } from '@tributary/record-batch';
import { errorHint } from '../errors';
import { Producer } from './producer';
import type { ProducerOptions, RecordMetadata } from './types';

/** A value of 100 bytes: 112 bytes a record as the producer counts (no key, no headers). */
const VALUE = Buffer.alloc(100, 1);
const RECORD_BYTES = 112;
/** Five records a send: 560 bytes; a buffer of 2,000 bytes holds three sends. */
const messages = () => Array.from({ length: 5 }, () => ({ value: VALUE }));
const BUFFER = 2000;

interface HeldRequest {
  write(): void;
  records: number;
}

describe('producer bufferMemory', () => {
  let server: grpc.Server;
  let port: number;
  let held: HeldRequest[] = [];
  /** Records the broker has received (acknowledged or not), and the next offset it gives. */
  let received = 0;
  let nextOffset = 0;
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
          let records = 0;
          // Offsets in arrival order, as a leader appends.
          const partitions = topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => {
              const count = readBatchHeader(p.recordBatches).recordCount;
              records += count;
              const baseOffset = nextOffset;
              nextOffset += count;
              return {
                partition: p.partition,
                errorCode: 0 as const,
                baseOffset,
                logAppendTimeMs: -1,
                logStartOffset: 0,
              };
            }),
          }));
          received += records;
          held.push({
            records,
            write: () =>
              call.write({ correlationId: request.correlationId, response: { topics: partitions } }),
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
    received = 0;
    nextOffset = 0;
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
            partitions: [{ partition: 0, leaderId: 0, leaderEpoch: '1', replicas: [0], isr: [0] }],
          },
        ],
      }) as unknown as MetadataResponse__Output;
    const p = new Producer({
      metadata,
      acks: 1,
      idempotent: false,
      lingerMs: 0,
      bufferMemory: BUFFER,
      ...options,
    });
    producers.push(p);
    return p;
  }

  function ackAll(): void {
    for (const r of held.splice(0)) r.write();
  }

  /** Lets the producer's setImmediate drains and the loopback gRPC round trips run. */
  async function settle(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  it('accepts sends up to bufferMemory, holds the next ones, and appends them in call order as acks free room', async () => {
    const p = producer();
    await p.connect();
    const sends: Promise<RecordMetadata[]>[] = [];
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      const send = p.send({ topic: 'orders', messages: messages() });
      void send.then(() => order.push(i));
      sends.push(send);
    }
    await settle(() => received === 15);
    // Three sends (1,680 bytes) fit in 2,000; the other three wait and reach no broker.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toBe(15);
    expect(p.bufferedBytes).toBe(15 * RECORD_BYTES);
    let maxBuffered = p.bufferedBytes;
    // Acknowledge whatever arrives, one request at a time, watching the bound.
    while (order.length < 6) {
      await settle(() => held.length > 0 || order.length === 6);
      held.shift()?.write();
      maxBuffered = Math.max(maxBuffered, p.bufferedBytes);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(maxBuffered).toBeLessThanOrEqual(BUFFER);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    const offsets = (await Promise.all(sends)).map((r) => r.map((m) => m.offset));
    expect(offsets.flat()).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(p.bufferedBytes).toBe(0);
  });

  it('rejects a send that waited maxBlockMs with BufferExhaustedError; what was accepted is delivered, in order', async () => {
    const p = producer({ maxBlockMs: 200 });
    await p.connect();
    const accepted = [0, 1, 2].map(() => p.send({ topic: 'orders', messages: messages() }));
    const started = Date.now();
    const waiting = p.send({ topic: 'orders', messages: messages() });
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BufferExhaustedError);
    expect(errorHint(err)).toContain('waitForBufferSpace');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(received).toBe(15);
    ackAll();
    const offsets = (await Promise.all(accepted)).map((r) => r.map((m) => m.offset));
    expect(offsets.flat()).toEqual(Array.from({ length: 15 }, (_, i) => i));
    // The room is back: the next send is accepted and follows the others.
    const next = p.send({ topic: 'orders', messages: messages() });
    await settle(() => held.length > 0);
    ackAll();
    expect((await next).map((m) => m.offset)).toEqual([15, 16, 17, 18, 19]);
    expect(received).toBe(20);
  });

  it('rejects at once a send larger than bufferMemory, taking nothing of the buffer', async () => {
    const p = producer({ maxBlockMs: 60_000 });
    await p.connect();
    const big = Array.from({ length: 18 }, () => ({ value: VALUE })); // 2,016 bytes
    const err = await p.send({ topic: 'orders', messages: big }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect((err as Error).message).toBe(
      'The send is 2016 bytes, over the limit of 2000 bytes (bufferMemory).',
    );
    expect(errorHint(err)).toContain("raise the producer's bufferMemory");
    expect(p.bufferedBytes).toBe(0);
    expect(received).toBe(0);
  });

  it('resolves waitForBufferSpace when acks free room, and flush covers the sends still waiting', async () => {
    const p = producer();
    await p.connect();
    const results: Promise<RecordMetadata[]>[] = [];
    let waited = 0;
    // A fire-and-forget loop: no count of outstanding sends, only the producer's bound.
    const loop = (async () => {
      for (let i = 0; i < 8; i++) {
        if (p.bufferedBytes + 5 * RECORD_BYTES > BUFFER) waited++;
        await p.waitForBufferSpace();
        results.push(p.send({ topic: 'orders', messages: messages() }));
        expect(p.bufferedBytes).toBeLessThanOrEqual(BUFFER);
      }
    })();
    await settle(() => received === 15);
    expect(results.length).toBeLessThan(8);
    const acking = setInterval(ackAll, 5);
    try {
      await loop;
      await p.flush();
    } finally {
      clearInterval(acking);
    }
    expect(waited).toBeGreaterThan(0);
    const offsets = (await Promise.all(results)).map((r) => r.map((m) => m.offset));
    expect(offsets.flat()).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(received).toBe(40);
    expect(p.bufferedBytes).toBe(0);
  });
});
