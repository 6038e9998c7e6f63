// Three Apache Kafka brokers in KRaft mode on loopback for `bench:vs-kafka`: each node is both
// broker and controller (combined mode, a static three-voter quorum), in a temp dir, with the
// JVM settings of Kafka's own kafka-server-start.sh (1 GiB heap, G1). Started from the jars
// scripts/lib/kafka-jars.mjs resolves; stopped by pid.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** JVM flags of kafka-server-start.sh and kafka-run-class.sh (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS). */
export const KAFKA_SERVER_JVM = [
  '-Xmx1g',
  '-Xms1g',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];

const STARTED = /Kafka Server started/;

function serverProperties(nodeId, { brokerPort, controllerPort, voters, logDir }) {
  return [
    'process.roles=broker,controller',
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=3',
    'transaction.state.log.replication.factor=3',
    'share.coordinator.state.topic.replication.factor=3',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

/**
 * Formats and starts three combined KRaft nodes on `brokerPorts` (clients) and
 * `controllerPorts` (the quorum); resolves once every node logged that it started.
 */
export async function startKafkaCluster({ libs, brokerPorts, controllerPorts, timeoutMs = 120_000 }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-kafka-'));
  const classpath = `${libs}/*`;
  const voters = controllerPorts.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',');
  // A Kafka Uuid: 16 random bytes, base64url without padding.
  const clusterId = randomBytes(16).toString('base64url');
  const nodes = [];
  for (let i = 0; i < brokerPorts.length; i++) {
    const nodeDir = path.join(dir, `kafka-${i + 1}`);
    fs.mkdirSync(nodeDir);
    const config = path.join(nodeDir, 'server.properties');
    const logDir = path.join(nodeDir, 'data');
    fs.writeFileSync(
      config,
      serverProperties(i + 1, {
        brokerPort: brokerPorts[i],
        controllerPort: controllerPorts[i],
        voters,
        logDir,
      }),
    );
    const format = spawnSync(
      'java',
      ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`kafka-storage format failed: ${format.stderr || format.stdout}`);
    }
    nodes.push({ config, nodeDir });
  }
  const processes = nodes.map(({ config, nodeDir }) => {
    const log = fs.openSync(path.join(nodeDir, 'server.log'), 'w');
    const child = spawn(
      'java',
      [
        ...KAFKA_SERVER_JVM,
        `-Dkafka.logs.dir=${nodeDir}`,
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
        '-cp',
        classpath,
        'kafka.Kafka',
        config,
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    return { child, logFile: path.join(nodeDir, 'server.log') };
  });
  const cluster = {
    dir,
    bootstrap: brokerPorts.map((p) => `127.0.0.1:${p}`).join(','),
    pids: processes.map((p) => p.child.pid),
    async stop() {
      await Promise.all(
        processes.map(
          ({ child }) =>
            new Promise((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
              child.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + timeoutMs;
  try {
    for (const { child, logFile } of processes) {
      while (!STARTED.test(fs.readFileSync(logFile, 'utf8'))) {
        if (child.exitCode !== null) {
          throw new Error(`a Kafka broker exited: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
        }
        if (Date.now() > deadline) {
          throw new Error(
            `Kafka did not start in ${timeoutMs} ms: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
