import { type ErrorName, type ErrorSpec, errorSpecByCode, errorSpecByName } from './error-table';

/** Context that helps the caller act on an error (which partition, which leader, ...). */
export type ErrorContext = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * The one base class of every Tributary error, client or server side. `code` and `retriable`
 * come from the error table; subclasses only add typed context.
 */
export class TributaryError extends Error {
  readonly code: number;
  readonly errorName: string;
  readonly retriable: boolean;
  /** Refresh metadata before retrying: the leader may have moved (the table's column). */
  readonly refreshMetadata: boolean;
  readonly context: ErrorContext;

  constructor(
    name: ErrorName | ErrorSpec,
    message?: string,
    options?: { cause?: unknown; context?: ErrorContext },
  ) {
    const errorSpec = typeof name === 'string' ? errorSpecByName(name) : name;
    super(message ?? errorSpec.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TributaryError';
    this.code = errorSpec.code;
    this.errorName = errorSpec.name;
    this.retriable = errorSpec.retriable;
    this.refreshMetadata = errorSpec.refreshMetadata;
    this.context = options?.context ?? {};
  }

  /** Builds the error for a code received from the wire, keeping the server's message. */
  static fromCode(code: number, message?: string, context?: ErrorContext): TributaryError {
    const errorSpec = errorSpecByCode(code);
    switch (errorSpec.name) {
      case 'NOT_LEADER_OR_FOLLOWER':
        return new NotLeaderError(message, { leaderId: context?.['leaderId'] as number | undefined });
      case 'OFFSET_OUT_OF_RANGE':
        return new OffsetOutOfRangeError(message, {
          earliest: context?.['earliest'] as number | undefined,
          latest: context?.['latest'] as number | undefined,
        });
      case 'CORRUPT_MESSAGE':
        return new CorruptMessageError(message ?? errorSpec.message);
      default:
        return new TributaryError(errorSpec, message, context === undefined ? undefined : { context });
    }
  }
}

/** The broker is not the partition's leader; `leaderId` names the current one when known (-1 if none). */
export class NotLeaderError extends TributaryError {
  readonly leaderId: number | undefined;
  constructor(message?: string, context: { leaderId?: number | undefined } = {}) {
    super('NOT_LEADER_OR_FOLLOWER', message, { context });
    this.name = 'NotLeaderError';
    this.leaderId = context.leaderId;
  }
}

/** The offset asked for is outside `[earliest, latest]`. */
export class OffsetOutOfRangeError extends TributaryError {
  readonly earliest: number | undefined;
  readonly latest: number | undefined;
  constructor(
    message?: string,
    context: { earliest?: number | undefined; latest?: number | undefined } = {},
  ) {
    super('OFFSET_OUT_OF_RANGE', message, { context });
    this.name = 'OffsetOutOfRangeError';
    this.earliest = context.earliest;
    this.latest = context.latest;
  }
}

/** A record batch is truncated, fails its CRC or is otherwise malformed. */
export class CorruptMessageError extends TributaryError {
  constructor(message: string, options?: { cause?: unknown; context?: ErrorContext }) {
    super('CORRUPT_MESSAGE', message, options);
    this.name = 'CorruptMessageError';
  }
}

/** A batch or request exceeds a configured size limit; `setting` names the limit. */
export class MessageTooLargeError extends TributaryError {
  readonly size: number;
  readonly limit: number;
  /** The setting that sets `limit` (`max.message.bytes`, or the producer's `bufferMemory`). */
  readonly setting: string;
  constructor(size: number, limit: number, what = 'record batch', setting = 'max.message.bytes') {
    super(
      'MESSAGE_TOO_LARGE',
      `The ${what} is ${size} bytes, over the limit of ${limit} bytes (${setting}).`,
      {
        context: { size, limit },
      },
    );
    this.name = 'MessageTooLargeError';
    this.size = size;
    this.limit = limit;
    this.setting = setting;
  }
}

/**
 * The producer's buffer (`bufferMemory`) had no room for a send within `maxBlockMs` (Kafka's
 * BufferExhaustedException, a TimeoutException): nothing of that send was accepted or will be
 * sent, and what was accepted before it is unaffected. Retriable: the buffer empties as the
 * brokers acknowledge.
 */
export class BufferExhaustedError extends TributaryError {
  /** Bytes the send needed. */
  readonly size: number;
  readonly bufferMemory: number;
  readonly maxBlockMs: number;
  constructor(size: number, bufferMemory: number, availableBytes: number, maxBlockMs: number) {
    super(
      'REQUEST_TIMED_OUT',
      `Failed to allocate ${size} bytes of the producer's buffer within maxBlockMs (${maxBlockMs} ms): ` +
        `bufferMemory is ${bufferMemory} bytes, ${availableBytes} free. Nothing of this send was accepted.`,
      { context: { size, bufferMemory, availableBytes, maxBlockMs } },
    );
    this.name = 'BufferExhaustedError';
    this.size = size;
    this.bufferMemory = bufferMemory;
    this.maxBlockMs = maxBlockMs;
  }
}

/** Invalid configuration: names the setting so the operator can fix it. */
export class InvalidConfigError extends TributaryError {
  readonly setting: string;
  constructor(setting: string, problem: string) {
    super('INVALID_CONFIG', `Invalid configuration ${setting}: ${problem}`, { context: { setting } });
    this.name = 'InvalidConfigError';
    this.setting = setting;
  }
}
