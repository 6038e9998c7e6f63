/** `tributary perf ...`: the table entries. */
import { acks, type Common, compression, int, one, opt, type ParsedFlags, UsageError } from '../flags';
import { perfConsume, perfProduce } from '../perf-command';
import { defineCommand } from './command-spec';

const SECTION = 'Performance';

const parsePerfProduce = (p: ParsedFlags) => {
  const usage = 'tributary perf produce TOPIC --num-records N --record-size B --throughput R';
  const numRecords = int('num-records', p.str('num-records'), 1);
  const recordSize = int('record-size', p.str('record-size'), 0);
  if (numRecords === undefined) throw new UsageError(`missing --num-records: ${usage}`);
  if (recordSize === undefined) throw new UsageError(`missing --record-size: ${usage}`);
  const throughput = int('throughput', p.str('throughput') ?? '-1', -1)!;
  if (throughput === 0) throw new UsageError('--throughput must be positive, or -1 for unlimited');
  return {
    kind: 'perf-produce' as const,
    topic: one(p.positionals, 'topic', usage),
    numRecords,
    recordSize,
    throughput,
    warmupRecords: int('warmup-records', p.str('warmup-records'), 0) ?? 0,
    acks: acks(p.str('acks')),
    compression: compression(p.str('compression')),
    ...opt('bufferMemory', int('buffer-memory', p.str('buffer-memory'), 1)),
    progress: p.isTTY && !p.common.json,
  };
};

/** The arguments of `perfProduce`. */
export type PerfProduceArgs = Common & ReturnType<typeof parsePerfProduce>;

export const perfProduceCommand = defineCommand({
  name: 'perf produce',
  section: SECTION,
  usage: [
    'perf produce TOPIC --num-records N --record-size B [--throughput R|-1] [--acks ...] [--compression ...] [--warmup-records W] [--buffer-memory BYTES]',
  ],
  flags: {
    'num-records': { type: 'string' },
    'record-size': { type: 'string' },
    throughput: { type: 'string' },
    acks: { type: 'string' },
    compression: { type: 'string' },
    'warmup-records': { type: 'string' },
    'buffer-memory': { type: 'string' },
  },
  parse: parsePerfProduce,
  run: (t, c, io) => perfProduce(t, c, io),
});

const parsePerfConsume = (p: ParsedFlags) => {
  const usage = 'tributary perf consume TOPIC --messages N [--group G]';
  const messages = int('messages', p.str('messages'), 1);
  if (messages === undefined) throw new UsageError(`missing --messages: ${usage}`);
  return {
    kind: 'perf-consume' as const,
    topic: one(p.positionals, 'topic', usage),
    messages,
    ...opt('group', p.str('group')),
    timeoutMs: int('timeout-ms', p.str('timeout-ms'), 1) ?? 60_000,
    warmupMessages: int('warmup-messages', p.str('warmup-messages'), 0) ?? 0,
    progress: p.isTTY && !p.common.json,
  };
};

/** The arguments of `perfConsume`. */
export type PerfConsumeArgs = Common & ReturnType<typeof parsePerfConsume>;

export const perfConsumeCommand = defineCommand({
  name: 'perf consume',
  section: SECTION,
  usage: ['perf consume TOPIC --messages N [--group G] [--timeout-ms T] [--warmup-messages W]'],
  flags: {
    messages: { type: 'string' },
    'warmup-messages': { type: 'string' },
    group: { type: 'string' },
    'timeout-ms': { type: 'string' },
  },
  parse: parsePerfConsume,
  run: (t, c, io) => perfConsume(t, c, io),
});
