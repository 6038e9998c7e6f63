/**
 * Shape of the accumulator at many partitions (issue 13): lingering batches share one timer, so
 * records spread by key over 1,000 partitions cost no timer per partition (or per record).
 */
import type { RecordInput } from '@tributary/record-batch';
import { RecordAccumulator } from './accumulator';
import type { SendCall } from './batch';
import { producerDefaults } from './options';

const PARTITIONS = 1000;
/** Room for everything these tests append. */
const MEMORY = { bufferMemory: 1 << 30, maxBlockMs: 60_000 };

function call(): SendCall {
  return {
    results: [],
    timestamp: 0,
    timestamps: undefined,
    remaining: 1,
    settled: false,
    resolve: () => undefined,
    reject: () => undefined,
  };
}

const record = (bytes = 10): RecordInput => ({ key: null, value: Buffer.alloc(bytes), timestamp: 0 });

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('RecordAccumulator lingering', () => {
  it('arms one timer for batches opened on 1,000 partitions and seals them all when it fires', () => {
    jest.useFakeTimers();
    const timeouts = jest.spyOn(global, 'setTimeout');
    let sealed = 0;
    const acc = new RecordAccumulator(
      { batchSize: 1 << 20, lingerMs: 5, deliveryTimeoutMs: 60_000, ...MEMORY },
      () => {
        sealed++;
      },
    );
    for (let p = 0; p < PARTITIONS; p++) acc.append('t', p, record(), call(), 0);
    expect(timeouts).toHaveBeenCalledTimes(1);
    expect(acc.lingeringCount).toBe(PARTITIONS);
    jest.advanceTimersByTime(4);
    expect(sealed).toBe(0);
    jest.advanceTimersByTime(1);
    expect(sealed).toBe(PARTITIONS);
    expect(acc.pending.size).toBe(PARTITIONS);
    expect(acc.lingeringCount).toBe(0);
  });

  it('seals a batch opened after a full one at its own linger end, not at the full one’s', () => {
    jest.useFakeTimers();
    const acc = new RecordAccumulator(
      { batchSize: 100, lingerMs: 5, deliveryTimeoutMs: 60_000, ...MEMORY },
      () => undefined,
    );
    acc.append('t', 0, record(200), call(), 0); // over batchSize: sealed at once
    const pq = acc.partition('t', 0);
    expect(pq.queue).toHaveLength(1);
    jest.advanceTimersByTime(3);
    acc.append('t', 1, record(), call(), 0); // keeps the timer going past the first entry
    pq.queue.length = 0; // as if sent, so the next record opens a new batch
    acc.append('t', 0, record(), call(), 0);
    const open = pq.open;
    expect(open).toBeDefined();
    jest.advanceTimersByTime(2); // the first batch's linger ends: its entry is stale
    expect(pq.open).toBe(open);
    jest.advanceTimersByTime(3);
    expect(pq.open).toBeUndefined();
    expect(pq.queue).toEqual([open]);
  });

  it('with lingerMs 0 seals every partition of a tick on one setImmediate', async () => {
    const immediates = jest.spyOn(global, 'setImmediate');
    let sealed = 0;
    const acc = new RecordAccumulator(
      { batchSize: 1 << 20, lingerMs: 0, deliveryTimeoutMs: 60_000, ...MEMORY },
      () => {
        sealed++;
      },
    );
    for (let p = 0; p < PARTITIONS; p++) acc.append('t', p, record(), call(), 0);
    expect(immediates).toHaveBeenCalledTimes(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sealed).toBe(PARTITIONS);
  });

  it('sealAll leaves no timer behind', () => {
    jest.useFakeTimers();
    const acc = new RecordAccumulator(
      { batchSize: 1 << 20, lingerMs: 1000, deliveryTimeoutMs: 60_000, ...MEMORY },
      () => undefined,
    );
    for (let p = 0; p < 10; p++) acc.append('t', p, record(), call(), 0);
    void acc.sealAll();
    expect(jest.getTimerCount()).toBe(0);
    expect(acc.lingeringCount).toBe(0);
  });
});

describe('RecordAccumulator memory', () => {
  it('gives a batch’s bytes back to the memory bound once, when the batch is removed', () => {
    const acc = new RecordAccumulator(
      { batchSize: 1 << 20, lingerMs: 1000, deliveryTimeoutMs: 60_000, bufferMemory: 1000, maxBlockMs: 0 },
      () => undefined,
    );
    const r = record(100); // 112 bytes as estimated
    acc.memory.acquire(
      224,
      () => {
        acc.append('t', 0, r, call(), 0);
        acc.append('t', 0, { ...r }, call(), 0);
      },
      () => undefined,
    );
    void acc.sealAll();
    const pq = acc.partition('t', 0);
    const [b] = pq.queue;
    expect(b!.bytes).toBe(224);
    expect(acc.memory.used).toBe(224);
    acc.remove(pq, b!);
    expect(acc.memory.used).toBe(0);
    acc.remove(pq, b!);
    expect(acc.memory.used).toBe(0);
  });
});

describe('keyless records under the default partitioner', () => {
  it.each([
    [65536, 100],
    [16384, 1000],
    [1000, 37],
  ])('fill one whole batch per sticky run (batchSize %i, values of %i bytes)', (batchSize, valueBytes) => {
    // Kafka's KIP-794: the sticky partitioner moves on after batch.size bytes. Counted as the
    // accumulator counts them, each move leaves exactly one full batch and no small tail.
    const { partitioner } = producerDefaults({ batchSize });
    const acc = new RecordAccumulator(
      { batchSize, lingerMs: 60_000, deliveryTimeoutMs: 60_000, ...MEMORY },
      () => undefined,
    );
    const runs: number[] = [];
    const batches: number[][] = [];
    let current = -1;
    let run = 0;
    const value = Buffer.alloc(valueBytes);
    for (let i = 0; i < 20 * Math.ceil(batchSize / valueBytes); i++) {
      const p = partitioner({ topic: 't', key: null, value, partitionCount: 1000 });
      if (p !== current && run > 0) {
        const pq = acc.partition('t', current);
        runs.push(run);
        batches.push(pq.queue.map((b) => b.count));
        expect(pq.open).toBeUndefined(); // sealed when full: nothing left to linger
        pq.queue.length = 0; // as if sent
        run = 0;
      }
      current = p;
      run++;
      acc.append('t', p, { key: null, value, timestamp: 0 }, call(), 0);
    }
    expect(runs.length).toBeGreaterThanOrEqual(10);
    expect(batches).toEqual(runs.map((n) => [n]));
  });
});
