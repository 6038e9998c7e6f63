import fc from 'fast-check';
import type { KafkaApi } from './api';
import { API_VERSIONS } from './messages/api-versions';
import { FETCH } from './messages/fetch';
import { METADATA } from './messages/metadata';
import { PRODUCE } from './messages/produce';
import { type Message, writeStruct } from './protocol/schema';
import { WireWriter } from './protocol/wire';
import { decodeRequest } from './request-decoder';

const APIS = new Map<number, KafkaApi>([API_VERSIONS, METADATA, PRODUCE, FETCH].map((a) => [a.key, a]));

/** A request frame (without its size prefix) as a client would send it. */
function frame(api: KafkaApi, version: number, body: Message, correlationId = 7): Buffer {
  const w = new WireWriter();
  w.int16(api.key).int16(version).int32(correlationId).nullableString('test-client', false);
  const flexible = version >= api.flexibleFrom;
  if (flexible) w.uvarint(0);
  writeStruct(w, api.request, body, version, flexible);
  return Buffer.from(w.bytes());
}

const produceBody = {
  transactionalId: null,
  acks: -1,
  timeoutMs: 3000,
  topicData: [{ name: 'orders', partitionData: [{ index: 2, records: Buffer.from('batch-bytes') }] }],
};

describe('decodeRequest', () => {
  it.each([3, 7, 8, 9])('round-trips Produce v%i, classic and flexible', (version) => {
    const decoded = decodeRequest(frame(PRODUCE, version, produceBody), APIS);
    expect(decoded.kind).toBe('ok');
    if (decoded.kind !== 'ok') return;
    expect(decoded.header).toEqual({
      apiKey: 0,
      apiVersion: version,
      correlationId: 7,
      clientId: 'test-client',
    });
    expect(decoded.body).toEqual(produceBody);
  });

  it('round-trips Metadata v12 with a null topic list and Fetch v12 with forgotten topics', () => {
    const meta = decodeRequest(frame(METADATA, 12, { topics: null, allowAutoTopicCreation: false }), APIS);
    expect(meta.kind === 'ok' && meta.body['topics']).toBeNull();
    const fetchBody = {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 't',
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: 3,
              fetchOffset: 42,
              lastFetchedEpoch: -1,
              logStartOffset: -1,
              partitionMaxBytes: 1024,
            },
          ],
        },
      ],
      forgottenTopicsData: [{ topic: 'old', partitions: [1, 2] }],
      rackId: '',
    };
    const fetched = decodeRequest(frame(FETCH, 12, fetchBody), APIS);
    expect(fetched.kind === 'ok' && fetched.body).toMatchObject(fetchBody);
  });

  it('reports unknown APIs and versions out of range as unsupported, with the header', () => {
    const unknownKey = frame({ ...PRODUCE, key: 999 }, 3, produceBody);
    expect(decodeRequest(unknownKey, APIS)).toMatchObject({ kind: 'unsupported', header: { apiKey: 999 } });
    const tooNew = frame(PRODUCE, 99, {});
    expect(decodeRequest(tooNew, APIS)).toMatchObject({ kind: 'unsupported', api: PRODUCE });
  });

  it('reports every truncation of a valid request as malformed', () => {
    const whole = frame(PRODUCE, 9, produceBody);
    for (let n = 0; n < whole.length; n++) {
      const decoded = decodeRequest(whole.subarray(0, n), APIS);
      expect(decoded.kind).toBe('malformed');
    }
  });

  it('fuzz: arbitrary bytes and mutated requests never throw, and decode only to a served API', () => {
    const valid = [
      frame(PRODUCE, 9, produceBody),
      frame(PRODUCE, 3, produceBody),
      frame(METADATA, 9, { topics: null }),
    ];
    const mutated = fc
      .tuple(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      )
      .map(([base, edits]) => {
        const copy = Buffer.from(base);
        for (const [at, byte] of edits) copy[at % copy.length] = byte;
        return copy;
      });
    const arbitrary = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.oneof(mutated, arbitrary), (bytes) => {
        const decoded = decodeRequest(bytes, APIS);
        expect(['ok', 'unsupported', 'malformed']).toContain(decoded.kind);
        if (decoded.kind === 'ok') expect(APIS.get(decoded.header.apiKey)).toBe(decoded.api);
      }),
      { numRuns: 3000 },
    );
  });
});
