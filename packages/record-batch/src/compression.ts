/**
 * The codecs behind attributes bits 0-2. Records are compressed as one block after the batch
 * header, in the formats Kafka's own clients use:
 *
 * - gzip: a gzip member (node zlib, level 6 like Java's `GZIPOutputStream`).
 * - lz4:  the LZ4 *frame* format (magic 04 22 4D 18), as Kafka's `KafkaLZ4BlockOutputStream`
 *   writes for magic 2: lz4-napi's `compressFrameSync` emits version 1, independent 64 KiB
 *   blocks, no checksums, which is the frame header Kafka writes; its decoder also accepts
 *   frames with block or content checksums (as Sarama writes).
 * - zstd: a zstd frame (zstd-napi, level 3 like Kafka's default). zstd-napi compiles from source
 *   when it installs, so packages outside this repository take it as an optional dependency: where
 *   it did not build (no C++ toolchain), zstd batches get `UNSUPPORTED_COMPRESSION_TYPE` and
 *   everything else works.
 * - snappy: not installed here. Kafka's snappy is the xerial-framed variant; decoding or
 *   encoding it throws `UNSUPPORTED_COMPRESSION_TYPE`.
 *
 * A codec failure on decode (bad frame, bad checksum, wrong length) is a CorruptMessageError.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { CorruptMessageError, TributaryError } from '@tributary/errors';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { CompressionType } from './layout';

type Zstd = typeof import('zstd-napi');

/** zstd-napi, or undefined where the optional native module is not installed. */
const zstd: Zstd | undefined = (() => {
  try {
    return require('zstd-napi') as Zstd;
  } catch {
    return undefined;
  }
})();

/** The codecs this build can both write and read. */
export const SUPPORTED_COMPRESSION_TYPES: readonly CompressionType[] = [
  CompressionType.None,
  CompressionType.Gzip,
  CompressionType.Lz4,
  ...(zstd === undefined ? [] : [CompressionType.Zstd]),
];

function unsupported(type: CompressionType): TributaryError {
  const supported = SUPPORTED_COMPRESSION_TYPES.map((t) => CompressionType[t]?.toLowerCase()).join(', ');
  const why = type === CompressionType.Zstd ? ' (the optional zstd-napi module is not installed)' : '';
  return new TributaryError(
    'UNSUPPORTED_COMPRESSION_TYPE',
    `Compression ${CompressionType[type] ?? type} is not supported by this build${why} (supported: ${supported}).`,
    { context: { compression: type } },
  );
}

/** Compresses the encoded records with `type` (not None). */
export function compressRecords(type: CompressionType, raw: Buffer): Buffer {
  switch (type) {
    case CompressionType.Gzip:
      return gzipSync(raw, { level: 6 });
    case CompressionType.Lz4:
      return compressFrameSync(raw);
    case CompressionType.Zstd:
      if (zstd === undefined) throw unsupported(type);
      return zstd.compress(raw);
    default:
      throw unsupported(type);
  }
}

/** Decompresses a batch's records section; codec errors become CorruptMessageError. */
export function decompressRecords(type: CompressionType, compressed: Buffer): Buffer {
  if (type === CompressionType.Snappy) throw unsupported(type);
  try {
    switch (type) {
      case CompressionType.Gzip:
        return gunzipSync(compressed);
      case CompressionType.Lz4:
        return decompressFrameSync(compressed);
      case CompressionType.Zstd:
        if (zstd === undefined) throw unsupported(type);
        return zstd.decompress(compressed);
      default:
        throw unsupported(type);
    }
  } catch (err) {
    if (err instanceof TributaryError) throw err;
    throw new CorruptMessageError(
      `The ${CompressionType[type]} records of the batch do not decompress: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
