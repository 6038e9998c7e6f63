/**
 * One client connection to the Kafka listener: splits the byte stream into size-prefixed frames
 * and answers them in order. Requests run one at a time, as Kafka's broker runs them, with one
 * exception: consecutive Produce requests are pipelined (up to MAX_PIPELINED_PRODUCES). A produce
 * appends synchronously when it starts and only then waits for replication (acks=all), so starting
 * the next one before the previous is answered keeps the appends in arrival order (idempotent
 * sequences stay in order) while several replication waits overlap; without it an acks=all
 * producer gets one request per replication round trip. Any other request waits until every
 * earlier one is answered. Responses are written in request order.
 *
 * Bad input is treated as Kafka treats it: a frame larger than the limit, a request header or
 * body that does not parse, or an API key or version not served closes this connection (logged
 * once), except ApiVersions at an unknown version, which is answered with UNSUPPORTED_VERSION and
 * the versions served, so the client can retry at one of them. Nothing is stored for a request
 * that did not decode; other connections are unaffected.
 *
 * With authentication on, the connection's KafkaSession decides whether a request may run: before
 * SASL succeeds (or without a verified client certificate) only ApiVersions, SaslHandshake and
 * SaslAuthenticate are served and anything else closes the connection, as does any request after
 * the SASL session expired. A SASL refusal is answered, then the connection is closed.
 */
import type { Socket } from 'node:net';
import { KAFKA_UNSUPPORTED_VERSION } from '@tributary/errors';
import type { KafkaApi } from './api';
import { API_VERSIONS_KEY, frameResponse } from './protocol/request-header';
import { type Message, writeStruct } from './protocol/schema';
import type { WireWriter } from './protocol/wire';
import { decodeRequest } from './request-decoder';
import type { KafkaSession } from './sasl/kafka-session';
import type { ServedApi } from './served-api';

/** Produce requests of one connection whose replication waits may overlap. */
const MAX_PIPELINED_PRODUCES = 5;
const PRODUCE_KEY = 0;
/** Requests a connection may send before it is authenticated. */
const BEFORE_AUTHENTICATION: ReadonlySet<number> = new Set([API_VERSIONS_KEY, 17, 36]);

export interface ConnectionLogger {
  warn(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
}

/** What a connection reports of each response it writes (the broker's metrics). */
export interface KafkaConnectionObserver {
  /** A response of `api` left: `seconds` from its request read whole to written, `bytes` with its frame. */
  responded(api: string, seconds: number, bytes: number): void;
}

export interface KafkaConnectionOptions {
  readonly socket: Socket;
  readonly served: ReadonlyMap<number, ServedApi>;
  /** Largest request frame accepted (Kafka's socket.request.max.bytes). */
  readonly maxFrameBytes: number;
  readonly logger: ConnectionLogger;
  readonly observer?: KafkaConnectionObserver;
  /** Who the client is (authentication off: nobody needs to be). */
  readonly session: KafkaSession;
}

export class KafkaConnection {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #busy = false;
  #closed = false;
  /** Requests started and not yet answered, oldest first: whether each is a Produce, and its answer. */
  #inFlight: { produce: boolean; done: Promise<void> }[] = [];
  readonly #apis: ReadonlyMap<number, KafkaApi>;
  readonly #peer: string;
  /** A response after which the connection ends (a refused authentication). */
  #lastFrame: Buffer[] | undefined;

  constructor(private readonly options: KafkaConnectionOptions) {
    this.#apis = new Map([...options.served].map(([key, s]) => [key, s.api]));
    this.#peer = `${options.socket.remoteAddress}:${options.socket.remotePort}`;
    options.socket.setNoDelay(true);
    options.socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    options.socket.on('error', () => this.close());
    options.socket.on('close', () => {
      this.#closed = true;
    });
  }

  /** Ends the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.options.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    void this.#drain();
  }

  /** The next whole frame's body, or undefined when more bytes are needed. */
  #nextFrame(): Buffer | undefined {
    if (this.#pendingBytes < 4) return undefined;
    // Chunks are joined only once a whole frame is there: joining on every chunk copied a large
    // request's bytes again for each chunk it arrived in (quadratic in its size).
    if (this.#pending[0]!.length < 4) this.#pending = [Buffer.concat(this.#pending)];
    const size = this.#pending[0]!.readInt32BE(0);
    if (size < 0 || size > this.options.maxFrameBytes) {
      this.#fail({ size, max: this.options.maxFrameBytes }, 'request frame size out of range; closing');
      return undefined;
    }
    if (this.#pendingBytes < 4 + size) return undefined;
    if (this.#pending.length > 1) this.#pending = [Buffer.concat(this.#pending)];
    const buf = this.#pending[0]!;
    const frame = buf.subarray(4, 4 + size);
    const rest = buf.subarray(4 + size);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return frame;
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (;;) {
        if (this.#closed) return;
        const frame = this.#nextFrame();
        if (frame === undefined) return;
        const produce = frame.length >= 2 && frame.readInt16BE(0) === PRODUCE_KEY;
        // Wait for earlier requests unless this one may be pipelined behind them.
        const pipelined = produce && this.#inFlight.every((r) => r.produce);
        while (this.#inFlight.length > 0 && (!pipelined || this.#inFlight.length >= MAX_PIPELINED_PRODUCES)) {
          await this.#inFlight[0]!.done;
        }
        if (this.#closed) return;
        // The answer is written after every earlier one (they are all awaited before it).
        const earlier = this.#inFlight.map((r) => r.done);
        const readAt = performance.now();
        const answer = this.#handle(frame);
        const entry = {
          produce,
          done: answer.then(async (out) => {
            await Promise.all(earlier);
            if (out !== undefined) this.#send(out, frame.readInt16BE(0), readAt);
          }),
        };
        void entry.done.finally(() => {
          this.#inFlight = this.#inFlight.filter((r) => r !== entry);
        });
        this.#inFlight.push(entry);
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Runs one request; resolves to its framed answer, or undefined for none (or a closed connection). */
  async #handle(frame: Buffer): Promise<Buffer[] | undefined> {
    if (this.options.session.rawSaslNext) return this.#rawSasl(frame);
    const decoded = decodeRequest(frame, this.#apis);
    if (decoded.kind === 'malformed') {
      this.#fail({ reason: decoded.reason, apiKey: decoded.header?.apiKey }, 'malformed request; closing');
      return;
    }
    const { header } = decoded;
    if (decoded.kind === 'unsupported') {
      if (header.apiKey === API_VERSIONS_KEY && decoded.api !== undefined) {
        // KIP-511: answer in v0 with the versions we serve so the client can pick one.
        return frameResponse(header, false, this.#encoder(decoded.api, 0, this.#unsupportedApiVersions()));
      }
      this.#fail(
        { apiKey: header.apiKey, apiVersion: header.apiVersion, clientId: header.clientId },
        'unsupported API key or version; closing',
      );
      return;
    }
    const { session } = this.options;
    const refusal = BEFORE_AUTHENTICATION.has(header.apiKey) ? undefined : session.refusal();
    if (refusal !== undefined) {
      this.#fail({ apiKey: header.apiKey, clientId: header.clientId }, `${refusal}; closing`);
      return;
    }
    const served = this.options.served.get(header.apiKey)!;
    try {
      const ctx = { header, version: header.apiVersion, session, peer: this.#peer };
      const response = await served.handle(decoded.body, ctx);
      if (response === undefined) return undefined;
      const flexible = header.apiVersion >= served.api.flexibleFrom;
      const pieces = frameResponse(header, flexible, this.#encoder(served.api, header.apiVersion, response));
      if (session.closeAfterResponse) this.#closeAfter(pieces);
      return pieces;
    } catch (err) {
      this.#fail({ api: served.api.name, err: String(err) }, 'request handler failed; closing');
      return undefined;
    }
  }

  /** After SaslHandshake v0: the frame is the mechanism's bytes; success is an empty frame. */
  async #rawSasl(frame: Buffer): Promise<Buffer[] | undefined> {
    const { session } = this.options;
    session.rawSaslNext = false;
    const refusal = await session.authenticate(frame);
    if (refusal !== undefined) {
      this.#fail({ reason: refusal }, 'kafka SASL authentication refused (handshake v0); closing');
      return undefined;
    }
    return [Buffer.alloc(4)];
  }

  #unsupportedApiVersions(): Message {
    return {
      errorCode: KAFKA_UNSUPPORTED_VERSION,
      apiKeys: [...this.#apis.values()].map((a) => ({
        apiKey: a.key,
        minVersion: a.minVersion,
        maxVersion: a.maxVersion,
      })),
    };
  }

  #encoder(api: KafkaApi, version: number, body: Message): (w: WireWriter) => void {
    return (w) => writeStruct(w, api.response, body, version, version >= api.flexibleFrom);
  }

  /**
   * Writes one response in one gathered write (writev): corked, its pieces (header and small
   * fields, and the record batches as read from the log) leave together without being joined.
   */
  #send(pieces: readonly Buffer[], apiKey: number, readAt: number): void {
    if (this.#closed) return;
    const socket = this.options.socket;
    const observer = this.options.observer;
    let written: (() => void) | undefined;
    if (observer !== undefined) {
      let bytes = 0;
      for (const piece of pieces) bytes += piece.length;
      const api = this.#apis.get(apiKey)?.name ?? String(apiKey);
      written = () => observer.responded(api, (performance.now() - readAt) / 1000, bytes);
    }
    if (pieces === this.#lastFrame) {
      // A refused authentication: its answer, then the end of the connection.
      this.#closed = true;
      socket.cork();
      for (const piece of pieces) socket.write(piece);
      socket.end(written);
      return;
    }
    if (pieces.length === 1) {
      socket.write(pieces[0]!, written);
      return;
    }
    socket.cork();
    for (let i = 0; i < pieces.length; i++)
      socket.write(pieces[i]!, i === pieces.length - 1 ? written : undefined);
    socket.uncork();
  }

  /** Ends the connection once `pieces` are written; nothing after them is read or answered. */
  #closeAfter(pieces: Buffer[]): void {
    this.#lastFrame = pieces;
    this.options.socket.pause();
  }

  /** Logs once for this connection and closes it. */
  #fail(fields: object, msg: string): void {
    if (this.#closed) return;
    this.options.logger.warn({ peer: this.#peer, ...fields }, `kafka listener: ${msg}`);
    this.close();
  }
}
