// The Tributary cluster the issue-19 benches run against: etcd, one controller and three
// brokers on fixed loopback ports from `portBase` (etcd +0/+1, controller +10, brokers +21..23),
// services at log level warn, defaults otherwise.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { LocalCluster, startEtcd } = require('../../packages/test-kit/dist/index.js');

/**
 * Starts the cluster; `env` is every service's environment (OTEL_* for tracing). Resolves to
 * `{ etcd, cluster, bootstrap, serverPids, stop() }`, `bootstrap` comma-separated.
 */
export async function startTributaryCluster(portBase, { env } = {}) {
  const etcd = await startEtcd({ clientPort: portBase, peerPort: portBase + 1 });
  let cluster;
  try {
    cluster = await LocalCluster.start({
      etcd,
      brokers: 3,
      controllers: 1,
      coordinators: 0,
      controllerPorts: [portBase + 10],
      brokerPorts: [1, 2, 3].map((i) => portBase + 20 + i),
      extraArgs: { broker: ['--log.level', 'warn'], controller: ['--log.level', 'warn'] },
      ...(env ? { env } : {}),
    });
  } catch (err) {
    await etcd.stop();
    throw err;
  }
  return {
    etcd,
    cluster,
    bootstrap: cluster.bootstrap.join(','),
    /** etcd, the controller and the brokers: the processes that make up the system. */
    serverPids: () => [etcd.process.pid, ...cluster.nodes.map((n) => n.process.pid)],
    async stop() {
      await cluster.stop();
      await etcd.stop();
    },
  };
}
