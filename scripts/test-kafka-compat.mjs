#!/usr/bin/env node
// `npm run test:kafka-compat`: Kafka's real clients and tools against the brokers' Kafka listeners
// (issue 21): kafkajs (npm devDependency), kcat (Debian), and the Apache Kafka Java client and
// command-line tools (Maven Central, pinned in test/kafka-compat/java/pom.xml, resolved into
// .tools/kafka/libs). Installs what is missing, then runs the kafka-compat jest project one file
// at a time. Ends with one line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

const outDir = mkdtempSync(join(tmpdir(), 'tributary-kafka-compat-'));
const outputFile = join(outDir, 'report.json');
const jest = run(process.execPath, [
  join('node_modules', 'jest', 'bin', 'jest.js'),
  '--selectProjects',
  'kafka-compat',
  '--runInBand',
  '--json',
  `--outputFile=${outputFile}`,
  ...process.argv.slice(2),
]);
let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(outputFile, 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests + report.numRuntimeErrorTestSuites;
} catch {
  failed = 1;
}
rmSync(outDir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || (jest.status !== 0 && jest.status !== 1) ? 1 : 0);
