import { ChannelCredentials } from '@grpc/grpc-js';
import { consumerWithDefaults } from './consumer/consumer-options';
import { describeError, TributaryError } from './errors';
import { withDefaults } from './options';

describe('withDefaults', () => {
  it('fills in every client default', () => {
    expect(withDefaults()).toEqual({
      bootstrap: ['127.0.0.1:9092'],
      clientId: 'tributary-ts',
      requestTimeoutMs: 30_000,
      retry: {
        retries: Number.MAX_SAFE_INTEGER,
        initialRetryTimeMs: 100,
        maxRetryTimeMs: 5000,
        multiplier: 2,
        jitter: 0.2,
        timeoutMs: 60_000,
      },
      credentials: expect.any(ChannelCredentials),
    });
    expect(withDefaults().credentials._isSecure()).toBe(false);
    expect(withDefaults({ bootstrap: ['h:1'], retry: { retries: 0 } })).toMatchObject({
      bootstrap: ['h:1'],
      retry: { retries: 0, initialRetryTimeMs: 100 },
    });
  });

  it('makes TLS credentials from tls, and names the setting when a file is missing', () => {
    expect(withDefaults({ tls: {} }).credentials._isSecure()).toBe(true);
    expect(() => withDefaults({ tls: { caFile: '/nonexistent/ca.crt' } })).toThrow(
      /Invalid configuration tls: cannot read the TLS CA file \/nonexistent\/ca.crt/,
    );
    expect(() => withDefaults({ tls: { certFile: '/x.crt' } })).toThrow(/give both or neither/);
  });

  it('names the bad option', () => {
    expect(() => withDefaults({ bootstrap: [] })).toThrow(/bootstrap/);
    expect(() => withDefaults({ bootstrap: ['localhost'] })).toThrow(/"localhost" is not host:port/);
    expect(() => withDefaults({ requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/);
    expect(() => withDefaults({ retry: { retries: -1 } })).toThrow(/retry.retries/);
  });
});

describe('consumerWithDefaults', () => {
  it('fills in every consumer default', () => {
    const o = consumerWithDefaults();
    expect({ ...o, keyDeserializer: undefined, valueDeserializer: undefined }).toEqual({
      groupId: undefined,
      groupInstanceId: '',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      maxPollIntervalMs: 300_000,
      assignors: ['cooperative-sticky', 'range', 'roundrobin'],
      autoCommit: true,
      autoCommitIntervalMs: 5000,
      autoOffsetReset: 'latest',
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 4 * 1024 * 1024,
      partitionMaxBytes: 1024 * 1024,
      maxPrefetchBytes: 16 * 1024 * 1024,
      keyDeserializer: undefined,
      valueDeserializer: undefined,
    });
    const b = Buffer.from('x');
    expect(o.valueDeserializer(b, 't')).toBe(b);
  });

  it('names the bad option', () => {
    expect(() => consumerWithDefaults({ groupId: '' })).toThrow(/groupId/);
    expect(() => consumerWithDefaults({ autoOffsetReset: 'middle' as 'earliest' })).toThrow(
      /autoOffsetReset/,
    );
    expect(() => consumerWithDefaults({ maxPrefetchBytes: 0 })).toThrow(/maxPrefetchBytes/);
    expect(() => consumerWithDefaults({ assignors: [] })).toThrow(/assignors/);
  });
});

describe('describeError', () => {
  it('says what failed and what to do, on one line', () => {
    const line = describeError(
      new TributaryError('TOPIC_ALREADY_EXISTS', 'Topic orders already exists.\nreally'),
    );
    expect(line).toBe(
      'TOPIC_ALREADY_EXISTS: Topic orders already exists. really. Pick another name, or delete the topic first (`tributary topics delete NAME`).',
    );
    expect(describeError(new Error('plain'))).toBe('plain');
  });
});
