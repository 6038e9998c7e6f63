// Follows a set of Kubernetes objects exactly: a LIST, then a WATCH from the list's
// resourceVersion, so every change the API server commits is seen in order. Polling with kubectl
// could miss a short moment (two brokers down for half a second); the watch cannot.
import { request } from 'node:https';

/**
 * Watches `path` (e.g. `/api/v1/namespaces/ns/pods?labelSelector=...`) on the control plane `cp`
 * ({ server, token, ca } from startControlPlane). Calls `onChange(objects)` with the map of name to
 * object after the initial list and after every event. Returns `stop()`, which resolves once the
 * watch is closed and throws if the watch broke off before.
 */
export async function watchObjects(cp, path, onChange) {
  const get = (query) =>
    new Promise((resolve, reject) => {
      const sep = path.includes('?') ? '&' : '?';
      const req = request(
        `${cp.server}${path}${query ? sep + query : ''}`,
        { ca: cp.ca, headers: { Authorization: `Bearer ${cp.token}`, Accept: 'application/json' } },
        (res) => {
          if (res.statusCode !== 200) {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => reject(new Error(`GET ${path}: ${res.statusCode} ${body}`)));
            return;
          }
          resolve({ res, req });
        },
      );
      req.on('error', reject);
      req.end();
    });
  const readAll = (res) =>
    new Promise((resolve, reject) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(JSON.parse(body)));
      res.on('error', reject);
    });

  const objects = new Map();
  const list = await readAll((await get('')).res);
  for (const item of list.items) objects.set(item.metadata.name, item);
  onChange(objects);

  const { res, req } = await get(
    `watch=1&allowWatchBookmarks=false&resourceVersion=${list.metadata.resourceVersion}`,
  );
  let stopped = false;
  let broken = null;
  let pending = '';
  res.setEncoding('utf8');
  res.on('error', () => {}); // a destroyed request aborts the response; 'close' follows
  res.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (!line.trim()) continue;
      const event = JSON.parse(line);
      if (event.type === 'ERROR') {
        broken = new Error(`watch ${path}: ${event.object?.message}`);
        continue;
      }
      if (event.type === 'DELETED') objects.delete(event.object.metadata.name);
      else objects.set(event.object.metadata.name, event.object);
      onChange(objects);
    }
  });
  const closed = new Promise((resolve) => res.on('close', resolve));
  res.on('end', () => {
    if (!stopped) broken ??= new Error(`watch ${path} ended early`);
  });
  return async () => {
    stopped = true;
    req.destroy();
    await closed;
    if (broken) throw broken;
  };
}
