/**
 * Per-topic log configuration, declared once (Kafka's `ConfigDef` / `LogConfig`): every setting
 * has its Kafka name, a type, a default, a validator and a doc string. The controller validates
 * topic configs against these same declarations (`LOG_CONFIG_DEFS`, `parseLogConfig`) so a topic
 * can never be created with a config a broker would refuse.
 */
import { InvalidConfigError } from '@tributary/errors';

export type TimestampTypeName = 'CreateTime' | 'LogAppendTime';

/** The effective configuration of one partition log. Sizes in bytes, times in milliseconds. */
export interface LogConfig {
  /** `segment.bytes`: roll the active segment when it would grow beyond this size. */
  readonly segmentBytes: number;
  /** `segment.ms`: roll the active segment this long after its first append. */
  readonly segmentMs: number;
  /** `segment.index.bytes`: size limit of a segment's offset index (and time index); a full index rolls. */
  readonly segmentIndexBytes: number;
  /** `retention.ms`: delete closed segments whose newest record is older than this; -1 keeps forever. */
  readonly retentionMs: number;
  /** `retention.bytes`: delete the oldest closed segments while the log is larger than this; -1: no limit. */
  readonly retentionBytes: number;
  /** `max.message.bytes`: largest record batch accepted, log overhead included. */
  readonly maxMessageBytes: number;
  /** `index.interval.bytes`: bytes of batches between two offset (and time) index entries. */
  readonly indexIntervalBytes: number;
  /** `flush.messages`: fsync after this many records; the default never does and relies on replication. */
  readonly flushMessages: number;
  /** `flush.ms`: fsync unflushed data at least this often (checked by the log manager's flush timer). */
  readonly flushMs: number;
  /** `message.timestamp.type`: keep producers' timestamps (CreateTime) or stamp the broker's (LogAppendTime). */
  readonly messageTimestampType: TimestampTypeName;
}

type Kind = 'int' | 'long' | 'string';

/** The declaration of one setting. */
export interface LogConfigDef<K extends keyof LogConfig = keyof LogConfig> {
  /** Kafka's name of the setting, as written in a topic config. */
  readonly key: string;
  /** Property of `LogConfig` it fills. */
  readonly property: K;
  readonly type: Kind;
  readonly default: LogConfig[K];
  readonly doc: string;
  /** Problem with a parsed value, or undefined if it is acceptable. */
  validate(value: LogConfig[K]): string | undefined;
}

const INT_MAX = 2 ** 31 - 1;
const NEVER = Number.MAX_SAFE_INTEGER;
const DAY_MS = 24 * 60 * 60 * 1000;

const atLeast =
  (min: number, max = NEVER) =>
  (v: number): string | undefined =>
    v < min || v > max ? `must be between ${min} and ${max}` : undefined;

function def<K extends keyof LogConfig>(d: LogConfigDef<K>): LogConfigDef<K> {
  return d;
}

/** Every log setting, in documentation order. */
export const LOG_CONFIG_DEFS = [
  def({
    key: 'segment.bytes',
    property: 'segmentBytes',
    type: 'int',
    default: 1024 * 1024 * 1024,
    validate: atLeast(14, INT_MAX),
    doc: 'Segment file size: the active segment rolls before an append would take it past this size. At most 2^31-1 because index positions are int32.',
  }),
  def({
    key: 'segment.ms',
    property: 'segmentMs',
    type: 'long',
    default: 7 * DAY_MS,
    validate: atLeast(1),
    doc: "Roll the active segment this long after its first batch was appended, even if it is not full, so retention can delete old data on a quiet topic. After a restart the age is taken from the first batch's timestamp.",
  }),
  def({
    key: 'segment.index.bytes',
    property: 'segmentIndexBytes',
    type: 'int',
    default: 10 * 1024 * 1024,
    validate: atLeast(12, INT_MAX),
    doc: 'Largest size of an offset index (8 bytes an entry) or time index (12 bytes an entry); a segment whose index is full rolls.',
  }),
  def({
    key: 'retention.ms',
    property: 'retentionMs',
    type: 'long',
    default: 7 * DAY_MS,
    validate: atLeast(-1),
    doc: 'Delete a closed segment once its newest record timestamp is older than this. -1 keeps data forever.',
  }),
  def({
    key: 'retention.bytes',
    property: 'retentionBytes',
    type: 'long',
    default: -1,
    validate: atLeast(-1),
    doc: 'Delete the oldest closed segments while the partition log is larger than this. -1: no size limit. Whichever of retention.ms and retention.bytes is reached first applies.',
  }),
  def({
    key: 'max.message.bytes',
    property: 'maxMessageBytes',
    type: 'int',
    default: 1024 * 1024 + 12,
    validate: atLeast(0, INT_MAX),
    doc: 'Largest record batch the leader accepts, its 12 bytes of log overhead (base offset, length) included.',
  }),
  def({
    key: 'index.interval.bytes',
    property: 'indexIntervalBytes',
    type: 'int',
    default: 4096,
    validate: atLeast(0, INT_MAX),
    doc: 'How many bytes of batches lie between two offset index entries: smaller means a denser, larger index and shorter scans.',
  }),
  def({
    key: 'flush.messages',
    property: 'flushMessages',
    type: 'long',
    default: NEVER,
    validate: atLeast(1),
    doc: 'fsync the log after this many records. The default never does: durability comes from replication (acks=all), and an fsync on the append path stalls every partition of the broker.',
  }),
  def({
    key: 'flush.ms',
    property: 'flushMs',
    type: 'long',
    default: 60_000,
    validate: atLeast(0),
    doc: "fsync unflushed data at least this often, off the append path (the log manager's flush timer). Bounds what a whole-cluster power loss can take; the kernel writes dirty pages back sooner anyway.",
  }),
  def({
    key: 'message.timestamp.type',
    property: 'messageTimestampType',
    type: 'string',
    default: 'CreateTime' as TimestampTypeName,
    validate: (v: string) =>
      v === 'CreateTime' || v === 'LogAppendTime' ? undefined : 'must be CreateTime or LogAppendTime',
    doc: "CreateTime keeps the producer's timestamps; LogAppendTime stamps each batch with the broker's clock at append.",
  }),
] as const satisfies readonly LogConfigDef[];

const byKey = new Map<string, LogConfigDef>(LOG_CONFIG_DEFS.map((d) => [d.key, d as LogConfigDef]));

/** The configuration with every default. */
export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze(
  Object.fromEntries(LOG_CONFIG_DEFS.map((d) => [d.property, d.default])) as unknown as LogConfig,
);

function parseValue(d: LogConfigDef, text: string): number | string {
  if (d.type === 'string') return text.trim();
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new InvalidConfigError(d.key, `"${text}" is not an integer`);
  const n = Number(trimmed);
  if (!Number.isSafeInteger(n)) throw new InvalidConfigError(d.key, `"${text}" is out of range`);
  return n;
}

function check(d: LogConfigDef, value: unknown): void {
  const expected = d.type === 'string' ? 'string' : 'number';
  if (typeof value !== expected || (expected === 'number' && !Number.isSafeInteger(value))) {
    throw new InvalidConfigError(d.key, `expected ${d.type === 'string' ? 'a string' : 'an integer'}`);
  }
  const problem = d.validate(value as never);
  if (problem !== undefined) throw new InvalidConfigError(d.key, `${String(value)} ${problem}`);
}

/**
 * Parses a topic config as stored in metadata (Kafka names, string values), filling defaults.
 * Throws InvalidConfigError naming the key for an unknown key or a bad value.
 */
export function parseLogConfig(
  map: Readonly<Record<string, string>>,
  defaults: LogConfig = DEFAULT_LOG_CONFIG,
): LogConfig {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, text] of Object.entries(map)) {
    const d = byKey.get(key);
    if (d === undefined) throw new InvalidConfigError(key, 'unknown log configuration key');
    const value = parseValue(d, text);
    check(d, value);
    out[d.property] = value;
  }
  return Object.freeze(out) as unknown as LogConfig;
}

/** Defaults overridden by typed values (for code and tests), validated like parsed ones. */
export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  const out = { ...DEFAULT_LOG_CONFIG, ...overrides };
  for (const d of LOG_CONFIG_DEFS) check(d as LogConfigDef, out[d.property]);
  return Object.freeze(out);
}

/** The config as a topic-config map with Kafka names (the inverse of parseLogConfig). */
export function logConfigToMap(config: LogConfig): Record<string, string> {
  return Object.fromEntries(LOG_CONFIG_DEFS.map((d) => [d.key, String(config[d.property])]));
}
