import { frameResponse } from './request-header';
import { REFERENCE_MIN_BYTES, WireReader, WireWriter } from './wire';

const records = Buffer.alloc(REFERENCE_MIN_BYTES * 4, 7);

describe('WireWriter pieces', () => {
  it('references a large byte string instead of copying it, and keeps the order', () => {
    const w = new WireWriter().int32(5).nullableBytes(records, false).int16(9);
    const pieces = w.chunks();
    expect(pieces).toHaveLength(3);
    expect(pieces[1]!.buffer).toBe(records.buffer);
    expect(Buffer.concat(pieces)).toEqual(
      Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from([0, 1, 0, 0]), records, Buffer.from([0, 9])]),
    );
  });

  it('copies small byte strings into one piece', () => {
    const w = new WireWriter()
      .int8(1)
      .raw(Buffer.alloc(REFERENCE_MIN_BYTES - 1, 3))
      .int8(2);
    expect(w.chunks()).toHaveLength(1);
  });

  it('joins the pieces for bytes() and counts length across them', () => {
    const w = new WireWriter().int16(1).raw(records).uvarint(300);
    expect(w.length).toBe(2 + records.length + 2);
    const r = new WireReader(w.bytes());
    expect(r.int16()).toBe(1);
    expect(r.raw(records.length)).toEqual(records);
    expect(r.uvarint()).toBe(300);
  });
});

describe('frameResponse', () => {
  const header = { apiKey: 1, apiVersion: 12, correlationId: 42, clientId: 'c' };

  it('sizes the frame over every piece, the records not copied', () => {
    const pieces = frameResponse(header, true, (w) => w.int32(0).nullableBytes(records, true).int8(0));
    const frame = Buffer.concat(pieces);
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readInt32BE(4)).toBe(42);
    expect(pieces.some((p) => p.buffer === records.buffer)).toBe(true);
  });

  it('is one piece for a small response', () => {
    const pieces = frameResponse(header, false, (w) => w.int16(0));
    expect(pieces).toHaveLength(1);
    expect(pieces[0]).toEqual(Buffer.from([0, 0, 0, 6, 0, 0, 0, 42, 0, 0]));
  });
});
