/**
 * A batch's records are encoded when appended, its header when first sent; a batch sent again
 * under new sequence numbers (its partition renumbered, or a new producer id) carries exactly
 * what an encode of its records with those numbers would, and one that may be appended keeps its
 * bytes.
 */
import {
  CompressionType,
  encodeRecordBatch,
  type RecordInput,
  readBatchHeader,
} from '@tributary/record-batch';
import { PartitionBatches } from './accumulator';
import { ProducerBatch, type SendCall } from './batch';
import { Idempotence } from './idempotence';

const NOW = 1_700_000_000_000;
const call = (): SendCall => ({
  results: [],
  timestamp: NOW,
  timestamps: undefined,
  remaining: 0,
  settled: false,
  resolve() {},
  reject() {},
});

function batchOf(records: RecordInput[]): ProducerBatch {
  const b = new ProducerBatch('t', 0, 60_000, 16384);
  const owner = call();
  for (let i = 0; i < records.length; i++) b.append(records[i]!, owner, i);
  return b;
}

const records = (n: number, from: number): RecordInput[] =>
  Array.from({ length: n }, (_, i) => ({
    key: i % 2 === 0 ? null : Buffer.from(`k${from + i}`),
    value: Buffer.from(`v${from + i}`),
    headers: i === 0 ? [{ key: 'traceparent', value: Buffer.from('x') }] : undefined,
    timestamp: NOW - i,
  }));

describe.each([CompressionType.None, CompressionType.Gzip, CompressionType.Lz4])(
  'Idempotence.encode (%s)',
  (compression) => {
    async function started(): Promise<Idempotence> {
      const idempotence = new Idempotence(true, compression, undefined, undefined);
      await idempotence.init(); // neither controller nor cluster: a random producer id at epoch 0
      return idempotence;
    }
    const expected = (rs: RecordInput[], idempotence: Idempotence, baseSequence: number) =>
      encodeRecordBatch(rs, {
        compression,
        producerId: idempotence.producerId,
        producerEpoch: idempotence.producerEpoch,
        baseSequence,
      });

    test('numbers batches in order; a batch renumbered after an earlier one failed is stamped anew', async () => {
      const idempotence = await started();
      const pq = new PartitionBatches('t', 0);
      const [r1, r2] = [records(3, 0), records(2, 3)];
      const [b1, b2] = [batchOf(r1), batchOf(r2)];
      pq.queue.push(b1, b2);
      const first = idempotence.encode(pq, b1);
      const second = idempotence.encode(pq, b2);
      expect(first.equals(expected(r1, idempotence, 0))).toBe(true);
      expect(second.equals(expected(r2, idempotence, 3))).toBe(true);
      // Sent again unchanged: the same bytes.
      expect(idempotence.encode(pq, b2)).toBe(second);
      // b1 failed for good, not appended: b2 takes its sequence numbers.
      idempotence.failed(pq, b1, () => undefined);
      pq.queue.shift();
      const renumbered = idempotence.encode(pq, b2);
      expect(renumbered.equals(expected(r2, idempotence, 0))).toBe(true);
      expect(second.equals(expected(r2, idempotence, 3))).toBe(true); // the earlier attempt's bytes are untouched
      expect(readBatchHeader(renumbered).baseSequence).toBe(0);
    });

    test('a batch that may be appended keeps its bytes; the others restart at 0 under a new producer id', async () => {
      const idempotence = await started();
      const pq = new PartitionBatches('t', 0);
      const [r1, r2] = [records(4, 0), records(1, 4)];
      const [b1, b2] = [batchOf(r1), batchOf(r2)];
      pq.queue.push(b1, b2);
      const first = idempotence.encode(pq, b1);
      idempotence.encode(pq, b2);
      const oldId = idempotence.producerId;
      b1.maybeAppended = true;
      let renewed = false;
      idempotence.failed(pq, b1, () => {
        renewed = true;
      });
      expect(idempotence.renewing).toBe(true);
      while (!renewed) await new Promise((resolve) => setImmediate(resolve));
      expect(idempotence.producerId).not.toBe(oldId);
      expect(idempotence.encode(pq, b1)).toBe(first);
      const again = idempotence.encode(pq, b2);
      expect(again.equals(expected(r2, idempotence, 0))).toBe(true);
      expect(readBatchHeader(again).producerId).toBe(idempotence.producerId);
    });
  },
);

test('without idempotence a batch carries no producer id and is built once', () => {
  const idempotence = new Idempotence(false, CompressionType.None, undefined, undefined);
  const pq = new PartitionBatches('t', 0);
  const rs = records(3, 0);
  const b = batchOf(rs);
  const bytes = idempotence.encode(pq, b);
  expect(bytes.equals(encodeRecordBatch(rs))).toBe(true);
  expect(idempotence.encode(pq, b)).toBe(bytes);
  expect(b.count).toBe(3);
  expect(b.accepts(NOW)).toBe(false);
});
