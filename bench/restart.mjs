// Restart benchmark (issue 13): a broker's restart-to-serving time after kill -9 with
// BENCH_RESTART_BYTES of log on disk — the restart case of bench:scale (bench/lib/restart-case.mjs)
// on a small cluster of its own (etcd, a controller, a coordinator, one broker), so it can be run
// alone and repeated: BENCH_RESTARTS kill -9 + restart rounds over the same log.
//
//   npm run bench:restart
//   BENCH_RESTART_BYTES=10g BENCH_RESTARTS=3      (defaults: 1g, 3)
//   BENCH_PORT_BASE=43000                         (services on consecutive ports from there)
//   BENCH_DATA_ROOT=/path                         (where the broker's log goes; a temp dir by default)
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { formatBytes, parseBytes, table, writeResults } from './lib/report.mjs';
import { restartCase } from './lib/restart-case.mjs';
import { call, registeredBrokers } from './lib/rpc.mjs';

const require = createRequire(import.meta.url);
const { LocalCluster, startEtcd, waitFor } = require('../packages/test-kit/dist/index.js');
const { Tributary } = require('../clients/ts/dist/index.js');

const BYTES = parseBytes(process.env.BENCH_RESTART_BYTES, 2 ** 30);
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 3);
const PORT_BASE = process.env.BENCH_PORT_BASE ? Number(process.env.BENCH_PORT_BASE) : undefined;
// The lease TTL of bench:scale: a restart that waits out its former lease shows it in full.
const LEASE_TTL = 10;

const etcd = await startEtcd(
  PORT_BASE === undefined ? {} : { clientPort: PORT_BASE + 10, peerPort: PORT_BASE + 11 },
);
const cluster = await LocalCluster.start({
  etcd,
  brokers: 1,
  controllers: 1,
  coordinators: 1,
  leaseTtlSeconds: LEASE_TTL,
  ...(process.env.BENCH_DATA_ROOT ? { dataRoot: process.env.BENCH_DATA_ROOT } : {}),
  ...(PORT_BASE === undefined
    ? {}
    : { brokerPorts: [PORT_BASE], controllerPorts: [PORT_BASE + 1], coordinatorPorts: [PORT_BASE + 2] }),
});
const t = new Tributary({ bootstrap: cluster.bootstrap, requestTimeoutMs: 30_000 });
let result;
try {
  const controller = cluster.controllers[0].address;
  await waitFor(async () => (await registeredBrokers(controller)) === 1, {
    timeoutMs: 60_000,
    description: 'the broker registered',
  });
  result = await restartCase(
    cluster,
    t,
    BYTES,
    (request) => call('ControllerService', controller, 'createTopics', request, 120_000),
    RESTARTS,
  );
} finally {
  await t.close().catch(() => undefined);
  await cluster.stop();
  await etcd.stop();
}

const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  table(
    ['log', 'round', 'SERVING ms', 'every partition answering ms'],
    result.rounds.map((r, i) => [
      formatBytes(result.logBytes),
      String(i + 1),
      String(r.servingMs),
      String(r.leadingMs),
    ]),
  ),
);
console.log('start-up log of the last round:');
for (const line of result.startupLog) console.log(`  ${line}`);
const name = `restart with ${formatBytes(result.logBytes)} of log`;
console.log(
  `results: ${writeResults('restart', [{ name, ...result }], { loadAverage: load, leaseTtlSeconds: LEASE_TTL })}; load average ${load}`,
);
