/**
 * The export worker's code (a `worker_threads` worker started from source: `flatSpanWorkerSource`):
 * it reads the flat send spans' records out of the shared ring (flat-span-export.ts), writes
 * each as OTLP/JSON text and POSTs them with the OTLP exporter's own HTTP transport (headers,
 * timeout, retries, compression, as `OTLPTraceExporter` reads them from its options and the
 * `OTEL_EXPORTER_OTLP_*` environment), batched as the batch span processor does
 * (`OTEL_BSP_SCHEDULE_DELAY`, 1,024 spans a request).
 *
 * Every function here is self-contained (no imports, no closures over module scope but
 * `SEND_KEYS`, which the worker's source defines too): the worker's source is their text
 * (`Function.prototype.toString`).
 */
import { Attr, MESSAGING_SYSTEM } from './names';

/**
 * The send span's attribute keys (and the system's value) as JSON text, from names.ts: the one
 * place for them, for the worker's writer as for the in-process one.
 */
const SEND_KEYS = {
  system: JSON.stringify(Attr.messagingSystem),
  systemValue: JSON.stringify(MESSAGING_SYSTEM),
  operation: JSON.stringify(Attr.messagingOperationType),
  destination: JSON.stringify(Attr.destinationName),
  partition: JSON.stringify(Attr.partitionId),
  clientId: JSON.stringify(Attr.clientId),
  key: JSON.stringify(Attr.kafkaMessageKey),
  offset: JSON.stringify(Attr.kafkaOffset),
};

/** Record layout in the ring (little-endian), shared with the writer in flat-span-export.ts. */
export const REC = {
  /** u32: the record's length in bytes (8-aligned); `WRAP` means "continue at 0". */
  len: 0,
  /** u8: `TAG_SPAN` or `TAG_STRING`. */
  tag: 4,
  /** u8: the status code (span). */
  status: 5,
  /** u8: bit 0 parent span id present, bit 1 parent is remote, bit 2 key present. */
  flags: 6,
  /** u16 string indices: span name, topic, client id, frame (resource and scope). */
  name: 8,
  topic: 10,
  clientId: 12,
  frame: 14,
  /** i32 partition. */
  partition: 16,
  /** u32 key, trace state and status message byte lengths. */
  keyLen: 20,
  traceStateLen: 24,
  messageLen: 28,
  /** f64 wall-clock milliseconds: start, end; f64 offset (−1: none). */
  start: 32,
  end: 40,
  offset: 48,
  /** 55 bytes `traceparent`, then 16 bytes the parent's span id (hex). */
  traceparent: 56,
  parentSpanId: 111,
  /** Key, trace state and status message bytes follow. */
  variable: 127,
  /** String record: u16 index at 6, u32 byte length at 8, UTF-8 bytes from 12. */
  stringIndex: 6,
  stringLen: 8,
  stringBytes: 12,
} as const;
export const TAG_SPAN = 1;
export const TAG_STRING = 2;
export const WRAP = 0xffffffff;
/** Int32 slots of the ring's header: write position, read position. */
export const HDR_WRITE = 0;
export const HDR_READ = 1;
export const HDR_BYTES = 64;

/**
 * Reads the records in `data` from `at` to `to` (not wrapping): string records into `strings`
 * (their text), span records as OTLP/JSON span objects appended to `groups` by frame index.
 * Returns the number of spans read. Exported for the unit test, which runs it in-process.
 */
export function readFlatRecords(
  data: Buffer,
  at: number,
  to: number,
  strings: string[],
  groups: Map<number, string[]>,
): number {
  const WRAP_ = 0xffffffff;
  let spans = 0;
  const nanos = (ms: number): string => {
    // `millisToHrTime` then `hrTimeToNanosString`, as the in-process path writes them.
    const seconds = Math.trunc(ms / 1000);
    const ns = Math.round((ms % 1000) * 1e6);
    if (seconds > 0 && ns >= 0 && ns < 1e9) return `"${seconds}${String(ns).padStart(9, '0')}"`;
    if (seconds === 0) return `"${ns}"`;
    return `"${(BigInt(seconds) * 1000000000n + BigInt(ns)).toString()}"`;
  };
  while (at < to) {
    const len = data.readUInt32LE(at);
    if (len === WRAP_) break;
    const tag = data[at + 4];
    if (tag === 2) {
      const index = data.readUInt16LE(at + 6);
      const n = data.readUInt32LE(at + 8);
      strings[index] = data.toString('utf8', at + 12, at + 12 + n);
    } else if (tag === 1) {
      spans++;
      const flags = data[at + 6]!;
      const keyLen = data.readUInt32LE(at + 20);
      const stateLen = data.readUInt32LE(at + 24);
      const messageLen = data.readUInt32LE(at + 28);
      let v = at + 127;
      const key = flags & 4 ? data.toString('utf8', v, v + keyLen) : undefined;
      v += keyLen;
      const state = stateLen > 0 ? data.toString('utf8', v, v + stateLen) : undefined;
      v += stateLen;
      const code = data[at + 5]!;
      const message = code === 2 ? data.toString('utf8', v, v + messageLen) : undefined;
      const tp = at + 56;
      const offset = data.readDoubleLE(at + 48);
      let s = `{"traceId":"${data.toString('latin1', tp + 3, tp + 35)}","spanId":"${data.toString('latin1', tp + 36, tp + 52)}"`;
      if (flags & 1) s += `,"parentSpanId":"${data.toString('latin1', at + 111, at + 127)}"`;
      if (state !== undefined) s += `,"traceState":${JSON.stringify(state)}`;
      s += `,"name":${strings[data.readUInt16LE(at + 8)]},"kind":4,"startTimeUnixNano":${nanos(data.readDoubleLE(at + 32))},"endTimeUnixNano":${nanos(data.readDoubleLE(at + 40))}`;
      const K = SEND_KEYS;
      s += `,"attributes":[{"key":${K.system},"value":{"stringValue":${K.systemValue}}},{"key":${K.operation},"value":{"stringValue":"send"}},{"key":${K.destination},"value":{"stringValue":${strings[data.readUInt16LE(at + 10)]}}},{"key":${K.partition},"value":{"stringValue":"${data.readInt32LE(at + 16)}"}},{"key":${K.clientId},"value":{"stringValue":${strings[data.readUInt16LE(at + 12)]}}}`;
      if (key !== undefined) s += `,{"key":${K.key},"value":{"stringValue":${JSON.stringify(key)}}}`;
      if (offset >= 0) s += `,{"key":${K.offset},"value":{"intValue":${offset}}}`;
      s += `],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":${code}`;
      if (message !== undefined) s += `,"message":${JSON.stringify(message)}`;
      s += `},"links":[],"droppedLinksCount":0,"flags":${257 | (flags & 2 ? 512 : 0)}}`;
      const frame = data.readUInt16LE(at + 14);
      const list = groups.get(frame);
      if (list === undefined) groups.set(frame, [s]);
      else list.push(s);
    }
    at += len;
  }
  return spans;
}

/**
 * The request body of the spans in `groups` (frame index → span JSON texts). A frame's string
 * is JSON: `[resource id, resource open, resource close, scope open, scope close]`.
 */
export function flatRequestBody(groups: Map<number, string[]>, strings: string[]): string {
  const byResource = new Map<number, { open: string; close: string; scopes: string[] }>();
  for (const [frame, spans] of groups) {
    const [rid, ro, rc, so, sc] = JSON.parse(strings[frame]!) as [number, string, string, string, string];
    let r = byResource.get(rid);
    if (r === undefined) {
      r = { open: ro, close: rc, scopes: [] };
      byResource.set(rid, r);
    }
    r.scopes.push(`${so}${spans.join(',')}${sc}`);
  }
  const parts: string[] = [];
  for (const r of byResource.values()) parts.push(`${r.open}${r.scopes.join(',')}${r.close}`);
  return `{"resourceSpans":[${parts.join(',')}]}`;
}

/** The worker's main: `require` and the two readers are handed in (the source is text). */
export function flatSpanWorkerMain(
  req: NodeJS.Require,
  read: typeof readFlatRecords,
  body: typeof flatRequestBody,
): void {
  const { parentPort, workerData } = req('node:worker_threads');
  const { sab, capacity, url, headers, exportDelayMs, maxExportBatchSize, paths } = workerData;
  const { convertLegacyHttpOptions, createOtlpHttpExportDelegate } = req(paths.nodeHttp);
  const { JsonTraceSerializer, TraceExporterMetricsHelper } = req(paths.transformer);
  const options = convertLegacyHttpOptions({ url, headers }, 'TRACES', 'v1/traces', {
    'Content-Type': 'application/json',
  });
  const delegate = createOtlpHttpExportDelegate(
    options,
    {
      serializeRequest: (r: { body: Buffer }) => r.body,
      deserializeResponse: (d: Uint8Array) => JsonTraceSerializer.deserializeResponse(d),
    },
    'otlp_http_span_exporter',
    TraceExporterMetricsHelper,
    undefined,
  );
  const header = new Int32Array(sab, 0, 2);
  const data = Buffer.from(sab, 64, capacity);
  const strings: string[] = [];
  let groups = new Map<number, string[]>();
  let pending = 0;
  let lastExport = Date.now();
  const inflight = new Set<Promise<void>>();

  function drain(): void {
    let r = Atomics.load(header, 1);
    const w = Atomics.load(header, 0);
    if (r === w) return;
    if (r > w) {
      pending += read(data, r, capacity, strings, groups);
      r = 0;
    }
    pending += read(data, r, w, strings, groups);
    Atomics.store(header, 1, w);
  }
  function exportPending(): void {
    if (pending === 0) return;
    const text = body(groups, strings);
    const count = pending;
    groups = new Map();
    pending = 0;
    lastExport = Date.now();
    const done = new Promise<void>((resolve) => {
      delegate.export({ body: Buffer.from(text), length: count }, () => resolve());
    });
    inflight.add(done);
    void done.then(() => inflight.delete(done));
  }
  const tick = setInterval(
    () => {
      drain();
      if (pending >= maxExportBatchSize || Date.now() - lastExport >= exportDelayMs) exportPending();
    },
    Math.min(exportDelayMs, 100),
  );
  parentPort.on('message', async (m: { id: number; op: 'flush' | 'shutdown' }) => {
    drain();
    exportPending();
    await Promise.all([...inflight]);
    if (m.op === 'shutdown') {
      clearInterval(tick);
      await delegate.shutdown();
    } else await delegate.forceFlush();
    parentPort.postMessage({ id: m.id });
  });
}

/** The worker's source text. */
export function flatSpanWorkerSource(): string {
  return `"use strict";
const SEND_KEYS = ${JSON.stringify(SEND_KEYS)};
const readFlatRecords = ${readFlatRecords.toString()};
const flatRequestBody = ${flatRequestBody.toString()};
(${flatSpanWorkerMain.toString()})(require, readFlatRecords, flatRequestBody);
`;
}
