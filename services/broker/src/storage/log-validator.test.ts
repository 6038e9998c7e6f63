import { TributaryError } from '@tributary/errors';
import { encodeRecordBatch } from '@tributary/record-batch';
import { validateBatches } from './log-validator';

const batch = (isControl: boolean) => encodeRecordBatch([{ value: Buffer.from('v') }], { isControl });

describe('validateBatches', () => {
  it('refuses a control batch on the producer path, naming it, and takes it on the follower path', () => {
    const buf = Buffer.concat([batch(false), batch(true)]);
    let error: unknown;
    try {
      validateBatches(buf, 1 << 20, true);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TributaryError);
    expect(error).toMatchObject({ errorName: 'INVALID_RECORD' });
    expect(String((error as Error).message)).toMatch(/control batch/);
    expect(validateBatches(buf, 1 << 20).headers.map((h) => h.isControl)).toEqual([false, true]);
  });

  it('takes ordinary batches from a producer', () => {
    expect(validateBatches(batch(false), 1 << 20, true).recordCount).toBe(1);
  });
});
