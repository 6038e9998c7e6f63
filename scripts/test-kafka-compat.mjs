#!/usr/bin/env node
// `npm run test:kafka-compat`: Kafka's real clients and tools against the brokers' Kafka listeners
// (issue 21): kafkajs (npm devDependency), kcat (Debian), and the Apache Kafka Java client and
// command-line tools (Maven Central, pinned in test/kafka-compat/java/pom.xml, resolved into
// .tools/kafka/libs). Installs what is missing, then runs the kafka-compat jest project one file
// at a time. Ends with one line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runJestSuite } from './lib/jest-suite.mjs';

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
const pom = join(root, 'test/kafka-compat/java/pom.xml');
const libs = join(root, '.tools/kafka/libs');
const stamp = join(root, '.tools/kafka/pom.xml');
const pinned = readFileSync(pom, 'utf8');
const resolved = existsSync(stamp) && readFileSync(stamp, 'utf8') === pinned && readdirSync(libs).length > 0;
if (!resolved) {
  if (!has('mvn') || !has('java'))
    stop('Maven and a JDK (17+) are needed: run `apt-get install -y maven openjdk-17-jdk-headless`');
  rmSync(libs, { recursive: true, force: true });
  const mvn = run('mvn', [
    '-q',
    '-B',
    '-f',
    pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libs}`,
  ]);
  if (mvn.status !== 0) stop('resolving the Kafka artifacts with Maven failed');
  writeFileSync(stamp, pinned);
}

if (run(process.execPath, ['scripts/ensure-etcd.mjs']).status !== 0) stop('etcd is not available');
if (run('npm', ['run', 'build', '--silent']).status !== 0) stop('the build failed');

runJestSuite('kafka-compat');
