#!/usr/bin/env node
// `npm run test:observability` (issue 14): a real Jaeger and a real Prometheus against a real
// cluster (test/observability/). Installs Prometheus (Debian) and builds Jaeger (Go module proxy,
// pinned) when missing, then runs the observability jest project. Ends with `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runJestSuite } from './lib/jest-suite.mjs';

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

// The OTLP exporter loads its HTTP transport with a dynamic import(), which jest's VM contexts
// allow only with this flag (the in-process producer and consumer export their spans).
runJestSuite('observability', { nodeArgs: ['--experimental-vm-modules'] });
