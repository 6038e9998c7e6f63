#!/usr/bin/env node
// `npm run dev`: a local Tributary cluster on loopback — etcd, 1 controller, 3 brokers and 1 group
// coordinator — with its data under ./.tributary/ (kept between runs). Ctrl-C stops everything.
// `--observability` also starts Jaeger (OTLP in, query API out) and a Prometheus that scrapes
// every service; the services export their spans to that Jaeger (docs/observability.md).
// `--tls` makes a throwaway CA and certificates under <data>/tls/ (new ones every run) and runs
// etcd and every gRPC listener and link on TLS, listeners requiring client certificates
// (docs/security.md); it prints the environment that points the CLI at it.
// `--auth` turns on authentication and ACLs (auth.mode authorize) with a new token key under
// <data>/token.key every run, super user User:admin, and prints an admin token for the CLI; Kafka
// clients authenticate with SASL/PLAIN (username = principal, password = token) or OAUTHBEARER.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import testKit from '@tributary/test-kit';

// grpc-js names an IP address as the TLS server name (Node's DEP0123 warning) in the health checks
// below; the warning is for grpc-js's developers, not for someone starting a cluster.
process.noDeprecation = true;

const { LocalCluster, startEtcd, isPortFree, startJaeger, startPrometheus, freePort, CertificateAuthority } =
  testKit;

const { values: args } = parseArgs({
  options: {
    brokers: { type: 'string', default: '3' },
    'broker-ports': { type: 'string', default: '9092,9093,9094' },
    'kafka-ports': { type: 'string', default: '19092,19093,19094' },
    'controller-port': { type: 'string', default: '9190' },
    'coordinator-port': { type: 'string', default: '9290' },
    'etcd-port': { type: 'string', default: '2379' },
    'etcd-peer-port': { type: 'string', default: '2380' },
    'data-dir': { type: 'string', default: '.tributary' },
    'cluster-name': { type: 'string', default: 'local' },
    verbose: { type: 'boolean', default: false },
    observability: { type: 'boolean', default: false },
    tls: { type: 'boolean', default: false },
    auth: { type: 'boolean', default: false },
    'prometheus-port': { type: 'string', default: '9090' },
    'jaeger-port': { type: 'string', default: '16686' },
    'otlp-port': { type: 'string', default: '4318' },
  },
});

const fail = (message) => {
  console.error(`npm run dev: ${message}`);
  process.exit(1);
};
const port = (name, text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) fail(`--${name} ${text} is not a TCP port`);
  return n;
};

const brokerCount = Number(args.brokers);
const brokerPorts = args['broker-ports'].split(',').map((p) => port('broker-ports', p));
while (brokerPorts.length < brokerCount) brokerPorts.push(brokerPorts.at(-1) + 1);
const kafkaPorts = args['kafka-ports'].split(',').map((p) => port('kafka-ports', p));
while (kafkaPorts.length < brokerCount) kafkaPorts.push(kafkaPorts.at(-1) + 1);
const dataRoot = resolve(args['data-dir']);
mkdirSync(dataRoot, { recursive: true });

// A run killed without a chance to stop (kill -9, a closed terminal) leaves its services and etcd
// running. Its process list is in <data>/pids.json: stop what is still alive and still the same
// command line (services first, so they revoke their leases; etcd last) before starting again.
const pidsFile = resolve(dataRoot, 'pids.json');
const cmdlineOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
};
if (existsSync(pidsFile)) {
  const left = JSON.parse(readFileSync(pidsFile, 'utf8')).filter((p) => cmdlineOf(p.pid) === p.cmdline);
  if (left.length > 0) {
    console.log(
      `stopping what the previous run left running: ${left.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`,
    );
    for (const group of [left.filter((p) => p.name !== 'etcd'), left.filter((p) => p.name === 'etcd')]) {
      for (const p of group) process.kill(p.pid, 'SIGTERM');
      const deadline = Date.now() + 15_000;
      while (group.some((p) => cmdlineOf(p.pid) === p.cmdline) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      for (const p of group) if (cmdlineOf(p.pid) === p.cmdline) process.kill(p.pid, 'SIGKILL');
    }
  }
  rmSync(pidsFile, { force: true });
}

const etcdPort = port('etcd-port', args['etcd-port']);
const etcdPeerPort = port('etcd-peer-port', args['etcd-peer-port']);
const etcdEndpoint = `http://127.0.0.1:${etcdPort}`;

// --tls: a new CA each run, so nothing from a former run's certificates is trusted.
let ca;
if (args.tls) {
  const tlsDir = resolve(dataRoot, 'tls');
  rmSync(tlsDir, { recursive: true, force: true });
  try {
    ca = CertificateAuthority.create(tlsDir, 'Tributary dev CA');
  } catch (err) {
    fail(err.message);
  }
}

// An etcd already serving on the port (e.g. Debian's etcd-server systemd unit, which the
// package starts on 127.0.0.1:2379) is used as it is; anything else on the port is an error.
const answersAsEtcd = async () => {
  try {
    const res = await fetch(`${etcdEndpoint}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.text()).includes('true');
  } catch {
    return false;
  }
};
let externalEtcd = false;
if (!(await isPortFree(etcdPort))) {
  if (!(await answersAsEtcd()))
    fail(`port ${etcdPort}, the etcd client port (--etcd-port), is already in use on 127.0.0.1`);
  externalEtcd = true;
  console.log(
    `using the etcd already running at ${etcdEndpoint}${args.tls ? ' (plaintext: only an etcd started here gets TLS)' : ''}`,
  );
} else if (!(await isPortFree(etcdPeerPort))) {
  fail(`port ${etcdPeerPort}, the etcd peer port (--etcd-peer-port), is already in use on 127.0.0.1`);
}

const t0 = performance.now();
let etcd;
let cluster;
let jaeger;
let prometheus;
// etcd and the services run in process groups of their own, so a terminal's Ctrl-C reaches only
// this script, which stops them in order: brokers and coordinator first (a broker's controlled
// shutdown asks the controller to move its leadership; had the controller heard the Ctrl-C too,
// each broker would wait out controlled.shutdown.timeout.ms for it), then the controller, then
// etcd. Ctrl-C during start-up is acted on once the cluster is up; on any exit, what is still
// running is told to stop, never left behind.
let stopping = false;
let interruptedBy;
const interrupted = (signal) => {
  interruptedBy ??= signal;
};
process.on('SIGINT', interrupted);
process.on('SIGTERM', interrupted);
process.on('SIGHUP', interrupted);
process.on('exit', () => {
  for (const node of cluster?.nodes ?? []) if (node.process?.running) node.signal('SIGTERM');
  if (etcd && !externalEtcd) etcd.process.signal('SIGTERM');
});
try {
  etcd = externalEtcd
    ? { endpoint: etcdEndpoint, process: { pid: '-' }, stop: async () => {} }
    : await startEtcd({
        clientPort: etcdPort,
        peerPort: etcdPeerPort,
        dataDir: resolve(dataRoot, 'etcd'),
        // Ctrl-C must not stop etcd at the same moment as the services: they revoke their
        // leases on the way out, and etcd stops last (below). Issue 12.
        ownProcessGroup: true,
        ...(ca ? { tls: { ca, clientCertAuth: true } } : {}),
      });
  if (args.observability) {
    const tools = spawnSync(
      process.execPath,
      [resolve(import.meta.dirname, 'ensure-observability-tools.mjs')],
      {
        stdio: 'inherit',
      },
    );
    if (tools.status !== 0) throw new Error('Jaeger or Prometheus is not available (see above)');
    for (const name of ['jaeger-port', 'otlp-port', 'prometheus-port']) {
      if (!(await isPortFree(port(name, args[name]))))
        throw new Error(`port ${args[name]} (--${name}) is already in use on 127.0.0.1`);
    }
    jaeger = await startJaeger({
      otlpPort: port('otlp-port', args['otlp-port']),
      queryPort: port('jaeger-port', args['jaeger-port']),
      queryGrpcPort: await freePort(),
      healthPort: await freePort(),
      dir: resolve(dataRoot, 'jaeger'),
      echo: args.verbose,
    });
  }
  cluster = await LocalCluster.start({
    ...(jaeger
      ? {
          metrics: true,
          env: {
            ...process.env,
            OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpUrl,
            OTEL_TRACES_SAMPLER: process.env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
          },
        }
      : {}),
    etcd,
    ...(ca ? { tls: { ca, clientAuth: 'required' } } : {}),
    clusterName: args['cluster-name'],
    dataRoot,
    brokers: brokerCount,
    brokerPorts: brokerPorts.slice(0, brokerCount),
    ...(args.auth ? { auth: { mode: 'authorize', superUsers: ['User:admin'] } } : {}),
    kafka: kafkaPorts.slice(0, brokerCount),
    ownProcessGroups: true,
    controllerPorts: [port('controller-port', args['controller-port'])],
    coordinatorPorts: [port('coordinator-port', args['coordinator-port'])],
    echo: args.verbose,
  });
  if (jaeger) {
    const targets = (kind) =>
      cluster.nodes.filter((n) => n.kind === kind).map((n) => `127.0.0.1:${n.metricsPort}`);
    prometheus = await startPrometheus({
      port: port('prometheus-port', args['prometheus-port']),
      scrapeIntervalSeconds: 5,
      ruleFiles: [resolve(import.meta.dirname, '../charts/tributary/files/prometheus-rules.yaml')],
      jobs: ['broker', 'controller', 'group-coordinator'].map((job) => ({ job, targets: targets(job) })),
      dir: resolve(dataRoot, 'prometheus'),
      echo: args.verbose,
    });
  }
} catch (err) {
  await cluster?.stop();
  await prometheus?.stop();
  await jaeger?.stop();
  await etcd?.stop();
  if (interruptedBy) process.exit(0);
  fail(err.message);
}

const rows = [['etcd', '-', etcd.endpoint.replace(/^https?:\/\//, ''), etcd.process.pid, 'SERVING']];
for (const node of cluster.nodes) {
  rows.push([node.kind, node.id, node.address, node.process.pid, await node.health()]);
}
cluster.kafkaBootstrap.forEach((address, i) => {
  rows.push(['kafka listener', i, address, cluster.brokers[i].process.pid, '-']);
});
const header = ['service', 'id', 'address', 'pid', 'health'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
console.log(line(header));
for (const row of rows) console.log(line(row));
console.log(`data: ${dataRoot}  cluster: ${args['cluster-name']}`);
if (jaeger) {
  console.log(`prometheus ${prometheus.url}`);
  console.log(`jaeger ${jaeger.queryUrl}`);
  console.log(`otlp ${jaeger.otlpUrl}`);
}
const started = [
  ...(externalEtcd ? [] : [{ name: 'etcd', pid: etcd.process.pid }]),
  ...cluster.nodes.map((node) => ({ name: `${node.kind} ${node.id}`, pid: node.process.pid })),
  ...(jaeger ? [{ name: 'jaeger', pid: jaeger.process.pid }] : []),
  ...(prometheus ? [{ name: 'prometheus', pid: prometheus.process.pid }] : []),
];
writeFileSync(
  pidsFile,
  JSON.stringify(
    started.filter((p) => Number.isInteger(p.pid)).map((p) => ({ ...p, cmdline: cmdlineOf(p.pid) })),
  ),
);
if (ca) {
  const cli = ca.issue('admin');
  console.log(`tls: every listener and link, client certificates required; CA and certificates in ${ca.dir}`);
  console.log('     Kafka listeners too (SSL, same CA); point the CLI at the cluster with:');
  console.log(
    `     export TRIBUTARY_BOOTSTRAP=127.0.0.1:${brokerPorts[0]} TRIBUTARY_TLS_CA_FILE=${ca.caFile} TRIBUTARY_TLS_CERT_FILE=${cli.certFile} TRIBUTARY_TLS_KEY_FILE=${cli.keyFile}`,
  );
}
if (args.auth) {
  console.log(
    `auth: tokens and ACLs on every service; super user User:admin; token key ${cluster.tokenKeyFile}`,
  );
  console.log('     an admin token for the CLI (24 h), and how to make others:');
  console.log(`     export TRIBUTARY_TOKEN=${await cluster.token('User:admin', 24 * 3600)}`);
  console.log(`     npx tributary auth token create --principal alice --key-file ${cluster.tokenKeyFile}`);
  const protocol = ca ? 'SASL_SSL' : 'SASL_PLAINTEXT';
  const ssl = ca
    ? ` -X ssl.ca.location=${ca.caFile} -X ssl.certificate.location=${ca.dir}/admin.crt -X ssl.key.location=${ca.dir}/admin.key`
    : '';
  console.log(
    `     Kafka clients: security.protocol=${protocol} sasl.mechanism=PLAIN, username admin, password the token`,
  );
  console.log(
    `     e.g. kcat -b ${cluster.kafkaBootstrap[0]} -X security.protocol=${protocol}${ssl} -X sasl.mechanisms=PLAIN -X sasl.username=admin -X sasl.password=$TRIBUTARY_TOKEN -L`,
  );
}
const kafkaClients =
  cluster.kafkaBootstrap.length > 0
    ? `Kafka clients ${cluster.kafkaBootstrap.join(',')}`
    : 'no Kafka listener';
console.log(
  `ready in ${((performance.now() - t0) / 1000).toFixed(1)} s — bootstrap 127.0.0.1:${brokerPorts[0]}, ${kafkaClients}; Ctrl-C to stop`,
);

const stop = async (signal) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the cluster ...`);
  await cluster.stop();
  await prometheus?.stop();
  await jaeger?.stop();
  await etcd.stop();
  rmSync(pidsFile, { force: true });
  console.log('stopped');
  process.exit(0);
};
process.off('SIGINT', interrupted);
process.off('SIGTERM', interrupted);
process.off('SIGHUP', interrupted);
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGHUP', () => void stop('SIGHUP'));
if (interruptedBy) await stop(interruptedBy);

// A service that dies on its own is reported; the rest keep running.
for (const node of cluster.nodes) {
  node.process.waitForExit().then(({ code, signal }) => {
    if (!stopping)
      console.error(
        `${node.kind} ${node.id} exited (code ${code}, signal ${signal}): ${node.process.stderr.slice(-500)}`,
      );
  });
}
