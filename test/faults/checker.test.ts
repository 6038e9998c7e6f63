import { checkHistory, type History, hasAnomalies, type ReadRecord, type SendRecord } from './checker';

const send = (
  producer: string,
  seq: number,
  partition: number,
  offset?: number,
  at = seq * 10,
): SendRecord => ({
  producer,
  seq,
  partition,
  value: `${producer}:${seq}`,
  sentAt: at,
  ...(offset === undefined ? {} : { ack: { offset, at: at + 5 } }),
});
const read = (value: string, partition: number, offset: number, reader = 'c0'): ReadRecord => ({
  reader,
  partition,
  offset,
  value,
  at: 0,
});
const history = (over: Partial<History>): History => ({
  sends: [],
  reads: [],
  ownership: [],
  logStartOffsets: new Map(),
  writeWindow: { from: 0, to: 100 },
  ...over,
});

describe('fault checker', () => {
  test('a clean history has no anomalies', () => {
    const sends = [send('p0', 0, 0, 0), send('p0', 1, 0, 1), send('p1', 0, 1, 0)];
    const reads = [read('p0:0', 0, 0), read('p0:1', 0, 1), read('p1:0', 1, 0), read('p0:0', 0, 0, 'c1')];
    const result = checkHistory(history({ sends, reads }));
    expect(hasAnomalies(result)).toBe(false);
    expect(result).toMatchObject({ operations: 7, acknowledged: 3, lost: 0, duplicated: 0 });
  });

  test('an acknowledged record never read is lost, unless retention removed its offset', () => {
    const sends = [send('p0', 0, 0, 0), send('p0', 1, 0, 1), send('p0', 2, 0, 2)];
    const reads = [read('p0:1', 0, 1)];
    const result = checkHistory(history({ sends, reads, logStartOffsets: new Map([[0, 1]]) }));
    expect(result).toMatchObject({ lost: 1, expired: 1 });
    expect(result.examples).toEqual(['lost: p0:2 acknowledged at 0/2, never read']);
  });

  test('a failed send that is never read is not lost (it was never acknowledged)', () => {
    const sends = [{ ...send('p0', 0, 0), error: 'REQUEST_TIMED_OUT' }];
    expect(checkHistory(history({ sends }))).toMatchObject({ lost: 0, failed: 1 });
  });

  test('one value at two offsets is duplicated', () => {
    const sends = [send('p0', 0, 0, 0)];
    const reads = [read('p0:0', 0, 0), read('p0:0', 0, 1)];
    const result = checkHistory(history({ sends, reads }));
    expect(result.duplicated).toBe(1);
  });

  test("records the workload did not send (a case's probes) are not duplicates, but still hold offsets", () => {
    const sends = [send('p0', 0, 0, 1)];
    const reads = [read('probe', 0, 0), read('probe', 0, 2), read('p0:0', 0, 1), read('probe', 0, 1, 'c1')];
    const result = checkHistory(history({ sends, reads }));
    expect(result).toMatchObject({ duplicated: 0, inconsistent: 1 });
  });

  test('one offset with two values is inconsistent, including an acknowledgement naming it', () => {
    const sends = [send('p0', 0, 0, 0), send('p1', 0, 0, 1)];
    const reads = [read('p0:0', 0, 0), read('p1:0', 0, 0, 'c1')];
    const result = checkHistory(history({ sends, reads }));
    expect(result.inconsistent).toBe(1);
    expect(result.lost).toBe(0);
  });

  test("a producer's records out of send order within a partition are reordered", () => {
    const sends = [send('p0', 0, 0, 1), send('p0', 1, 0, 0), send('p1', 0, 0, 2)];
    const reads = [read('p0:1', 0, 0), read('p0:0', 0, 1), read('p1:0', 0, 2)];
    const result = checkHistory(history({ sends, reads }));
    expect(result.reordered).toBe(1);
  });

  test('two members owning one partition at once is split ownership; a handover is not', () => {
    const handover = [
      { member: 'c0', partition: 0, from: 0, to: 50 },
      { member: 'c1', partition: 0, from: 50, to: Number.POSITIVE_INFINITY },
    ];
    expect(checkHistory(history({ ownership: handover })).splitOwnership).toBe(0);
    const overlap = [
      { member: 'c0', partition: 0, from: 0, to: 60 },
      { member: 'c1', partition: 0, from: 50, to: Number.POSITIVE_INFINITY },
      { member: 'c1', partition: 1, from: 0, to: Number.POSITIVE_INFINITY },
    ];
    const result = checkHistory(history({ ownership: overlap }));
    expect(result.splitOwnership).toBe(1);
    expect(hasAnomalies(result)).toBe(true);
  });

  test('unavailability is the longest gap between acknowledgements of one partition', () => {
    // Partition 0 acknowledged at 5, 15 and 85; partition 1 at 10 then nothing until the end (100).
    const sends = [
      send('p0', 0, 0, 0, 0),
      send('p0', 1, 0, 1, 10),
      send('p0', 2, 0, 2, 80),
      send('p1', 0, 1, 0, 5),
      send('p1', 1, 1, undefined, 30),
    ];
    expect(checkHistory(history({ sends })).longestUnavailableMs).toBe(90);
  });
});
