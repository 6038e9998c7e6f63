/**
 * The sender's drain over many partitions, through the real producer against an in-process
 * BrokerService that holds each produce request until the test acknowledges it: a request takes
 * at most `maxRequestSize` of batches, what does not fit keeps growing in the accumulator, and
 * partitions left out of one request go first in the next (none starves behind partitions that
 * always have data). docs/scale.md, eighth round.
 */
import { type HeldRequest, HoldingBroker, until } from './holding-broker.test-support';
import type { Producer } from './producer';
import type { RecordMetadata } from './types';

const PARTITIONS = 40;
/** 100-byte values: 112 bytes a record as the producer counts them (estimateRecordBytes). */
const VALUE = Buffer.alloc(100, 1);
const RECORD_BYTES = 112;

describe('producer sender drain', () => {
  const broker = new HoldingBroker('orders', PARTITIONS);
  const { held } = broker;

  beforeAll(() => broker.start());
  afterEach(() => broker.reset());
  afterAll(() => broker.stop());

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
    const p = broker.producer({ maxRequestSize: 10 * RECORD_BYTES, maxInFlightRequestsPerBroker: 1 });
    await p.connect();
    const sends = [sendTo(p, range(0, PARTITIONS))];
    await until(() => held.length === 1);
    // Every partition gets records again while the first request is out: 0-9 open new batches,
    // 10-39 add to the batches the first request had no room for.
    sends.push(sendTo(p, range(0, PARTITIONS)));
    const requests: HeldRequest['batches'][] = [];
    while (requests.length < 8) {
      await until(() => held.length === 1);
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
    const p = broker.producer({ maxRequestSize: 10 * RECORD_BYTES, maxInFlightRequestsPerBroker: 2 });
    await p.connect();
    const send = sendTo(p, range(0, PARTITIONS));
    await until(() => held.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held.map((r) => r.batches.map((b) => b.partition))).toEqual([range(0, 10), range(10, 20)]);
    const acking = setInterval(() => broker.ackAll(), 2);
    try {
      expect((await send).map((m) => m.offset)).toEqual(Array.from({ length: PARTITIONS }, () => 0));
    } finally {
      clearInterval(acking);
    }
  });
});
