import { murmur2, partitionForKey, toPositive } from './murmur2';
import { createDefaultPartitioner, createRoundRobinPartitioner } from './partitioner';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('murmur2', () => {
  // Apache Kafka, clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j as Kafka UtilsTest expects', (input, expected) => {
    expect(murmur2(bytes(input))).toBe(expected);
  });

  // KafkaJS src/producer/partitioners/defaultJava/murmur2.spec.js, generated with Java's Utils.murmur2.
  it.each([
    ['0', 971027396],
    ['1', -1993445489],
    ['128', -326012175],
    ['2187', -1508407203],
    ['16384', -325739742],
    ['78125', -1654490814],
    ['279936', 1462227128],
    ['823543', -2014198330],
    ['2097152', 607668903],
    ['4782969', -1182699775],
    ['10000000', -1830336757],
    ['19487171', -1603849305],
    ['35831808', -857013643],
    ['62748517', -1167431028],
    ['105413504', -381294639],
    ['170859375', -1658323481],
    ['100:48069', 1009543857],
  ])('hashes %j as the Java client does (KafkaJS vectors)', (input, expected) => {
    expect(murmur2(bytes(input))).toBe(expected);
  });

  it('handles the empty key and keys of every tail length', () => {
    expect(murmur2(new Uint8Array(0))).toBe(275646681);
    for (let n = 0; n < 9; n++) expect(Number.isInteger(murmur2(new Uint8Array(n).fill(0xff)))).toBe(true);
  });

  it('toPositive clears the sign bit like Java, including INT_MIN', () => {
    expect(toPositive(-790332482)).toBe(1357151166);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });
});

describe('partitionForKey (Kafka default partitioner)', () => {
  it('maps known keys to the partitions the Java client picks', () => {
    // toPositive(murmur2("foobar")) = 1357151166.
    expect(partitionForKey('foobar', 10)).toBe(6);
    expect(partitionForKey('foobar', 50)).toBe(16);
    // Keys over 12 partitions as the Java DefaultPartitioner places them.
    const twelve: Array<[string, number]> = [
      ['1039-36302-36840-2-9f138052', 4],
      ['1388-20023-36900-2-c9985f66', 0],
      ['1175-03505-36600-2-126dd9ca', 1],
      ['1011-98208-36480-2-9eef750a', 8],
      ['233-75504-36900-2-609151bd', 10],
      ['1182-07205-22440-2-0ad4507d', 9],
      ['1010-98110-23700-2-295bfb4c', 10],
      ['1137-01302-23820-2-d560d49a', 4],
      ['599999', 3],
    ];
    for (const [key, partition] of twelve) expect([key, partitionForKey(key, 12)]).toEqual([key, partition]);
  });

  it('string and byte keys agree', () => {
    expect(partitionForKey('héllo', 7)).toBe(partitionForKey(bytes('héllo'), 7));
  });
});

describe('createDefaultPartitioner', () => {
  it('sends a keyed record to the murmur2 partition whatever came before', () => {
    const p = createDefaultPartitioner();
    for (let i = 0; i < 100; i++) {
      const key = bytes(`key-${i}`);
      expect(p({ topic: 't', key, value: null, partitionCount: 12 })).toBe(partitionForKey(key, 12));
    }
  });

  it('sticks keyless records to one partition until stickyBatchBytes, then moves', () => {
    let r = 0;
    const seq = [0.1, 0.6, 0.9, 0.3];
    const p = createDefaultPartitioner({ stickyBatchBytes: 200, random: () => seq[r++ % seq.length]! });
    const value = new Uint8Array(8); // 20 bytes counted per record, as batchSize counts it
    const picks = Array.from({ length: 30 }, () => p({ topic: 't', key: null, value, partitionCount: 4 }));
    expect(new Set(picks.slice(0, 10)).size).toBe(1);
    expect(new Set(picks.slice(10, 20)).size).toBe(1);
    expect(picks[10]).not.toBe(picks[9]);
    expect(picks[20]).not.toBe(picks[19]);
  });

  it('keeps stickiness per topic and honours available partitions', () => {
    const p = createDefaultPartitioner({ stickyBatchBytes: 10 });
    for (let i = 0; i < 200; i++) {
      const got = p({ topic: 'a', key: null, value: null, partitionCount: 6, availablePartitions: [1, 4] });
      expect([1, 4]).toContain(got);
    }
    const spread = new Set<number>();
    for (let i = 0; i < 500; i++)
      spread.add(p({ topic: 'b', key: null, value: new Uint8Array(20), partitionCount: 3 }));
    expect(spread.size).toBe(3);
  });

  it('moves away from a sticky partition that shrank out of range', () => {
    const p = createDefaultPartitioner({ random: () => 0.99 });
    expect(p({ topic: 't', key: null, value: null, partitionCount: 8 })).toBe(7);
    expect(p({ topic: 't', key: null, value: null, partitionCount: 2 })).toBeLessThan(2);
  });
});

describe('createRoundRobinPartitioner', () => {
  it('spreads keyless records evenly and keeps keys on murmur2', () => {
    const p = createRoundRobinPartitioner();
    const counts = [0, 0, 0];
    for (let i = 0; i < 30; i++) counts[p({ topic: 't', key: null, value: null, partitionCount: 3 })]!++;
    expect(counts).toEqual([10, 10, 10]);
    expect(p({ topic: 't', key: bytes('foobar'), value: null, partitionCount: 10 })).toBe(6);
  });
});
