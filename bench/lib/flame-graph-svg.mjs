// A flame graph of a V8 CPU profile as a standalone SVG (Brendan Gregg's layout: the root at the
// bottom, callees stacked above, siblings in name order, width = total time), so docs can show
// where the time goes without a viewer. Idle time is left out; hovering a frame shows its
// file, time and share (SVG <title>).
import { frameArea, frameFile } from './cpu-profile.mjs';

const WIDTH = 1200;
const ROW = 16;
const PAD = 10;
const TOP = 44;
const CHAR = 6.4;

const xmlEscape = (s) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Colour by area: our code warm, grpc-js and other dependencies blue, Node internals green, GC grey. */
function colour(area, name) {
  const h = [...name].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7) % 40;
  if (area === '(garbage collector)' || area === '(program)') return `rgb(${170 + h},${170 + h},${170 + h})`;
  if (/^(services|packages|clients)\//.test(area)) return `rgb(235,${110 + h * 2},${40 + h})`;
  if (area.startsWith('node_modules/@grpc') || area.startsWith('node_modules/protobufjs'))
    return `rgb(${80 + h},${140 + h},225)`;
  if (area.startsWith('node_modules/')) return `rgb(${140 + h},${120 + h},220)`;
  if (area.startsWith('node:')) return `rgb(${90 + h},${190 + h},${100 + h})`;
  return `rgb(230,${200 + h},${80 + h})`;
}

/** Merges children with the same function and file, as folded stacks do. */
function merge(children) {
  const byKey = new Map();
  for (const c of children) {
    const key = `${c.frame.functionName}\u0000${c.frame.url}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { frame: c.frame, self: c.self, total: c.total, children: [...c.children] });
    else {
      seen.self += c.self;
      seen.total += c.total;
      seen.children.push(...c.children);
    }
  }
  return [...byKey.values()].sort((a, b) =>
    (a.frame.functionName || '').localeCompare(b.frame.functionName || ''),
  );
}

/**
 * Renders the tree of cpu-profile.mjs's `readProfileTree` as SVG text. `title` heads the graph;
 * frames narrower than `minFraction` of the busy time are dropped.
 */
export function renderFlameGraph(root, { title, minFraction = 0.002 }) {
  const busyChildren = root.children.filter((c) => c.frame.functionName !== '(idle)');
  const busy = busyChildren.reduce((s, c) => s + c.total, 0) || 1;
  const scale = (WIDTH - 2 * PAD) / busy;
  const frames = [];
  let depthMax = 0;
  const place = (node, x, depth) => {
    if (node.total / busy < minFraction) return;
    depthMax = Math.max(depthMax, depth);
    frames.push({ node, x, depth });
    let cx = x;
    for (const c of merge(node.children)) {
      place(c, cx, depth + 1);
      cx += c.total * scale;
    }
  };
  place({ frame: { functionName: 'all', url: '' }, self: 0, total: busy, children: busyChildren }, PAD, 0);
  const height = TOP + (depthMax + 1) * ROW + PAD + 18;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Verdana, sans-serif" font-size="11">`,
    `<title>${xmlEscape(title)}</title>`,
    `<rect width="100%" height="100%" fill="#f8f8f4"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15">${xmlEscape(title)}</text>`,
    `<text x="${WIDTH / 2}" y="36" text-anchor="middle" fill="#555">${(busy / 1e6).toFixed(2)} s of CPU samples (idle left out); width = time on stack. Our code orange, grpc-js/protobufjs blue, other dependencies violet, Node internals green, GC grey</text>`,
  ];
  for (const { node, x, depth } of frames) {
    const w = node.total * scale;
    const y = height - PAD - 18 - (depth + 1) * ROW;
    const name = node.frame.functionName || '(anonymous)';
    const file = frameFile(node.frame.url);
    const area = frameArea(node.frame);
    const pct = ((100 * node.total) / busy).toFixed(1);
    const tip = `${name}${file ? ` ${file}:${node.frame.lineNumber + 1}` : ''} — ${(node.total / 1000).toFixed(0)} ms, ${pct} % (self ${((100 * node.self) / busy).toFixed(1)} %)`;
    const fits = Math.floor((w - 6) / CHAR);
    const label = fits < 3 ? '' : name.length <= fits ? name : `${name.slice(0, fits - 2)}..`;
    out.push(
      `<g><title>${xmlEscape(tip)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0.5, w - 0.5).toFixed(1)}" height="${ROW - 1}" rx="2" fill="${name === 'all' ? '#ddd' : colour(area, name)}"/>${label ? `<text x="${(x + 3).toFixed(1)}" y="${y + 11.5}">${xmlEscape(label)}</text>` : ''}</g>`,
    );
  }
  out.push('</svg>', '');
  return out.join('\n');
}
