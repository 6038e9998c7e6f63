// Reading V8 CPU profiles (`node --cpu-prof` .cpuprofile files) for benchmarks: the call tree
// with self and total time per node, where a frame's code lives (its "area"), and a summary of
// self time by area and by function.
import * as fs from 'node:fs';

/** A frame's file relative to the repository or its package: `services/broker/dist/x.js`, `node:net`. */
export function frameFile(url) {
  if (!url) return '';
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) return file.slice(nm + 1);
  const repo = /\/(services|packages|clients|bench|scripts)\/.*$/.exec(file);
  return repo ? repo[0].slice(1) : file;
}

/** Where a frame's time goes, coarsely: grpc-js, a workspace package, node internals, GC ... */
export function frameArea(callFrame) {
  const name = callFrame.functionName;
  if (name === '(idle)' || name === '(garbage collector)' || name === '(program)' || name === '(root)')
    return name;
  const file = frameFile(callFrame.url);
  if (file === '') return '(native)';
  const m =
    /^(node_modules\/@grpc\/grpc-js|node_modules\/protobufjs|node_modules\/@[^/]+\/[^/]+|node_modules\/[^/]+|services\/[^/]+|packages\/[^/]+|clients\/[^/]+|node:internal\/[a-z_]+|node:[a-z_]+)/.exec(
      file,
    );
  return m?.[1] ?? 'other';
}

/**
 * Reads a .cpuprofile into a tree: `{ frame, self, total, children }` in microseconds, root
 * first. Self time is the sum of the time deltas of the samples that landed on a node.
 */
export function readProfileTree(file) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(
    prof.nodes.map((n) => [n.id, { frame: n.callFrame, self: 0, total: 0, childIds: n.children ?? [] }]),
  );
  for (let i = 0; i < prof.samples.length; i++) {
    const node = byId.get(prof.samples[i]);
    if (node) node.self += prof.timeDeltas[i] ?? 0;
  }
  const build = (node) => {
    node.children = node.childIds.map((id) => build(byId.get(id)));
    node.total = node.self + node.children.reduce((s, c) => s + c.total, 0);
    return node;
  };
  return build(byId.get(prof.nodes[0].id));
}

/** Self time by area and the top `n` functions by self time, in % of the profile's non-idle time. */
export function summarizeProfile(file, n = 25) {
  const root = readProfileTree(file);
  const self = new Map();
  const area = new Map();
  let total = 0;
  let idle = 0;
  const walk = (node) => {
    const f = node.frame;
    if (f.functionName === '(idle)') idle += node.self;
    else {
      const key = `${f.functionName || '(anonymous)'} ${frameFile(f.url) || '(native)'}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + node.self);
      area.set(frameArea(f), (area.get(frameArea(f)) ?? 0) + node.self);
      total += node.self;
    }
    for (const c of node.children) walk(c);
  };
  walk(root);
  const pct = (us) => Math.round((1000 * us) / Math.max(total, 1)) / 10;
  return {
    busyMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byArea: [...area].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ area: k, pct: pct(us) })),
    top: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => ({ fn: k, pct: pct(us) })),
  };
}
