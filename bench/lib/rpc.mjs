// One unary gRPC call on a fresh client, for benchmarks that talk to services directly.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createClient } = require('../../packages/proto/dist/index.js');

/** Calls `service.method(request)` at `address` with a deadline; closes the client after. */
export const call = (service, address, method, request, timeoutMs = 30_000) =>
  new Promise((resolve, reject) => {
    const client = createClient(service, address);
    client[method](request, { deadline: Date.now() + timeoutMs }, (err, response) => {
      client.close();
      if (err) reject(err);
      else resolve(response);
    });
  });

/** How many brokers the controller at `address` lists; 0 while it does not answer. */
export const registeredBrokers = async (address) =>
  (await call('ControllerService', address, 'describeCluster', {}, 2000).catch(() => ({ brokers: [] })))
    .brokers.length;
