/** `tributary produce TOPIC`: one record per stdin line; exits once every record is acknowledged. */
import { createInterface } from 'node:readline';
import { CompressionType } from '@tributary/record-batch';
import type { ProducerMessage } from '../producer/types';
import type { Tributary } from '../tributary';
import type { ProduceArgs } from './commands/records';
import { json, type Output } from './output';

type ProduceCommand = ProduceArgs;

export const COMPRESSION: Readonly<Record<'none' | 'gzip' | 'lz4' | 'zstd', CompressionType>> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

/** Splits a stdin line into a message: `key SEP value` with --key-separator, else a keyless value. */
export function lineToMessage(
  line: string,
  keySeparator: string | undefined,
  partition?: number,
): ProducerMessage {
  const base: ProducerMessage =
    keySeparator === undefined
      ? { value: line }
      : (() => {
          const at = line.indexOf(keySeparator);
          if (at < 0) return { key: null, value: line };
          return { key: line.slice(0, at), value: line.slice(at + keySeparator.length) };
        })();
  return partition === undefined ? base : { ...base, partition };
}

const CHUNK = 1000;

export async function produce(
  t: Tributary,
  c: ProduceCommand,
  io: Output,
  input: NodeJS.ReadableStream,
): Promise<{ records: number }> {
  const producer = t.producer({
    acks: c.acks,
    compression: COMPRESSION[c.compression],
    lingerMs: 5,
  });
  let records = 0;
  const pending: Array<Promise<unknown>> = [];
  let chunk: ProducerMessage[] = [];
  let failure: unknown;
  const sendChunk = () => {
    if (chunk.length === 0) return;
    const messages = chunk;
    chunk = [];
    pending.push(
      producer.send({ topic: c.topic, messages }).catch((err) => {
        failure ??= err;
      }),
    );
  };
  try {
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (failure !== undefined) break;
      if (line.length === 0) continue;
      chunk.push(lineToMessage(line, c.keySeparator, c.partition));
      records++;
      if (chunk.length >= CHUNK) {
        sendChunk();
        if (pending.length >= 64) await Promise.all(pending.splice(0, 32));
      }
    }
    sendChunk();
    await Promise.all(pending);
    await producer.flush();
  } finally {
    await producer.disconnect().catch(() => {});
  }
  if (failure !== undefined) throw failure;
  if (c.json) io.out(json({ topic: c.topic, records }));
  else io.err(`Produced ${records} records to ${c.topic}.`);
  return { records };
}
