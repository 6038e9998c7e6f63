/**
 * Command-line parsing for `tributary`: Kafka-tool-like flags, parsed with node:util's
 * parseArgs per sub-command into a typed {@link Command}. Bad usage throws UsageError, which
 * the CLI prints as one line and exits 2.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BOOTSTRAP } from '../options';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Acks = 0 | 1 | -1;
export type Compression = 'none' | 'gzip' | 'lz4' | 'zstd';

/** Flags every command takes. */
export interface Common {
  bootstrap: string[];
  json: boolean;
}

export type Command = Common &
  (
    | { kind: 'help'; topic?: string }
    | { kind: 'version' }
    | {
        kind: 'topics-create';
        topic: string;
        partitions?: number;
        replicationFactor?: number;
        configs: Record<string, string>;
        ifNotExists: boolean;
      }
    | { kind: 'topics-list' }
    | { kind: 'topics-describe'; topic?: string }
    | { kind: 'topics-delete'; topic: string }
    | {
        kind: 'topics-alter';
        topic: string;
        partitions?: number;
        configs: Record<string, string>;
        deleteConfigs: string[];
      }
    | {
        kind: 'produce';
        topic: string;
        keySeparator?: string;
        acks: Acks;
        compression: Compression;
        partition?: number;
      }
    | {
        kind: 'consume';
        topic: string;
        group?: string;
        fromBeginning: boolean;
        offset?: number;
        partition?: number;
        fromTimestamp?: number;
        maxMessages?: number;
        timeoutMs?: number;
        format: 'value' | 'json';
        printKey: boolean;
      }
    | { kind: 'groups-list' }
    | { kind: 'groups-describe'; group: string }
    | {
        kind: 'groups-reset-offsets';
        group: string;
        topic: string;
        partitions?: number[];
        reset:
          | { to: 'earliest' }
          | { to: 'latest' }
          | { to: 'offset'; offset: number }
          | { to: 'timestamp'; timestamp: number }
          | { to: 'shift'; by: number };
        execute: boolean;
      }
    | { kind: 'groups-delete'; group: string }
    | { kind: 'cluster-describe' }
    | {
        kind: 'perf-produce';
        topic: string;
        numRecords: number;
        recordSize: number;
        throughput: number;
        acks: Acks;
        compression: Compression;
        progress: boolean;
      }
    | {
        kind: 'perf-consume';
        topic: string;
        messages: number;
        group?: string;
        timeoutMs: number;
        progress: boolean;
      }
  );

type OptSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

const COMMON: OptSpec = {
  bootstrap: { type: 'string', multiple: true },
  'bootstrap-server': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

function int(name: string, text: string | undefined, min = Number.MIN_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${name} must be an integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got ${text}`);
  return n;
}

function acks(text: string | undefined): Acks {
  if (text === undefined || text === 'all' || text === '-1') return -1;
  if (text === '0') return 0;
  if (text === '1') return 1;
  throw new UsageError(`--acks must be 0, 1 or all, got "${text}"`);
}

function compression(text: string | undefined): Compression {
  const c = text ?? 'none';
  if (c === 'none' || c === 'gzip' || c === 'lz4' || c === 'zstd') return c;
  throw new UsageError(`--compression must be none, gzip, lz4 or zstd, got "${c}"`);
}

function configs(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--config takes key=value, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function timestamp(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new UsageError(`--${name} must be an ISO date-time or ms since the epoch, got "${text}"`);
  return ms;
}

function one(positionals: string[], what: string, usage: string): string {
  const [first, ...rest] = positionals;
  if (first === undefined) throw new UsageError(`missing ${what}: ${usage}`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}": ${usage}`);
  return first;
}

/** `--shift-by -3` -> `--shift-by=-3`: parseArgs would take a negative number for a flag. */
function joinNegativeValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Parses `argv` (without `node` and the script) into a Command. */
export function parseCommand(argv: readonly string[], isTTY = false): Command {
  const [group, sub, ...rest] = argv;
  if (group === undefined || group === 'help' || group === '--help' || group === '-h') {
    return {
      kind: 'help',
      bootstrap: [DEFAULT_BOOTSTRAP],
      json: false,
      ...(sub === undefined ? {} : { topic: sub }),
    };
  }
  if (group === '--version' || group === 'version')
    return { kind: 'version', bootstrap: [DEFAULT_BOOTSTRAP], json: false };
  // `produce TOPIC` and `consume TOPIC` have no sub-command.
  const hasSub = group !== 'produce' && group !== 'consume';
  const args = hasSub ? rest : [sub, ...rest].filter((a): a is string => a !== undefined);
  const name = hasSub ? `${group} ${sub ?? ''}`.trim() : group;
  const parse = (options: OptSpec) => {
    try {
      const { values, positionals } = parseArgs({
        args: joinNegativeValues(args),
        options: { ...COMMON, ...options },
        allowPositionals: true,
        strict: true,
      });
      const v = values as Record<string, string | boolean | string[] | undefined>;
      if (v['help'] === true) throw new HelpRequested(name);
      const bootstrap = [
        ...((v['bootstrap'] as string[] | undefined) ?? []),
        ...((v['bootstrap-server'] as string[] | undefined) ?? []),
      ].flatMap((b) => b.split(','));
      const common: Common = {
        bootstrap: bootstrap.length > 0 ? bootstrap : [DEFAULT_BOOTSTRAP],
        json: v['json'] === true,
      };
      const str = (k: string) => v[k] as string | undefined;
      const bool = (k: string) => v[k] === true;
      const list = (k: string) => v[k] as string[] | undefined;
      return { common, positionals, str, bool, list };
    } catch (err) {
      if (err instanceof HelpRequested) throw err;
      throw new UsageError(`${(err as Error).message.split('\n')[0]} (see: tributary ${name} --help)`);
    }
  };

  switch (name) {
    case 'topics create': {
      const p = parse({
        partitions: { type: 'string' },
        'replication-factor': { type: 'string' },
        config: { type: 'string', multiple: true },
        'if-not-exists': { type: 'boolean' },
      });
      const partitions = int('partitions', p.str('partitions'), 1);
      const replicationFactor = int('replication-factor', p.str('replication-factor'), 1);
      return {
        ...p.common,
        kind: 'topics-create',
        topic: one(
          p.positionals,
          'topic name',
          'tributary topics create NAME --partitions N --replication-factor R',
        ),
        ...(partitions === undefined ? {} : { partitions }),
        ...(replicationFactor === undefined ? {} : { replicationFactor }),
        configs: configs(p.list('config')),
        ifNotExists: p.bool('if-not-exists'),
      };
    }
    case 'topics list': {
      const p = parse({});
      return { ...p.common, kind: 'topics-list' };
    }
    case 'topics describe': {
      const p = parse({});
      const topic = p.positionals[0];
      return { ...p.common, kind: 'topics-describe', ...(topic === undefined ? {} : { topic }) };
    }
    case 'topics delete': {
      const p = parse({});
      return {
        ...p.common,
        kind: 'topics-delete',
        topic: one(p.positionals, 'topic name', 'tributary topics delete NAME'),
      };
    }
    case 'topics alter': {
      const p = parse({
        partitions: { type: 'string' },
        config: { type: 'string', multiple: true },
        'delete-config': { type: 'string', multiple: true },
      });
      const partitions = int('partitions', p.str('partitions'), 1);
      const cmd = {
        ...p.common,
        kind: 'topics-alter' as const,
        topic: one(p.positionals, 'topic name', 'tributary topics alter NAME --partitions N | --config k=v'),
        ...(partitions === undefined ? {} : { partitions }),
        configs: configs(p.list('config')),
        deleteConfigs: p.list('delete-config') ?? [],
      };
      if (
        partitions === undefined &&
        Object.keys(cmd.configs).length === 0 &&
        cmd.deleteConfigs.length === 0
      ) {
        throw new UsageError('nothing to alter: give --partitions N, --config k=v or --delete-config k');
      }
      return cmd;
    }
    case 'produce': {
      const p = parse({
        'key-separator': { type: 'string' },
        acks: { type: 'string' },
        compression: { type: 'string' },
        partition: { type: 'string' },
      });
      const keySeparator = p.str('key-separator');
      if (keySeparator === '') throw new UsageError('--key-separator must not be empty');
      const partition = int('partition', p.str('partition'), 0);
      return {
        ...p.common,
        kind: 'produce',
        topic: one(p.positionals, 'topic', 'tributary produce TOPIC [--key-separator SEP] < records.txt'),
        ...(keySeparator === undefined ? {} : { keySeparator }),
        acks: acks(p.str('acks')),
        compression: compression(p.str('compression')),
        ...(partition === undefined ? {} : { partition }),
      };
    }
    case 'consume': {
      const p = parse({
        group: { type: 'string' },
        'from-beginning': { type: 'boolean' },
        offset: { type: 'string' },
        partition: { type: 'string' },
        'from-timestamp': { type: 'string' },
        'max-messages': { type: 'string' },
        'timeout-ms': { type: 'string' },
        format: { type: 'string' },
        'print-key': { type: 'boolean' },
      });
      const offset = int('offset', p.str('offset'), 0);
      const partition = int('partition', p.str('partition'), 0);
      const fromTimestamp = timestamp('from-timestamp', p.str('from-timestamp'));
      const fromBeginning = p.bool('from-beginning');
      const starts = [fromBeginning, offset !== undefined, fromTimestamp !== undefined].filter(
        Boolean,
      ).length;
      if (starts > 1)
        throw new UsageError(
          'give at most one of --from-beginning, --offset N --partition P, --from-timestamp T',
        );
      if (offset !== undefined && partition === undefined)
        throw new UsageError('--offset needs --partition P');
      const format = p.str('format') ?? 'value';
      if (format !== 'value' && format !== 'json')
        throw new UsageError(`--format must be value or json, got "${format}"`);
      const maxMessages = int('max-messages', p.str('max-messages'), 1);
      const timeoutMs = int('timeout-ms', p.str('timeout-ms'), 1);
      const group = p.str('group');
      return {
        ...p.common,
        kind: 'consume',
        topic: one(p.positionals, 'topic', 'tributary consume TOPIC [--group G] [--from-beginning]'),
        ...(group === undefined ? {} : { group }),
        fromBeginning,
        ...(offset === undefined ? {} : { offset }),
        ...(partition === undefined ? {} : { partition }),
        ...(fromTimestamp === undefined ? {} : { fromTimestamp }),
        ...(maxMessages === undefined ? {} : { maxMessages }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        format: p.common.json ? 'json' : format,
        printKey: p.bool('print-key'),
      };
    }
    case 'groups list': {
      const p = parse({});
      return { ...p.common, kind: 'groups-list' };
    }
    case 'groups describe': {
      const p = parse({});
      return {
        ...p.common,
        kind: 'groups-describe',
        group: one(p.positionals, 'group id', 'tributary groups describe GROUP'),
      };
    }
    case 'groups delete': {
      const p = parse({});
      return {
        ...p.common,
        kind: 'groups-delete',
        group: one(p.positionals, 'group id', 'tributary groups delete GROUP'),
      };
    }
    case 'groups reset-offsets': {
      const p = parse({
        topic: { type: 'string' },
        partitions: { type: 'string' },
        'to-earliest': { type: 'boolean' },
        'to-latest': { type: 'boolean' },
        'to-offset': { type: 'string' },
        'to-datetime': { type: 'string' },
        'shift-by': { type: 'string' },
        execute: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      });
      const usage =
        'tributary groups reset-offsets GROUP --topic T (--to-earliest | --to-latest | --to-offset N | --to-datetime ISO | --shift-by N) [--execute]';
      const group = one(p.positionals, 'group id', usage);
      const topic = p.str('topic');
      if (topic === undefined) throw new UsageError(`missing --topic: ${usage}`);
      const specs: Array<Extract<Command, { kind: 'groups-reset-offsets' }>['reset']> = [];
      if (p.bool('to-earliest')) specs.push({ to: 'earliest' });
      if (p.bool('to-latest')) specs.push({ to: 'latest' });
      const toOffset = int('to-offset', p.str('to-offset'), 0);
      if (toOffset !== undefined) specs.push({ to: 'offset', offset: toOffset });
      const toDatetime = timestamp('to-datetime', p.str('to-datetime'));
      if (toDatetime !== undefined) specs.push({ to: 'timestamp', timestamp: toDatetime });
      const shift = int('shift-by', p.str('shift-by'));
      if (shift !== undefined) specs.push({ to: 'shift', by: shift });
      if (specs.length !== 1) throw new UsageError(`give exactly one reset target: ${usage}`);
      if (p.bool('execute') && p.bool('dry-run'))
        throw new UsageError('--execute and --dry-run exclude each other');
      const partitionsText = p.str('partitions');
      const partitions = partitionsText?.split(',').map((x) => int('partitions', x.trim(), 0)!);
      return {
        ...p.common,
        kind: 'groups-reset-offsets',
        group,
        topic,
        ...(partitions === undefined ? {} : { partitions }),
        reset: specs[0]!,
        execute: p.bool('execute'),
      };
    }
    case 'cluster describe': {
      const p = parse({});
      return { ...p.common, kind: 'cluster-describe' };
    }
    case 'perf produce': {
      const p = parse({
        'num-records': { type: 'string' },
        'record-size': { type: 'string' },
        throughput: { type: 'string' },
        acks: { type: 'string' },
        compression: { type: 'string' },
      });
      const usage = 'tributary perf produce TOPIC --num-records N --record-size B --throughput R';
      const numRecords = int('num-records', p.str('num-records'), 1);
      const recordSize = int('record-size', p.str('record-size'), 0);
      if (numRecords === undefined) throw new UsageError(`missing --num-records: ${usage}`);
      if (recordSize === undefined) throw new UsageError(`missing --record-size: ${usage}`);
      const throughput = int('throughput', p.str('throughput') ?? '-1', -1)!;
      if (throughput === 0) throw new UsageError('--throughput must be positive, or -1 for unlimited');
      return {
        ...p.common,
        kind: 'perf-produce',
        topic: one(p.positionals, 'topic', usage),
        numRecords,
        recordSize,
        throughput,
        acks: acks(p.str('acks')),
        compression: compression(p.str('compression')),
        progress: isTTY && !p.common.json,
      };
    }
    case 'perf consume': {
      const p = parse({
        messages: { type: 'string' },
        group: { type: 'string' },
        'timeout-ms': { type: 'string' },
      });
      const usage = 'tributary perf consume TOPIC --messages N [--group G]';
      const messages = int('messages', p.str('messages'), 1);
      if (messages === undefined) throw new UsageError(`missing --messages: ${usage}`);
      const group = p.str('group');
      return {
        ...p.common,
        kind: 'perf-consume',
        topic: one(p.positionals, 'topic', usage),
        messages,
        ...(group === undefined ? {} : { group }),
        timeoutMs: int('timeout-ms', p.str('timeout-ms'), 1) ?? 60_000,
        progress: isTTY && !p.common.json,
      };
    }
    default:
      throw new UsageError(`unknown command "${name}" (see: tributary --help)`);
  }
}

/** `--help` on a sub-command. */
export class HelpRequested extends Error {
  constructor(readonly command: string) {
    super(`help for ${command}`);
  }
}
