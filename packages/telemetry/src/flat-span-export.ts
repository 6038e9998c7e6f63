/**
 * Flat send spans exported off the main thread (issue 14's ninth pass). When the process's
 * tracer provider is the one `startTracing` made with its OTLP exporter, a flat send span
 * (the client's flat-send-spans.ts), once its record is acknowledged, is written as one record
 * of bytes into a `SharedArrayBuffer` ring: its `traceparent` bytes (the ids), the parent's span
 * id, start and end times, partition, offset, status, key, and its name, topic, client id and
 * resource/scope as indices into a string table written into the ring once per string. A
 * `worker_threads` worker (flat-span-worker.ts) reads the ring, writes the OTLP/JSON and POSTs
 * it with the OTLP exporter's transport. Nothing of the span stays on the main thread's heap
 * after the acknowledgement, and no export work runs there.
 *
 * A full ring drops the span and counts it (`dropped`), as the batch processor's queue does: the
 * producer never waits. Flush and shutdown (`FlatSpanExportProcessor`, one of the provider's
 * span processors, so `provider.forceFlush()`/`shutdown()` reach it) make the worker drain the
 * ring and export, and resolve once it has. The worker is started with the first span and does
 * not keep the process alive, except while a flush waits for it.
 */
import { Worker } from 'node:worker_threads';
import { diag, type SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  flatSpanWorkerSource,
  HDR_BYTES,
  HDR_READ,
  HDR_WRITE,
  REC,
  TAG_SPAN,
  TAG_STRING,
  WRAP,
} from './flat-span-worker';
import { JsonBytes } from './json-bytes';
import { keyValuesJson } from './otlp-json';

export interface FlatSpanExportOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly exportDelayMs: number;
  readonly maxExportBatchSize: number;
  /** Bytes of the ring (a span is about 130 bytes plus its key). */
  readonly ringBytes: number;
}

/** What is the same for every span of one `send` call: indices into the string table. */
export interface FlatSendFrame {
  readonly name: number;
  readonly topic: number;
  readonly clientId: number;
  readonly frame: number;
  /** The parent's span id (hex), undefined for a root. */
  readonly parentSpanId: string | undefined;
  readonly parentIsRemote: boolean;
  /** The parent's serialised trace state as UTF-8 (empty: none). */
  readonly traceState: Buffer;
}

const MAX_STRINGS = 0xffff;

export class FlatSpanExport {
  readonly #options: FlatSpanExportOptions;
  readonly #capacity: number;
  #sab: SharedArrayBuffer | undefined;
  #header!: Int32Array;
  #data!: Buffer;
  #w = 0;
  #worker: Worker | undefined;
  #failed = false;
  #closed = false;
  readonly #strings = new Map<string, number>();
  readonly #resources = new Map<Resource, number>();
  readonly #frames = new Map<Resource, Map<InstrumentationScope, string>>();
  #nextId = 0;
  readonly #waiting = new Map<number, () => void>();
  /** Spans dropped: ring full, the worker failed, or the export shut down. */
  dropped = 0;
  /** Spans written into the ring. */
  written = 0;
  /** For tests: reads what the worker would (no worker is started when set). */
  readonly #reader: ((data: Buffer, from: number, to: number) => void) | undefined;

  constructor(options: FlatSpanExportOptions, reader?: (data: Buffer, from: number, to: number) => void) {
    this.#options = options;
    this.#capacity = Math.max(4096, options.ringBytes & ~7);
    this.#reader = reader;
  }

  /** The indices of one send call's strings and frame (undefined: the table is full). */
  frameOf(
    resource: Resource,
    scope: InstrumentationScope,
    name: string,
    topic: string,
    clientId: string,
    parent: SpanContext | undefined,
  ): FlatSendFrame | undefined {
    const frame = this.#stringIndex(this.#frameText(resource, scope));
    const n = this.#stringIndex(JSON.stringify(name));
    const t = this.#stringIndex(JSON.stringify(topic));
    const c = this.#stringIndex(JSON.stringify(clientId));
    if (frame < 0 || n < 0 || t < 0 || c < 0) return undefined;
    return {
      name: n,
      topic: t,
      clientId: c,
      frame,
      parentSpanId: parent?.spanId,
      parentIsRemote: parent?.isRemote === true,
      traceState: Buffer.from(parent?.traceState?.serialize() ?? ''),
    };
  }

  /**
   * Writes one ended send span into the ring; false (and counted) when it does not fit. Times
   * are wall-clock milliseconds; `offset` −1 for none; `statusCode` 2 with `message` on error.
   */
  write(
    f: FlatSendFrame,
    traceparent: Buffer,
    startMs: number,
    endMs: number,
    partition: number,
    offset: number,
    key: Buffer | null | undefined,
    statusCode: number,
    message: Buffer | undefined,
  ): boolean {
    const keyLen = key ? key.length : 0;
    const messageLen = message ? message.length : 0;
    const size = REC.variable + keyLen + f.traceState.length + messageLen;
    const at = this.#reserve(size);
    if (at < 0) {
      this.#drop();
      return false;
    }
    const d = this.#data;
    d.writeUInt8(TAG_SPAN, at + REC.tag);
    d.writeUInt8(statusCode, at + REC.status);
    d.writeUInt8(
      (f.parentSpanId !== undefined ? 1 : 0) | (f.parentIsRemote ? 2 : 0) | (key ? 4 : 0),
      at + REC.flags,
    );
    d.writeUInt16LE(f.name, at + REC.name);
    d.writeUInt16LE(f.topic, at + REC.topic);
    d.writeUInt16LE(f.clientId, at + REC.clientId);
    d.writeUInt16LE(f.frame, at + REC.frame);
    d.writeInt32LE(partition, at + REC.partition);
    d.writeUInt32LE(keyLen, at + REC.keyLen);
    d.writeUInt32LE(f.traceState.length, at + REC.traceStateLen);
    d.writeUInt32LE(messageLen, at + REC.messageLen);
    d.writeDoubleLE(startMs, at + REC.start);
    d.writeDoubleLE(endMs, at + REC.end);
    d.writeDoubleLE(offset, at + REC.offset);
    traceparent.copy(d, at + REC.traceparent, 0, 55);
    if (f.parentSpanId !== undefined) d.write(f.parentSpanId, at + REC.parentSpanId, 16, 'latin1');
    let v = at + REC.variable;
    if (key) v += key.copy(d, v);
    if (f.traceState.length > 0) v += f.traceState.copy(d, v);
    if (message) message.copy(d, v);
    this.#commit(at, size);
    this.written++;
    return true;
  }

  /** Resolves once every span written so far is exported (or failed to be). */
  flush(): Promise<void> {
    return this.#ask('flush');
  }

  /** Flushes, then stops the worker; later spans are dropped. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    await this.#ask('shutdown');
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #drop(): void {
    if (this.dropped++ === 0)
      diag.warn(
        'Dropped a flat send span: the export ring is full or its worker stopped (counted in dropped).',
      );
  }

  #ask(op: 'flush' | 'shutdown'): Promise<void> {
    const worker = this.#worker;
    if (this.#reader !== undefined) {
      this.#readAll();
      return Promise.resolve();
    }
    if (worker === undefined || this.#failed) return Promise.resolve();
    const id = ++this.#nextId;
    worker.ref(); // a flush at exit must see the worker's answer
    return new Promise<void>((resolve) => {
      this.#waiting.set(id, resolve);
      worker.postMessage({ id, op });
    });
  }

  #settle(id: number): void {
    const resolve = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker?.unref();
    resolve?.();
  }

  #failAll(error: unknown): void {
    if (!this.#failed) diag.error('The flat span export worker failed; its spans are dropped.', error);
    this.#failed = true;
    for (const id of [...this.#waiting.keys()]) this.#settle(id);
  }

  /** The ring and the worker, made with the first span. */
  #start(): boolean {
    if (this.#closed || this.#failed) return false;
    if (this.#sab !== undefined) return true;
    this.#sab = new SharedArrayBuffer(HDR_BYTES + this.#capacity);
    this.#header = new Int32Array(this.#sab, 0, 2);
    this.#data = Buffer.from(this.#sab, HDR_BYTES, this.#capacity);
    if (this.#reader !== undefined) return true;
    try {
      const worker = new Worker(flatSpanWorkerSource(), {
        eval: true,
        workerData: {
          sab: this.#sab,
          capacity: this.#capacity,
          url: this.#options.url,
          headers: { ...this.#options.headers },
          exportDelayMs: this.#options.exportDelayMs,
          maxExportBatchSize: this.#options.maxExportBatchSize,
          paths: {
            nodeHttp: require.resolve('@opentelemetry/otlp-exporter-base/node-http'),
            transformer: require.resolve('@opentelemetry/otlp-transformer'),
          },
        },
      });
      worker.unref();
      worker.on('message', (m: { id: number }) => this.#settle(m.id));
      worker.on('error', (e) => this.#failAll(e));
      worker.on('exit', () => {
        if (!this.#closed) this.#failAll(new Error('the worker exited'));
      });
      this.#worker = worker;
      return true;
    } catch (e) {
      this.#failAll(e);
      return false;
    }
  }

  /** A position with `size` bytes free for the next record (−1: the ring is full). */
  #reserve(size: number): number {
    if (!this.#start()) return -1;
    const n = (size + 7) & ~7;
    const cap = this.#capacity;
    if (n > cap >> 2) return -1;
    const r = Atomics.load(this.#header, HDR_READ);
    const w = this.#w;
    if (w >= r) {
      if (cap - w > n || (cap - w === n && r > 0)) return w;
      if (n < r) {
        this.#data.writeUInt32LE(WRAP, w + REC.len);
        this.#w = 0;
        return 0;
      }
      return -1;
    }
    return w + n < r ? w : -1;
  }

  #commit(at: number, size: number): void {
    const n = (size + 7) & ~7;
    this.#data.writeUInt32LE(n, at + REC.len);
    let w = at + n;
    if (w === this.#capacity) w = 0;
    this.#w = w;
    Atomics.store(this.#header, HDR_WRITE, w);
  }

  /** Test reader: what the worker's drain does. */
  #readAll(): void {
    if (this.#sab === undefined) return;
    let r = Atomics.load(this.#header, HDR_READ);
    const w = Atomics.load(this.#header, HDR_WRITE);
    if (r === w) return;
    if (r > w) {
      this.#reader!(this.#data, r, this.#capacity);
      r = 0;
    }
    this.#reader!(this.#data, r, w);
    Atomics.store(this.#header, HDR_READ, w);
  }

  /** A string's index in the table, written into the ring the first time (−1: no room). */
  #stringIndex(s: string): number {
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    if (this.#strings.size >= MAX_STRINGS) return -1;
    const index = this.#strings.size;
    const bytes = Buffer.from(s);
    const size = REC.stringBytes + bytes.length;
    const at = this.#reserve(size);
    if (at < 0) return -1;
    this.#data.writeUInt8(TAG_STRING, at + REC.tag);
    this.#data.writeUInt16LE(index, at + REC.stringIndex);
    this.#data.writeUInt32LE(bytes.length, at + REC.stringLen);
    bytes.copy(this.#data, at + REC.stringBytes);
    this.#commit(at, size);
    this.#strings.set(s, index);
    return index;
  }

  /** The frame string of a resource and scope (see `flatRequestBody`). */
  #frameText(resource: Resource, scope: InstrumentationScope): string {
    let scopes = this.#frames.get(resource);
    if (scopes === undefined) {
      scopes = new Map();
      this.#frames.set(resource, scopes);
    }
    let text = scopes.get(scope);
    if (text === undefined) {
      let rid = this.#resources.get(resource);
      if (rid === undefined) {
        rid = this.#resources.size;
        this.#resources.set(resource, rid);
      }
      const ro = new JsonBytes(256).raw('{"resource":{"attributes":[');
      keyValuesJson(ro, resource.attributes);
      ro.raw('],"droppedAttributesCount":0');
      if (resource.schemaUrl) ro.raw(',"schemaUrl":').string(resource.schemaUrl);
      ro.raw('},"scopeSpans":[');
      const rc = new JsonBytes(64).raw(']');
      if (resource.schemaUrl) rc.raw(',"schemaUrl":').string(resource.schemaUrl);
      rc.raw('}');
      const so = new JsonBytes(64).raw('{"scope":{"name":').string(scope.name);
      if (scope.version !== undefined) so.raw(',"version":').string(scope.version);
      so.raw('},"spans":[');
      const sc = new JsonBytes(64).raw(']');
      if (scope.schemaUrl !== undefined) sc.raw(',"schemaUrl":').string(scope.schemaUrl);
      sc.raw('}');
      text = JSON.stringify([
        rid,
        ro.bytes().toString(),
        rc.bytes().toString(),
        so.bytes().toString(),
        sc.bytes().toString(),
      ]);
      scopes.set(scope, text);
    }
    return text;
  }
}

/**
 * One of the provider's span processors: does nothing per span (flat send spans never reach a
 * processor), and makes the provider's `forceFlush` and `shutdown` drain the export worker.
 */
export class FlatSpanExportProcessor implements SpanProcessor {
  constructor(readonly flatExport: FlatSpanExport) {}
  onStart(_span: Span): void {}
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return this.flatExport.flush();
  }
  shutdown(): Promise<void> {
    return this.flatExport.shutdown();
  }
}
