// `node-zone --out FILE [--label LABEL]`: reads this pod's node (NODE_NAME, from the downward
// API's spec.nodeName) from the Kubernetes API with the pod's service account and writes the
// node's zone label to FILE, for the broker's rack. The downward API exposes pod fields only,
// never node labels, hence this init step (Strimzi's init container does the same). It needs
// `get` on nodes (the chart's ClusterRole). A node without the label writes an empty file: the
// broker then has no rack, as with any other unset rack.
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Runs the command; resolves to the exit status. */
export async function writeNodeZone(argv) {
  const opts = { out: '', label: 'topology.kubernetes.io/zone' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    if (!(key in opts) || argv[i + 1] === undefined) {
      process.stderr.write('usage: node-zone --out FILE [--label LABEL]\n');
      return 2;
    }
    opts[key] = argv[i + 1];
  }
  const node = process.env.NODE_NAME;
  const host = process.env.KUBERNETES_SERVICE_HOST;
  if (!opts.out || !node || !host) {
    process.stderr.write(
      'node-zone: needs --out, NODE_NAME (downward API spec.nodeName) and an in-cluster service account\n',
    );
    return 2;
  }
  try {
    const body = await get({
      host,
      port: Number(process.env.KUBERNETES_SERVICE_PORT ?? 443),
      path: `/api/v1/nodes/${encodeURIComponent(node)}`,
      ca: readFileSync(`${SA}/ca.crt`),
      headers: {
        authorization: `Bearer ${readFileSync(`${SA}/token`, 'utf8').trim()}`,
        accept: 'application/json',
      },
    });
    const zone = JSON.parse(body).metadata?.labels?.[opts.label] ?? '';
    writeFileSync(opts.out, zone);
    process.stdout.write(`node-zone: node ${node} ${opts.label}=${JSON.stringify(zone)} -> ${opts.out}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`node-zone: cannot read node ${node}: ${err.message}\n`);
    return 1;
  }
}

function get(options) {
  return new Promise((resolve, reject) => {
    const req = request({ ...options, method: 'GET', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(body)
          : reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 300)}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', reject);
    req.end();
  });
}
