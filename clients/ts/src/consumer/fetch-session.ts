/**
 * One FetchStream to one broker (broker.proto "FetchStream"): the partitions this consumer reads
 * from that broker, and the credit that paces the broker. The broker pushes a response as soon
 * as data arrives (woken by the append) while it holds credit; there is no request per response.
 *
 * Credit: the session opens with two responses' worth of bytes (`creditWindowBytes`, within
 * `maxPrefetchBytes`) and a few responses. Each
 * response received gives its response credit back at once; bytes come back when the consumer
 * releases the batches (or at once for bytes it drops), so a slow application stops the broker
 * instead of piling records up in memory. Credit goes back in chunks of at least a full response
 * (`maxBytes`, at most half the prefetch), as TCP sends window updates: returned batch by batch,
 * the broker would answer each dribble of credit with a small response and spend its time on
 * per-response work (measured: +30 % broker CPU and a slower consumer). This cannot stall: while
 * the broker is out of credit, everything the application released is pending here, and that is
 * the whole prefetch, above the threshold.
 */
import type * as grpc from '@grpc/grpc-js';
import type {
  BrokerServiceClient,
  FetchStreamPartition,
  FetchStreamRequest,
  FetchStreamResponse__Output,
} from '@tributary/proto';
import type { RecordSourceSettings } from './record-source';

/** A partition to read and where to start. */
export type StreamPartition = FetchStreamPartition & { topic: string; partition: number };

/** Responses the broker may have on the wire at once; bytes are the real limit. */
const RESPONSE_CREDIT = 32;

export interface FetchSessionHandlers {
  onResponse(session: FetchSession, response: FetchStreamResponse__Output): void;
  /** The stream ended, by the broker or by a failure; not called after `close`. */
  onEnd(session: FetchSession): void;
}

/**
 * The byte credit a session opens with: two full responses (one on the wire while the client
 * decodes the other), within the prefetch budget. A larger window only parks responses in the
 * HTTP/2 stream and the broker's memory.
 */
export function creditWindowBytes(settings: RecordSourceSettings): number {
  return Math.max(1, Math.min(settings.maxPrefetchBytes, 2 * settings.maxBytes));
}

export class FetchSession {
  /** Keys (`topic/partition`) of the partitions this session reads. */
  readonly partitions = new Set<string>();
  /** When the broker last sent anything (ms). */
  lastResponseAt = Date.now();
  readonly #call: grpc.ClientDuplexStream<FetchStreamRequest, FetchStreamResponse__Output>;
  #ended = false;
  #closing = false;
  #pendingResponses = 0;
  #pendingBytes = 0;
  #flushScheduled = false;
  readonly #creditChunkBytes: number;

  constructor(
    client: BrokerServiceClient,
    readonly address: string,
    settings: RecordSourceSettings,
    private readonly handlers: FetchSessionHandlers,
  ) {
    const window = creditWindowBytes(settings);
    this.#creditChunkBytes = Math.max(1, Math.min(settings.maxBytes, Math.floor(window / 2)));
    this.#call = client.fetchStream();
    this.#call.on('data', (res: FetchStreamResponse__Output) => {
      this.lastResponseAt = Date.now();
      this.#pendingResponses += 1;
      this.#scheduleFlush();
      handlers.onResponse(this, res);
    });
    this.#call.on('error', () => this.#end());
    this.#call.on('end', () => this.#end());
    this.#write({
      start: {
        settings: {
          maxWaitMs: settings.maxWaitMs,
          minBytes: settings.minBytes,
          maxBytes: settings.maxBytes,
        },
        partitions: [],
        credit: { responses: RESPONSE_CREDIT, bytes: window },
      },
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Starts reading partitions, or moves (and resumes) partitions the session already reads. */
  add(partitions: readonly StreamPartition[]): void {
    if (partitions.length === 0) return;
    for (const p of partitions) this.partitions.add(`${p.topic}/${p.partition}`);
    this.#write({ update: { add: [...partitions] } });
  }

  /** Stops reading partitions; responses already on the wire still arrive (and are dropped). */
  remove(partitions: readonly { topic: string; partition: number }[]): void {
    const known = partitions.filter((p) => this.partitions.delete(`${p.topic}/${p.partition}`));
    if (known.length > 0) this.#write({ update: { remove: known } });
  }

  /** Gives byte credit back (batches released or dropped). */
  credit(bytes: number): void {
    if (bytes <= 0 || this.#ended) return;
    this.#pendingBytes += bytes;
    this.#scheduleFlush();
  }

  /** Ends the stream from this side. */
  close(): void {
    if (this.#ended) return;
    this.#closing = true;
    this.#call.cancel();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      const due =
        this.#pendingBytes >= this.#creditChunkBytes || this.#pendingResponses >= RESPONSE_CREDIT / 2;
      if (!due) return;
      const credit = { responses: this.#pendingResponses, bytes: Math.min(this.#pendingBytes, 2 ** 31 - 1) };
      this.#pendingResponses = 0;
      this.#pendingBytes -= credit.bytes;
      this.#write({ credit });
    });
  }

  #write(message: FetchStreamRequest): void {
    if (!this.#ended) this.#call.write(message);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#closing) this.handlers.onEnd(this);
  }
}
