import { connect, type Socket } from 'node:net';
import { waitFor } from '@tributary/test-kit';
import { type KafkaCompatCluster, startKafkaCompatCluster, unique } from './kafka-cluster';

/**
 * Issue 21 item 3: bad input on the Kafka listener. An oversized frame, an unknown API key, an
 * unsupported version and a truncated request each get what Kafka's broker gives them (a closed
 * connection; for ApiVersions an UNSUPPORTED_VERSION answer), logged once; nothing is stored and
 * a well-behaved connection on the same broker carries on.
 */
jest.setTimeout(120_000);

/** A raw client connection that collects response frames. */
class RawConnection {
  readonly frames: Buffer[] = [];
  closed = false;
  #buf = Buffer.alloc(0);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      while (this.#buf.length >= 4 && this.#buf.length >= 4 + this.#buf.readInt32BE(0)) {
        const size = this.#buf.readInt32BE(0);
        this.frames.push(this.#buf.subarray(4, 4 + size));
        this.#buf = this.#buf.subarray(4 + size);
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  static open(address: string): Promise<RawConnection> {
    const [host, port] = address.split(':');
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), host!, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A request frame: size, api key, version, correlation id, client id, then `body`. */
function request(
  apiKey: number,
  version: number,
  correlationId: number,
  body: Buffer,
  flexible = false,
): Buffer {
  const clientId = Buffer.from('bad-input-test');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const parts = [header, clientId, ...(flexible ? [Buffer.from([0])] : []), body];
  const size = Buffer.alloc(4);
  size.writeInt32BE(parts.reduce((n, p) => n + p.length, 0));
  return Buffer.concat([size, ...parts]);
}

/** ApiVersions v0 (empty body). */
const apiVersions = (correlationId: number) => request(18, 0, correlationId, Buffer.alloc(0));

/** A classic-encoded string. */
const str = (s: string) => {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
};

describe('bad input on the Kafka listener', () => {
  let c: KafkaCompatCluster;

  beforeAll(async () => {
    c = await startKafkaCompatCluster(1);
  });

  afterAll(async () => {
    await c?.stop();
  });

  const logLines = (fragment: string) =>
    (c.cluster.brokers[0]!.process?.stdout ?? '').split('\n').filter((l) => l.includes(fragment)).length;

  it('closes connections that send garbage, answers a bad ApiVersions version, stores nothing, and others carry on', async () => {
    const address = c.kafkaBootstrap[0]!;
    const topic = unique('bad-input');
    await c.createTopic(topic, 1, 1);
    const good = await RawConnection.open(address);
    good.send(apiVersions(1));
    await waitFor(() => good.frames.length === 1, { timeoutMs: 10_000 });
    expect(good.frames[0]!.readInt32BE(0)).toBe(1); // correlation id
    expect(good.frames[0]!.readInt16BE(4)).toBe(0); // error code NONE

    // An oversized frame: the size prefix alone closes the connection.
    const oversized = await RawConnection.open(address);
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(0x7fffffff);
    oversized.send(huge);
    await waitFor(() => oversized.closed, { timeoutMs: 10_000 });

    // An API key Tributary does not serve.
    const unknownKey = await RawConnection.open(address);
    unknownKey.send(request(999, 0, 5, Buffer.alloc(0)));
    await waitFor(() => unknownKey.closed, { timeoutMs: 10_000 });

    // ApiVersions at a version from the future: UNSUPPORTED_VERSION (35) with the versions served.
    const future = await RawConnection.open(address);
    future.send(request(18, 99, 7, Buffer.alloc(0)));
    await waitFor(() => future.frames.length === 1, { timeoutMs: 10_000 });
    expect(future.frames[0]!.readInt16BE(4)).toBe(35);
    expect(future.frames[0]!.readInt32BE(6)).toBeGreaterThan(5); // api_keys array length
    expect(future.closed).toBe(false);
    future.close();

    // A Produce v3 whose record bytes are cut short: closed, nothing appended.
    const body = Buffer.concat([
      Buffer.from([0xff, 0xff]), // transactional id: null
      Buffer.from([0xff, 0xff]), // acks -1
      Buffer.from([0, 0, 0x75, 0x30]), // timeout
      Buffer.from([0, 0, 0, 1]),
      str(topic),
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]), // one partition: 0
      Buffer.from([0, 0, 0x10, 0]), // records: 4096 bytes claimed ...
      Buffer.alloc(100), // ... 100 sent
    ]);
    const truncated = await RawConnection.open(address);
    truncated.send(request(0, 3, 9, body));
    await waitFor(() => truncated.closed, { timeoutMs: 10_000 });
    const offsets = await waitFor(() => c.tributary.admin().fetchTopicOffsets(topic), { timeoutMs: 30_000 });
    expect(offsets).toEqual([{ partition: 0, earliest: 0, latest: 0 }]);

    // The well-behaved connection was never disturbed.
    good.send(apiVersions(2));
    await waitFor(() => good.frames.length === 2, { timeoutMs: 10_000 });
    expect(good.frames[1]!.readInt32BE(0)).toBe(2);
    expect(good.closed).toBe(false);
    good.close();

    // Each bad connection was logged once.
    await waitFor(() => logLines('kafka listener:') >= 3, { timeoutMs: 10_000 });
    expect(logLines('request frame size out of range')).toBe(1);
    expect(logLines('unsupported API key or version')).toBe(1);
    expect(logLines('malformed request')).toBe(1);
  });
});
