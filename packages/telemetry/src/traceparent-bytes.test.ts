import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import {
  childTraceparent,
  rootTraceparent,
  spanIdOf,
  TRACEPARENT_LENGTH,
  traceIdOf,
} from './traceparent-bytes';

const FORMAT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

describe('traceparent bytes', () => {
  it('writes a W3C traceparent whose trace id has the chosen accumulation', () => {
    const sampler = new TraceIdRatioBasedSampler(0.01);
    const bound = Math.floor(0.01 * 0xffffffff);
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const accumulation = Math.floor(Math.random() * bound);
      const bytes = rootTraceparent(accumulation);
      expect(bytes).toHaveLength(TRACEPARENT_LENGTH);
      const text = bytes.toString('latin1');
      expect(text).toMatch(FORMAT);
      const traceId = traceIdOf(bytes);
      expect(text).toBe(`00-${traceId}-${spanIdOf(bytes)}-01`);
      let acc = 0;
      for (let w = 0; w < 4; w++) acc = (acc ^ Number.parseInt(traceId.slice(8 * w, 8 * w + 8), 16)) >>> 0;
      expect(acc).toBe(accumulation);
      // The SDK's own ratio sampler keeps it (the trace-id-ratio property downstream).
      expect(sampler.shouldSample(ROOT_CONTEXT, traceId).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
      seen.add(traceId).add(spanIdOf(bytes));
    }
    expect(seen.size).toBe(4_000); // random ids, all distinct
  });

  it('a child keeps its parent’s trace id and gets a new span id', () => {
    const parent = '0af7651916cd43dd8448eb211c80319c';
    const a = childTraceparent(parent);
    const b = childTraceparent(parent);
    expect(traceIdOf(a)).toBe(parent);
    expect(a.toString('latin1')).toMatch(FORMAT);
    expect(spanIdOf(a)).not.toBe(spanIdOf(b));
  });
});
