import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { KafkaConnection } from './kafka-connection';
import { FETCH } from './messages/fetch';
import { readStruct, writeStruct } from './protocol/schema';
import { WireReader, WireWriter } from './protocol/wire';
import { KafkaSession } from './sasl/kafka-session';
import type { ServedApi } from './served-api';

interface FetchPartition {
  partition: number;
  partitionIndex: number;
  records: Buffer;
}
type FetchTopics = { partitions: FetchPartition[] }[];

// A Fetch response far larger than a socket write, so the corked pieces go out over many writes.
const records = Buffer.alloc(3 * 1024 * 1024);
for (let i = 0; i < records.length; i += 4) records.writeUInt32BE(i, i);

const fetchBody = (partitionIndex: number) => ({
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: [
    {
      topic: 'orders',
      partitions: [
        {
          partitionIndex,
          errorCode: 0,
          highWatermark: 10,
          lastStableOffset: 10,
          logStartOffset: 0,
          abortedTransactions: [],
          preferredReadReplica: -1,
          records,
        },
      ],
    },
  ],
});

function fetchRequest(correlationId: number, partition: number): Buffer {
  const w = new WireWriter().int32(0).int16(FETCH.key).int16(12).int32(correlationId);
  w.nullableString('test', false).uvarint(0);
  writeStruct(
    w,
    FETCH.request,
    {
      maxWaitMs: 500,
      minBytes: 1,
      topics: [
        {
          topic: 'orders',
          partitions: [{ partition, fetchOffset: 0, partitionMaxBytes: 1 << 20 }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
    12,
    true,
  );
  const frame = Buffer.from(w.bytes());
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Reads `count` response frames off `socket`. */
async function readFrames(socket: Socket, count: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  let pending = Buffer.alloc(0);
  for await (const chunk of socket) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = pending.readInt32BE(0);
      frames.push(pending.subarray(4, 4 + size));
      pending = pending.subarray(4 + size);
    }
    if (frames.length === count) break;
  }
  return frames;
}

describe('KafkaConnection responses', () => {
  let server: Server;
  const observed: { api: string; seconds: number; bytes: number }[] = [];

  beforeAll(async () => {
    const served = new Map<number, ServedApi>([
      [
        FETCH.key,
        {
          api: FETCH,
          handle: (body) => fetchBody((body['topics'] as FetchTopics)[0]!.partitions[0]!.partition),
        },
      ],
    ]);
    server = createServer((socket) => {
      new KafkaConnection({
        socket,
        served,
        maxFrameBytes: 1 << 20,
        logger: { warn() {}, debug() {} },
        session: new KafkaSession(undefined),
        observer: { responded: (api, seconds, bytes) => observed.push({ api, seconds, bytes }) },
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('writes large Fetch responses whole and in order, and reports each one', async () => {
    const address = server.address() as { port: number };
    const socket = new Socket();
    socket.connect(address.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(Buffer.concat([fetchRequest(1, 0), fetchRequest(2, 1)]));
    const frames = await readFrames(socket, 2);
    socket.destroy();

    expect(frames.map((f) => f.readInt32BE(0))).toEqual([1, 2]);
    frames.forEach((frame, i) => {
      const r = new WireReader(frame.subarray(4));
      expect(r.uvarint()).toBe(0); // response header v1: no tagged fields
      const body = readStruct(r, FETCH.response, 12, true);
      const partition = (body['responses'] as FetchTopics)[0]!.partitions[0]!;
      expect(partition.partitionIndex).toBe(i);
      expect(partition.records.equals(records)).toBe(true);
      expect(r.remaining).toBe(0);
    });
    expect(observed.map((o) => [o.api, o.bytes])).toEqual(frames.map((f) => ['Fetch', f.length + 4]));
    for (const o of observed) expect(o.seconds).toBeGreaterThan(0);
  });

  it('reads requests that arrive in pieces: a split size prefix, a body over many chunks, two in one chunk', async () => {
    const address = server.address() as { port: number };
    const socket = new Socket();
    socket.setNoDelay(true);
    socket.connect(address.port, '127.0.0.1');
    await once(socket, 'connect');
    const bytes = Buffer.concat([fetchRequest(7, 3), fetchRequest(8, 4), fetchRequest(9, 5)]);
    // 3 bytes, then 5, then the rest in 11-byte pieces, each write on its own tick.
    const cuts = [3, 8];
    for (let at = 8 + 11; at < bytes.length; at += 11) cuts.push(at);
    let from = 0;
    for (const to of [...cuts, bytes.length]) {
      socket.write(bytes.subarray(from, to));
      from = to;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const frames = await readFrames(socket, 3);
    socket.destroy();
    expect(frames.map((f) => f.readInt32BE(0))).toEqual([7, 8, 9]);
    const partitions = frames.map((f) => {
      const r = new WireReader(f.subarray(4));
      r.uvarint();
      return (readStruct(r, FETCH.response, 12, true)['responses'] as FetchTopics)[0]!.partitions[0]!
        .partitionIndex;
    });
    expect(partitions).toEqual([3, 4, 5]);
  });
});
