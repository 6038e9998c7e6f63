import { status } from '@grpc/grpc-js';
import { fromGrpcError, TributaryError } from '@tributary/errors';
import { Backoff, DEFAULT_RETRY_POLICY, isCancelled, retry, retryDelayMs } from './retry';

const fast = { ...DEFAULT_RETRY_POLICY, initialRetryTimeMs: 1, maxRetryTimeMs: 4 };

describe('retryDelayMs', () => {
  it('grows by the multiplier up to the cap, within the jitter', () => {
    const p = { initialRetryTimeMs: 100, maxRetryTimeMs: 1000, multiplier: 3, jitter: 0.2 };
    for (const [attempt, base] of [
      [0, 100],
      [1, 300],
      [2, 900],
      [3, 1000],
      [40, 1000],
    ] as const) {
      const d = retryDelayMs(p, attempt);
      expect(d).toBeGreaterThanOrEqual(base * 0.8);
      expect(d).toBeLessThanOrEqual(base * 1.2);
    }
  });

  it('has no spread without jitter', () => {
    expect(retryDelayMs({ initialRetryTimeMs: 10, maxRetryTimeMs: 50, multiplier: 2, jitter: 0 }, 2)).toBe(
      40,
    );
  });
});

describe('retry', () => {
  it('retries retriable errors until the attempt succeeds', async () => {
    let calls = 0;
    const result = await retry(fast, async () => {
      if (++calls < 3) throw new TributaryError('NOT_ENOUGH_REPLICAS');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('throws a non-retriable error at once', async () => {
    let calls = 0;
    await expect(
      retry(fast, async () => {
        calls++;
        throw new TributaryError('INVALID_TOPIC');
      }),
    ).rejects.toThrow(/Illegal topic name/);
    expect(calls).toBe(1);
  });

  it('stops after `retries`', async () => {
    let calls = 0;
    await expect(
      retry({ ...fast, retries: 2 }, async () => {
        calls++;
        throw new TributaryError('BROKER_NOT_AVAILABLE');
      }),
    ).rejects.toMatchObject({ errorName: 'BROKER_NOT_AVAILABLE' });
    expect(calls).toBe(3);
  });

  it('stops once the overall deadline has passed', async () => {
    const started = Date.now();
    await expect(
      retry({ ...fast, initialRetryTimeMs: 20, maxRetryTimeMs: 20, timeoutMs: 100 }, async () => {
        throw new TributaryError('REQUEST_TIMED_OUT');
      }),
    ).rejects.toMatchObject({ errorName: 'REQUEST_TIMED_OUT' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refreshes metadata before retrying an error the table marks so, and only then', async () => {
    const refreshed: string[] = [];
    const errors = [new TributaryError('NOT_LEADER_OR_FOLLOWER'), new TributaryError('NOT_ENOUGH_REPLICAS')];
    let calls = 0;
    await retry(
      fast,
      async () => {
        const e = errors[calls++];
        if (e !== undefined) throw e;
      },
      { refreshMetadata: () => refreshed.push(errors[calls - 1]!.errorName) },
    );
    expect(refreshed).toEqual(['NOT_LEADER_OR_FOLLOWER']);
  });
});

describe('cancellation', () => {
  it('is told by the gRPC code, whatever the message says', () => {
    const cancelled = Object.assign(new Error('whatever'), { code: status.CANCELLED, details: 'x' });
    const unavailable = Object.assign(new Error('Call cancelled'), {
      code: status.UNAVAILABLE,
      details: 'y',
    });
    expect(isCancelled(fromGrpcError(cancelled))).toBe(true);
    expect(isCancelled(fromGrpcError(unavailable))).toBe(false);
    expect(fromGrpcError(unavailable).errorName).toBe('BROKER_NOT_AVAILABLE');
  });
});

describe('Backoff', () => {
  it('counts failures and starts over after reset', () => {
    const b = new Backoff({ initialRetryTimeMs: 10, maxRetryTimeMs: 100, multiplier: 2, jitter: 0 });
    expect([b.next(), b.next(), b.next()]).toEqual([10, 20, 40]);
    expect(b.failures).toBe(3);
    b.reset();
    expect(b.next()).toBe(10);
  });
});
