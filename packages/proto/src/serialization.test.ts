import { getServiceDefinition } from './clients';
import type { FetchRequest, FetchRequest__Output, ProduceRequest, ProduceRequest__Output } from './generated';
import { ProtoErrorCode } from './generated';
import { int64ToNumber } from './int64';

/**
 * Round trips through the real protobufjs serializers of the service definitions: what a client
 * sends and what a handler receives, with PROTO_LOADER_OPTIONS.
 */
const broker = getServiceDefinition('BrokerService');

function roundTripProduce(request: ProduceRequest): ProduceRequest__Output {
  return broker.Produce.requestDeserialize(broker.Produce.requestSerialize(request));
}

describe('ProduceRequest through the wire format', () => {
  const batch = Buffer.from('00000000000000000000003c', 'hex');

  it('keeps bytes as Buffers, int64s exactly as strings, and names the oneof member', () => {
    const decoded = roundTripProduce({
      acks: -1,
      timeoutMs: 30_000,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, recordBatches: batch },
            {
              partition: 1,
              records: {
                records: [
                  { key: Buffer.from('k'), value: Buffer.from('v'), timestampMs: '9007199254740993' },
                  {
                    value: Buffer.alloc(0),
                    timestampMs: 1_700_000_000_000,
                    headers: [{ key: 'traceparent' }],
                  },
                ],
              },
            },
          ],
        },
      ],
    });

    expect(decoded.acks).toBe(-1);
    expect(decoded.timeoutMs).toBe(30_000);
    const [batches, plain] = decoded.topics[0]!.partitions;
    expect(batches!.data).toBe('recordBatches');
    expect(Buffer.isBuffer(batches!.recordBatches)).toBe(true);
    expect(batches!.recordBatches!.equals(batch)).toBe(true);
    expect(batches!.records).toBeUndefined();

    expect(plain!.data).toBe('records');
    const [first, second] = plain!.records!.records;
    // int64 beyond 2^53 survives exactly as a string; int64ToNumber refuses it.
    expect(first!.timestampMs).toBe('9007199254740993');
    expect(() => int64ToNumber(first!.timestampMs, 'timestamp_ms')).toThrow();
    expect(int64ToNumber(second!.timestampMs, 'timestamp_ms')).toBe(1_700_000_000_000);
    expect(first!.key!.toString()).toBe('k');
    // proto3 optional keeps presence: no key = null key, an empty value is not a null value.
    expect(second!.key).toBeUndefined();
    expect(second!.value).toEqual(Buffer.alloc(0));
    expect(second!.headers[0]).toEqual({ key: 'traceparent' });
    // Defaults are filled in for plain scalars.
    expect(second!.offset).toBe('0');
    expect(second!.timestampType).toBe(0);
  });

  it('leaves acks absent when unset (the broker reads absent as -1, all)', () => {
    const decoded = roundTripProduce({ topics: [] });
    expect(decoded.acks).toBeUndefined();
    expect(roundTripProduce({ acks: 0, topics: [] }).acks).toBe(0);
  });
});

describe('FetchRequest through the wire format', () => {
  function roundTrip(request: FetchRequest): FetchRequest__Output {
    return broker.Fetch.requestDeserialize(broker.Fetch.requestSerialize(request));
  }

  it('distinguishes an absent current_leader_epoch from epoch 0', () => {
    const decoded = roundTrip({
      maxWaitMs: 500,
      topics: [
        {
          topic: 't',
          partitions: [
            { partition: 0, fetchOffset: '12' },
            { partition: 1, fetchOffset: 0, currentLeaderEpoch: 0 },
            { partition: 2, fetchOffset: 5, currentLeaderEpoch: -1 },
          ],
        },
      ],
    });
    const [absent, zero, minusOne] = decoded.topics[0]!.partitions;
    expect(absent!.currentLeaderEpoch).toBeUndefined();
    expect(absent!.fetchOffset).toBe('12');
    expect(zero!.currentLeaderEpoch).toBe('0');
    expect(minusOne!.currentLeaderEpoch).toBe('-1');
    expect(decoded.recordFormat).toBe(0);
    expect(decoded.minBytes).toBe(0);
  });
});

describe('responses', () => {
  it('decode an unset error_code as ERROR_CODE_NONE and keep error codes as numbers', () => {
    const encoded = broker.Produce.responseSerialize({
      topics: [
        {
          topic: 't',
          partitions: [
            { partition: 0, baseOffset: 100, logAppendTimeMs: -1, logStartOffset: 0 },
            {
              partition: 1,
              errorCode: ProtoErrorCode.ERROR_CODE_NOT_LEADER_OR_FOLLOWER,
              errorMessage: 'not the leader',
              baseOffset: -1,
              currentLeader: { leaderId: 3, leaderEpoch: 7 },
            },
          ],
        },
      ],
    });
    const [ok, notLeader] = broker.Produce.responseDeserialize(encoded).topics[0]!.partitions;
    expect(ok!.errorCode).toBe(ProtoErrorCode.ERROR_CODE_NONE);
    expect(ok!.baseOffset).toBe('100');
    expect(ok!.logAppendTimeMs).toBe('-1');
    expect(ok!.currentLeader).toBeNull();
    expect(notLeader!.errorCode).toBe(6);
    expect(notLeader!.currentLeader).toEqual({ leaderId: 3, leaderEpoch: '7' });
  });
});
