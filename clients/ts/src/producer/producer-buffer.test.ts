/**
 * The producer's `bufferMemory` bound through the real producer and sender: an in-process
 * BrokerService holds every produce request until the test acknowledges it, giving offsets in
 * the order records arrived, so the tests see what was accepted, what waited and in which order.
 */
import { BufferExhaustedError, MessageTooLargeError } from '@tributary/errors';
import { errorHint } from '../errors';
import { HoldingBroker, until } from './holding-broker.test-support';
import type { ProducerOptions, RecordMetadata } from './types';

/** A value of 100 bytes: 112 bytes a record as the producer counts (no key, no headers). */
const VALUE = Buffer.alloc(100, 1);
const RECORD_BYTES = 112;
/** Five records a send: 560 bytes; a buffer of 2,000 bytes holds three sends. */
const messages = () => Array.from({ length: 5 }, () => ({ value: VALUE }));
const BUFFER = 2000;

describe('producer bufferMemory', () => {
  const broker = new HoldingBroker('orders', 1);
  const { held } = broker;
  const producer = (options: ProducerOptions = {}) => broker.producer({ bufferMemory: BUFFER, ...options });

  beforeAll(() => broker.start());
  afterEach(() => broker.reset());
  afterAll(() => broker.stop());

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
    await until(() => broker.received === 15);
    // Three sends (1,680 bytes) fit in 2,000; the other three wait and reach no broker.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(broker.received).toBe(15);
    expect(p.bufferedBytes).toBe(15 * RECORD_BYTES);
    let maxBuffered = p.bufferedBytes;
    // Acknowledge whatever arrives, one request at a time, watching the bound.
    while (order.length < 6) {
      await until(() => held.length > 0 || order.length === 6);
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
    expect(broker.received).toBe(15);
    broker.ackAll();
    const offsets = (await Promise.all(accepted)).map((r) => r.map((m) => m.offset));
    expect(offsets.flat()).toEqual(Array.from({ length: 15 }, (_, i) => i));
    // The room is back: the next send is accepted and follows the others.
    const next = p.send({ topic: 'orders', messages: messages() });
    await until(() => held.length > 0);
    broker.ackAll();
    expect((await next).map((m) => m.offset)).toEqual([15, 16, 17, 18, 19]);
    expect(broker.received).toBe(20);
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
    expect(broker.received).toBe(0);
  });

  it('rejects a send with a malformed record before any record of it is appended', async () => {
    // Records are encoded when appended: the checks come first, so none of the call is sent.
    const p = producer();
    await p.connect();
    for (const bad of [
      { value: 42 },
      { value: VALUE, timestamp: 1.5 },
      { value: VALUE, headers: { h: 7 } },
    ]) {
      const err = await p
        .send({ topic: 'orders', messages: [...messages(), bad as unknown as { value: Buffer }] })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ errorName: expect.stringMatching(/^INVALID_(RECORD|TIMESTAMP)$/) });
      expect((err as Error).message).toContain('Record 5');
    }
    expect(p.bufferedBytes).toBe(0);
    await p.flush();
    expect(broker.received).toBe(0);
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
    await until(() => broker.received === 15);
    expect(results.length).toBeLessThan(8);
    const acking = setInterval(() => broker.ackAll(), 5);
    try {
      await loop;
      await p.flush();
    } finally {
      clearInterval(acking);
    }
    expect(waited).toBeGreaterThan(0);
    const offsets = (await Promise.all(results)).map((r) => r.map((m) => m.offset));
    expect(offsets.flat()).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(broker.received).toBe(40);
    expect(p.bufferedBytes).toBe(0);
  });
});
