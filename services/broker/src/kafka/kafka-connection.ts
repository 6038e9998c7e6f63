/**
 * One client connection to the Kafka listener: splits the byte stream into size-prefixed frames
 * and answers them one at a time, in order, as Kafka's broker does (it reads the next request of
 * a connection only after answering the previous one), so responses never need reordering.
 *
 * Bad input is treated as Kafka treats it: a frame larger than the limit, a request header or
 * body that does not parse, or an API key or version not served closes this connection (logged
 * once), except ApiVersions at an unknown version, which is answered with UNSUPPORTED_VERSION and
 * the versions served, so the client can retry at one of them. Nothing is stored for a request
 * that did not decode; other connections are unaffected.
 */
import type { Socket } from 'node:net';
import { KAFKA_UNSUPPORTED_VERSION } from '@tributary/errors';
import type { KafkaApi } from './api';
import { API_VERSIONS_KEY, frameResponse } from './protocol/request-header';
import { type Message, writeStruct } from './protocol/schema';
import { WireWriter } from './protocol/wire';
import { decodeRequest } from './request-decoder';
import type { ServedApi } from './served-api';

export interface ConnectionLogger {
  warn(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
}

export interface KafkaConnectionOptions {
  readonly socket: Socket;
  readonly served: ReadonlyMap<number, ServedApi>;
  /** Largest request frame accepted (Kafka's socket.request.max.bytes). */
  readonly maxFrameBytes: number;
  readonly logger: ConnectionLogger;
}

export class KafkaConnection {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #busy = false;
  #closed = false;
  readonly #apis: ReadonlyMap<number, KafkaApi>;
  readonly #peer: string;

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
    if (this.#pending.length > 1) this.#pending = [Buffer.concat(this.#pending)];
    const buf = this.#pending[0]!;
    const size = buf.readInt32BE(0);
    if (size < 0 || size > this.options.maxFrameBytes) {
      this.#fail({ size, max: this.options.maxFrameBytes }, 'request frame size out of range; closing');
      return undefined;
    }
    if (buf.length < 4 + size) return undefined;
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
        await this.#handle(frame);
      }
    } finally {
      this.#busy = false;
    }
  }

  async #handle(frame: Buffer): Promise<void> {
    const decoded = decodeRequest(frame, this.#apis);
    if (decoded.kind === 'malformed') {
      this.#fail({ reason: decoded.reason, apiKey: decoded.header?.apiKey }, 'malformed request; closing');
      return;
    }
    const { header } = decoded;
    if (decoded.kind === 'unsupported') {
      if (header.apiKey === API_VERSIONS_KEY && decoded.api !== undefined) {
        // KIP-511: answer in v0 with the versions we serve so the client can pick one.
        this.#send(
          frameResponse(header, false, this.#encode(decoded.api, 0, this.#unsupportedApiVersions())),
        );
        return;
      }
      this.#fail(
        { apiKey: header.apiKey, apiVersion: header.apiVersion, clientId: header.clientId },
        'unsupported API key or version; closing',
      );
      return;
    }
    const served = this.options.served.get(header.apiKey)!;
    let out: Buffer | undefined;
    try {
      const response = await served.handle(decoded.body, { header, version: header.apiVersion });
      if (response === undefined) return;
      const flexible = header.apiVersion >= served.api.flexibleFrom;
      out = frameResponse(header, flexible, this.#encode(served.api, header.apiVersion, response));
    } catch (err) {
      this.#fail({ api: served.api.name, err: String(err) }, 'request handler failed; closing');
      return;
    }
    this.#send(out);
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

  #encode(api: KafkaApi, version: number, body: Message): Buffer {
    const w = new WireWriter();
    writeStruct(w, api.response, body, version, version >= api.flexibleFrom);
    return w.bytes();
  }

  #send(frame: Buffer): void {
    if (!this.#closed) this.options.socket.write(frame);
  }

  /** Logs once for this connection and closes it. */
  #fail(fields: object, msg: string): void {
    if (this.#closed) return;
    this.options.logger.warn({ peer: this.#peer, ...fields }, `kafka listener: ${msg}`);
    this.close();
  }
}
