import { CompressionType } from './layout';

describe('compression without the optional zstd-napi module', () => {
  it('leaves zstd out of the supported codecs and refuses it with a clear error', () => {
    jest.isolateModules(() => {
      jest.doMock('zstd-napi', () => {
        throw new Error('Cannot find module zstd-napi');
      });
      const c = require('./compression') as typeof import('./compression');
      expect(c.SUPPORTED_COMPRESSION_TYPES).toEqual([
        CompressionType.None,
        CompressionType.Gzip,
        CompressionType.Lz4,
      ]);
      expect(() => c.compressRecords(CompressionType.Zstd, Buffer.from('x'))).toThrow(
        /zstd-napi module is not installed.*supported: none, gzip, lz4/,
      );
      expect(() => c.decompressRecords(CompressionType.Zstd, Buffer.from('x'))).toThrow(
        expect.objectContaining({ errorName: 'UNSUPPORTED_COMPRESSION_TYPE' }),
      );
      expect(
        c.decompressRecords(CompressionType.Gzip, c.compressRecords(CompressionType.Gzip, Buffer.from('ok'))),
      ).toEqual(Buffer.from('ok'));
    });
  });
});
