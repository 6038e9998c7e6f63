/** The producer's memory bound on its own: room, FIFO order of waiting sends, timeouts. */
import { BufferExhaustedError, MessageTooLargeError } from '@tributary/errors';
import { BufferMemory } from './buffer-memory';

afterEach(() => jest.useRealTimers());

/** Acquires `bytes` and records when it was granted or failed, by name. */
function sender(memory: BufferMemory, log: string[]) {
  return (name: string, bytes: number) =>
    memory.acquire(
      bytes,
      () => log.push(`granted ${name}`),
      (err) => log.push(`failed ${name}: ${err.name}`),
    );
}

describe('BufferMemory', () => {
  it('grants at once while there is room and queues a send that does not fit', () => {
    const log: string[] = [];
    const memory = new BufferMemory(100, 60_000);
    const send = sender(memory, log);
    send('a', 60);
    send('b', 40);
    expect(log).toEqual(['granted a', 'granted b']);
    expect(memory.used).toBe(100);
    expect(memory.full).toBe(true);
    jest.useFakeTimers();
    send('c', 1);
    expect(log).toHaveLength(2);
    expect(memory.waiting).toBe(1);
    expect(memory.used).toBe(100);
  });

  it('grants waiting sends in call order, a small one never before a large one ahead of it', () => {
    jest.useFakeTimers();
    const log: string[] = [];
    const memory = new BufferMemory(100, 60_000);
    const send = sender(memory, log);
    send('a', 90);
    send('big', 50);
    send('small', 10); // would fit (90 + 10) but waits behind `big`
    expect(log).toEqual(['granted a']);
    memory.release(30); // 60 used: `small` would fit, `big` does not: neither moves
    expect(log).toEqual(['granted a']);
    memory.release(20); // 40 used: `big` fits, then `small` too
    expect(log).toEqual(['granted a', 'granted big', 'granted small']);
    expect(memory.used).toBe(100);
    expect(memory.waiting).toBe(0);
  });

  it('keeps used within the limit however releases and waits interleave', () => {
    jest.useFakeTimers();
    const memory = new BufferMemory(1000, 60_000);
    let max = 0;
    const held: number[] = [];
    const sizes = [300, 500, 200, 700, 100, 400, 1000, 50, 950, 10];
    for (const size of sizes)
      memory.acquire(
        size,
        () => {
          held.push(size);
          max = Math.max(max, memory.used);
        },
        () => undefined,
      );
    const grantedOrder: number[] = [];
    while (held.length > 0) {
      const size = held.shift()!;
      grantedOrder.push(size);
      memory.release(size);
    }
    expect(grantedOrder).toEqual(sizes);
    expect(max).toBeLessThanOrEqual(1000);
    expect(memory.used).toBe(0);
  });

  it('fails a send that waited maxBlockMs, grants nothing of it, and lets the next ones move', () => {
    jest.useFakeTimers();
    const log: string[] = [];
    const memory = new BufferMemory(100, 500);
    const send = sender(memory, log);
    send('a', 80);
    send('big', 50);
    jest.advanceTimersByTime(100);
    send('small', 20); // fits beside `a`, but `big` is ahead
    jest.advanceTimersByTime(399);
    expect(log).toEqual(['granted a']);
    jest.advanceTimersByTime(1); // `big` has waited 500 ms
    expect(log).toEqual(['granted a', 'failed big: BufferExhaustedError', 'granted small']);
    expect(memory.used).toBe(100);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('says how much was needed and free in the timeout error', () => {
    jest.useFakeTimers();
    const memory = new BufferMemory(100, 500);
    let error: BufferExhaustedError | undefined;
    memory.acquire(
      70,
      () => undefined,
      () => undefined,
    );
    memory.acquire(
      50,
      () => undefined,
      (err) => {
        error = err;
      },
    );
    jest.advanceTimersByTime(500);
    expect(error).toBeInstanceOf(BufferExhaustedError);
    expect(error?.retriable).toBe(true);
    expect(error?.message).toContain('Failed to allocate 50 bytes');
    expect(error?.message).toContain('maxBlockMs (500 ms)');
    expect(error?.context).toMatchObject({ size: 50, bufferMemory: 100, availableBytes: 30 });
  });

  it('with maxBlockMs 0 fails at once when there is no room', () => {
    const log: string[] = [];
    const memory = new BufferMemory(100, 0);
    const send = sender(memory, log);
    send('a', 100);
    send('b', 1);
    expect(log).toEqual(['granted a', 'failed b: BufferExhaustedError']);
    expect(memory.waiting).toBe(0);
  });

  it('refuses a send larger than the whole buffer at once', () => {
    const memory = new BufferMemory(100, 60_000);
    expect(() =>
      memory.acquire(
        101,
        () => undefined,
        () => undefined,
      ),
    ).toThrow(MessageTooLargeError);
    expect(() =>
      memory.acquire(
        101,
        () => undefined,
        () => undefined,
      ),
    ).toThrow('The send is 101 bytes, over the limit of 100 bytes (bufferMemory).');
    expect(memory.used).toBe(0);
    expect(memory.waiting).toBe(0);
  });

  it('resolves whenRoom only once nobody waits and there is room', async () => {
    jest.useFakeTimers();
    const memory = new BufferMemory(100, 60_000);
    await memory.whenRoom(); // empty: at once
    memory.acquire(
      100,
      () => undefined,
      () => undefined,
    );
    memory.acquire(
      30,
      () => undefined,
      () => undefined,
    );
    let room = false;
    void memory.whenRoom().then(() => {
      room = true;
    });
    let queued = false;
    void memory.queued().then(() => {
      queued = true;
    });
    memory.release(20); // 80 used: room, but the 30 still waits
    await Promise.resolve();
    expect(room).toBe(false);
    expect(queued).toBe(false);
    memory.release(30); // 30 granted: 80 used, nobody waits
    await Promise.resolve();
    expect(memory.used).toBe(80);
    expect(room).toBe(true);
    expect(queued).toBe(true);
  });
});
