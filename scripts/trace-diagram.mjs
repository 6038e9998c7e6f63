#!/usr/bin/env node
// Draws one trace from Jaeger's query API as a text timeline: one line per span, indented under
// its parent (or the span it links to), with its service, start offset and duration, and a bar on
// a shared time axis. `node scripts/trace-diagram.mjs http://127.0.0.1:16686 <trace-id>`; the
// picture of a real trace in docs/observability.md was made this way (Jaeger's web UI is not part
// of the build from the Go proxy).
const [base, traceId] = process.argv.slice(2);
if (!base || !traceId) {
  console.error('usage: node scripts/trace-diagram.mjs <jaeger-query-url> <trace-id>');
  process.exit(2);
}
const res = await fetch(`${base}/api/traces/${traceId}`);
if (!res.ok) throw new Error(`Jaeger answered ${res.status}`);
const [trace] = (await res.json()).data;
const spans = trace.spans;
const start = Math.min(...spans.map((s) => s.startTime));
const end = Math.max(...spans.map((s) => s.startTime + s.duration));
const width = 40;
const byId = new Map(spans.map((s) => [s.spanID, s]));
const parentOf = (s) => s.references.find((r) => byId.has(r.spanID))?.spanID;
const children = new Map();
for (const s of spans) {
  const p = parentOf(s) ?? null;
  children.set(p, [...(children.get(p) ?? []), s]);
}
const lines = [];
const walk = (parent, depth) => {
  for (const s of (children.get(parent) ?? []).sort((a, b) => a.startTime - b.startTime)) {
    const service = trace.processes[s.processID].serviceName;
    const link = s.references.find((r) => r.spanID === parent)?.refType === 'FOLLOWS_FROM' ? ' (link)' : '';
    const from = Math.round(((s.startTime - start) / (end - start || 1)) * width);
    const len = Math.max(1, Math.round((s.duration / (end - start || 1)) * width));
    const label = `${'  '.repeat(depth)}${s.operationName}${link}`;
    lines.push(
      `${label.padEnd(34)} ${service.padEnd(28)} +${((s.startTime - start) / 1000).toFixed(2).padStart(7)} ms ${(s.duration / 1000).toFixed(2).padStart(7)} ms |${' '.repeat(from)}${'█'.repeat(len)}`,
    );
    walk(s.spanID, depth + 1);
  }
};
walk(null, 0);
console.log(`trace ${traceId}: ${spans.length} spans, ${((end - start) / 1000).toFixed(2)} ms`);
console.log(lines.join('\n'));
