import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { FlatSpanExport } from './flat-span-export';
import { flatRequestBody, readFlatRecords } from './flat-span-worker';
import { rootTraceparent, spanIdOf } from './traceparent-bytes';

const resource = resourceFromAttributes({ 'service.name': 'unit' });
const scope = { name: 'tributary' };
const options = {
  url: 'http://127.0.0.1:1/v1/traces',
  headers: {},
  exportDelayMs: 50,
  maxExportBatchSize: 1024,
};

function inProcess(ringBytes: number) {
  const strings: string[] = [];
  let groups = new Map<number, string[]>();
  let read = 0;
  const ex = new FlatSpanExport({ ...options, ringBytes }, (data, from, to) => {
    read += readFlatRecords(data, from, to, strings, groups);
  });
  const take = () => {
    const body = JSON.parse(flatRequestBody(groups, strings));
    groups = new Map();
    return body;
  };
  return { ex, take, read: () => read };
}

const spansOf = (body: { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] }) =>
  body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));

describe('flat span export ring', () => {
  it('carries every span across the ring’s wrap, in order', async () => {
    const { ex, take } = inProcess(4096);
    const frame = ex.frameOf(resource, scope, 'send t', 't', 'c', undefined)!;
    const ids: string[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 7; i++) {
        const tp = rootTraceparent(1);
        ids.push(spanIdOf(tp));
        expect(ex.write(frame, tp, 1000, 1001, i, round, Buffer.from(`key-${i}`), 0, undefined)).toBe(true);
      }
      await ex.flush();
    }
    expect(spansOf(take()).map((s) => s.spanId)).toEqual(ids);
    expect(ex.dropped).toBe(0);
  });

  it('a full ring drops spans and counts them, never waits', async () => {
    const { ex, take, read } = inProcess(4096);
    const frame = ex.frameOf(resource, scope, 'send t', 't', 'c', undefined)!;
    let written = 0;
    for (let i = 0; i < 100; i++)
      if (ex.write(frame, rootTraceparent(1), 1, 2, 0, i, null, 0, undefined)) written++;
    expect(written).toBeLessThan(100);
    expect(ex.dropped).toBe(100 - written);
    await ex.flush();
    expect(read()).toBe(written);
    expect(spansOf(take())).toHaveLength(written);
  });

  it('its worker POSTs the spans as OTLP/JSON and a flush waits for it', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    const ex = new FlatSpanExport({ ...options, url, exportDelayMs: 60_000, ringBytes: 1 << 20 });
    try {
      const frame = ex.frameOf(resource, scope, 'send t', 't', 'c', undefined)!;
      for (let i = 0; i < 10; i++) ex.write(frame, rootTraceparent(1), 1, 2, 0, i, null, 0, undefined);
      await ex.flush();
      expect(bodies).toHaveLength(1);
      const body = JSON.parse(bodies[0]!);
      expect(body.resourceSpans[0].resource.attributes).toEqual([
        { key: 'service.name', value: { stringValue: 'unit' } },
      ]);
      expect(spansOf(body)).toHaveLength(10);
      ex.write(frame, rootTraceparent(1), 1, 2, 0, 10, null, 0, undefined);
      await ex.shutdown();
      expect(bodies).toHaveLength(2);
      expect(ex.write(frame, rootTraceparent(1), 1, 2, 0, 11, null, 0, undefined)).toBe(false);
    } finally {
      await ex.shutdown();
      server.close();
    }
  });
});
