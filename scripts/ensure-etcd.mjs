#!/usr/bin/env node
// Makes sure an etcd server binary is available for `npm run dev` and `npm test`.
// Debian/Ubuntu as root (or with passwordless sudo): installs the `etcd-server` package.
// Anywhere else: stops with the exact command to run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const candidate = process.env.ETCD_BIN ?? 'etcd';
const has = (cmd, args = ['--version']) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

if (has(candidate)) process.exit(0);

const isDebian = existsSync('/etc/debian_version');
const isRoot = process.getuid?.() === 0;
const sudo = !isRoot && has('sudo', ['-n', 'true']) ? ['sudo', '-n'] : isRoot ? [] : null;
if (isDebian && sudo) {
  console.error('etcd not found: installing Debian package etcd-server ...');
  const run = (args) => {
    const [cmd, ...rest] = [...sudo, ...args];
    execFileSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', 'etcd-server']);
  } catch (err) {
    console.error(`Installing etcd failed (${err.message}). Run: sudo apt-get install -y etcd-server`);
    process.exit(1);
  }
  if (has(candidate)) process.exit(0);
}
const hint = isDebian
  ? 'sudo apt-get update && sudo apt-get install -y etcd-server'
  : process.platform === 'darwin'
    ? 'brew install etcd'
    : 'install etcd 3.4+ from your package manager (e.g. apt-get install etcd-server, dnf install etcd) or set ETCD_BIN';
console.error(`etcd is required and was not found. Run: ${hint}`);
process.exit(1);
