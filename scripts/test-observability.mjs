#!/usr/bin/env node
// `npm run test:observability` (issue 14): a real Jaeger and a real Prometheus against a real
// cluster (test/observability/). Installs Prometheus (Debian) and builds Jaeger (Go module proxy,
// pinned) when missing, then runs the observability jest project. Ends with `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
const stop = (message) => {
  console.error(`test:observability: ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
};

if (run(process.execPath, ['scripts/ensure-observability-tools.mjs']).status !== 0)
  stop('Jaeger or Prometheus is not available (see above)');
if (run(process.execPath, ['scripts/ensure-etcd.mjs']).status !== 0) stop('etcd is not available');
if (run('npm', ['run', 'build', '--silent']).status !== 0) stop('the build failed');

const outDir = mkdtempSync(join(tmpdir(), 'tributary-test-observability-'));
const outputFile = join(outDir, 'report.json');
const jest = run(process.execPath, [
  join('node_modules', 'jest', 'bin', 'jest.js'),
  '--selectProjects',
  'observability',
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
