/** `tributary produce` and `tributary consume`: the table entries. */
import { consume } from '../consume-command';
import {
  acks,
  type Common,
  compression,
  int,
  one,
  opt,
  type ParsedFlags,
  timestamp,
  UsageError,
} from '../flags';
import { produce } from '../produce-command';
import { defineCommand } from './command-spec';

const SECTION = 'Records';

const parseProduce = (p: ParsedFlags) => {
  const keySeparator = p.str('key-separator');
  if (keySeparator === '') throw new UsageError('--key-separator must not be empty');
  return {
    kind: 'produce' as const,
    topic: one(p.positionals, 'topic', 'tributary produce TOPIC [--key-separator SEP] < records.txt'),
    ...opt('keySeparator', keySeparator),
    acks: acks(p.str('acks')),
    compression: compression(p.str('compression')),
    ...opt('partition', int('partition', p.str('partition'), 0)),
  };
};

/** The arguments of `produce`. */
export type ProduceArgs = Common & ReturnType<typeof parseProduce>;

export const produceCommand = defineCommand({
  name: 'produce',
  section: SECTION,
  usage: [
    'produce TOPIC [--key-separator SEP] [--acks 0|1|all] [--compression none|gzip|lz4|zstd] [--partition P]',
  ],
  summary: 'one record per stdin line; exits once every record is acknowledged',
  flags: {
    'key-separator': { type: 'string' },
    acks: { type: 'string' },
    compression: { type: 'string' },
    partition: { type: 'string' },
  },
  parse: parseProduce,
  run: (t, c, io) => produce(t, c, io, io.stdin),
});

const parseConsume = (p: ParsedFlags) => {
  const offset = int('offset', p.str('offset'), 0);
  const partition = int('partition', p.str('partition'), 0);
  const fromTimestamp = timestamp('from-timestamp', p.str('from-timestamp'));
  const fromBeginning = p.bool('from-beginning');
  const starts = [fromBeginning, offset !== undefined, fromTimestamp !== undefined].filter(Boolean).length;
  if (starts > 1)
    throw new UsageError(
      'give at most one of --from-beginning, --offset N --partition P, --from-timestamp T',
    );
  if (offset !== undefined && partition === undefined) throw new UsageError('--offset needs --partition P');
  const format = p.str('format') ?? 'value';
  if (format !== 'value' && format !== 'json')
    throw new UsageError(`--format must be value or json, got "${format}"`);
  return {
    kind: 'consume' as const,
    topic: one(p.positionals, 'topic', 'tributary consume TOPIC [--group G] [--from-beginning]'),
    ...opt('group', p.str('group')),
    fromBeginning,
    ...opt('offset', offset),
    ...opt('partition', partition),
    ...opt('fromTimestamp', fromTimestamp),
    ...opt('maxMessages', int('max-messages', p.str('max-messages'), 1)),
    ...opt('timeoutMs', int('timeout-ms', p.str('timeout-ms'), 1)),
    format: p.common.json ? ('json' as const) : (format as 'value' | 'json'),
    printKey: p.bool('print-key'),
  };
};

/** The arguments of `consume`. */
export type ConsumeArgs = Common & ReturnType<typeof parseConsume>;

export const consumeCommand = defineCommand({
  name: 'consume',
  section: SECTION,
  usage: [
    'consume TOPIC [--group G] [--from-beginning | --offset N --partition P | --from-timestamp T]',
    '              [--max-messages N] [--timeout-ms T] [--format value|json] [--print-key]',
  ],
  summary: 'follows the topic until Ctrl-C (committing) unless limited',
  flags: {
    group: { type: 'string' },
    'from-beginning': { type: 'boolean' },
    offset: { type: 'string' },
    partition: { type: 'string' },
    'from-timestamp': { type: 'string' },
    'max-messages': { type: 'string' },
    'timeout-ms': { type: 'string' },
    format: { type: 'string' },
    'print-key': { type: 'boolean' },
  },
  parse: parseConsume,
  run: (t, c, io) => consume(t, c, io),
});
