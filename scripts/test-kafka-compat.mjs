#!/usr/bin/env node
// `npm run test:kafka-compat`: Kafka's real clients and tools against the brokers' Kafka listeners
// (issue 21): kafkajs (npm devDependency), kcat (Debian), and the Apache Kafka Java client and
// command-line tools (Maven Central, pinned in test/kafka-compat/java/pom.xml, resolved into
// .tools/kafka/libs). Installs what is missing, then runs the kafka-compat jest project one file
// at a time. Ends with one line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runJestSuite } from './lib/jest-suite.mjs';
import { ensureKafkaJars } from './lib/kafka-jars.mjs';

const root = resolve(import.meta.dirname, '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const stop = (message) => {
  console.error(`test:kafka-compat: ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
};

// kcat from Debian.
if (!has('kcat')) {
  if (process.getuid?.() !== 0)
    stop('kcat is missing: run `sudo apt-get update && sudo apt-get install -y kcat`');
  if (run('apt-get', ['install', '-y', 'kcat']).status !== 0) {
    run('apt-get', ['update']);
    if (run('apt-get', ['install', '-y', 'kcat']).status !== 0) stop('apt-get install -y kcat failed');
  }
}

// Kafka's Java client and tools from Maven Central, re-resolved when the pinned pom changes.
try {
  ensureKafkaJars();
} catch (err) {
  stop(err.message);
}

if (run(process.execPath, ['scripts/ensure-etcd.mjs']).status !== 0) stop('etcd is not available');
if (run('npm', ['run', 'build', '--silent']).status !== 0) stop('the build failed');

runJestSuite('kafka-compat');
