#!/usr/bin/env node
// `npm run test:security`: TLS on every listener and link, authenticated principals and ACLs
// (issue 20), against real etcd and service processes. Runs the security jest project one file
// at a time. Ends with one line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runJestSuite } from './lib/jest-suite.mjs';

const root = resolve(import.meta.dirname, '..');
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
const stop = (message) => {
  console.error(`test:security: ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
};
if (run(process.execPath, ['scripts/ensure-etcd.mjs']).status !== 0) stop('etcd is not available');
// The TLS tests make their throwaway CA and certificates with the system's openssl.
const hasOpenssl = () => spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
if (!hasOpenssl() && process.getuid?.() === 0) {
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'openssl']);
}
if (!hasOpenssl()) stop('openssl is not installed; run: sudo apt-get install -y openssl');
if (run('npm', ['run', 'build', '--silent']).status !== 0) stop('the build failed');
runJestSuite('security');
