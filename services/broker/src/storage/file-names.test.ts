import { parsePartitionDirName, parseSegmentFileName, partitionDirName, segmentFileName } from './file-names';

test('file names: 20-digit offsets, topic-partition directories', () => {
  expect(segmentFileName(42, 'log')).toBe('00000000000000000042.log');
  expect(parseSegmentFileName('00000000000000000042.timeindex')).toEqual({
    baseOffset: 42,
    kind: 'timeindex',
  });
  expect(parseSegmentFileName('42.log')).toBeUndefined();
  expect(parseSegmentFileName('leader-epoch-checkpoint')).toBeUndefined();
  expect(partitionDirName('a-b.c', 7)).toBe('a-b.c-7');
  expect(parsePartitionDirName('a-b.c-7')).toEqual({ topic: 'a-b.c', partition: 7 });
  expect(parsePartitionDirName('a-b.c-7.1700000000000-delete')).toBeUndefined();
  expect(parsePartitionDirName('lost+found')).toBeUndefined();
});
