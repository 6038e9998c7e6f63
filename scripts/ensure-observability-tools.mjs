#!/usr/bin/env node
// Installs what `npm run test:observability` and `npm run dev -- --observability` need, pinned:
// - Prometheus and promtool from Debian's `prometheus` package (2.42 on Debian 12);
// - Jaeger v2 all-in-one, `github.com/jaegertracing/jaeger/cmd/jaeger` v1.76.0, built from the Go
//   module proxy into .tools/bin/jaeger through the tools-only module scripts/tools/jaeger/go.mod
//   (`go install pkg@version` refuses it: Jaeger's go.mod has a replace line). The cold build is
//   long on a 2-core machine (see docs/observability.md), so it runs under `nice` and only once;
//   a rebuild happens when the pinned go.mod changes. Exits 1 with the exact command on failure.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
const fail = (message) => {
  console.error(`ensure-observability-tools: ${message}`);
  process.exit(1);
};

if (!has('prometheus') || !has('promtool')) {
  if (process.getuid?.() !== 0)
    fail('Prometheus is missing: run `sudo apt-get update && sudo apt-get install -y prometheus`');
  console.log('installing Debian prometheus (with promtool) ...');
  if (run('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus']).status !== 0) {
    run('apt-get', ['update']);
    if (run('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus']).status !== 0)
      fail('apt-get install -y prometheus failed');
  }
}

const toolsMod = join(root, 'scripts/tools/jaeger');
const bin = join(root, '.tools/bin');
const jaeger = join(bin, 'jaeger');
const stamp = join(root, '.tools/jaeger.go.mod');
const pinned = readFileSync(join(toolsMod, 'go.mod'), 'utf8');
if (!existsSync(jaeger) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== pinned) {
  if (!has('go')) fail('Go is needed to build Jaeger: install Go 1.24+ (https://go.dev/dl) and rerun');
  mkdirSync(bin, { recursive: true });
  console.log(
    'building Jaeger v1.76.0 from the Go module proxy into .tools/bin (cold: ~10-20 min on 2 cores) ...',
  );
  const t0 = Date.now();
  const env = { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod' };
  const build = run('nice', ['-n', '10', 'go', 'install', 'github.com/jaegertracing/jaeger/cmd/jaeger'], {
    cwd: toolsMod,
    env,
  });
  if (build.status !== 0)
    fail(
      `building Jaeger failed: run (cd scripts/tools/jaeger && GOBIN=${bin} go install github.com/jaegertracing/jaeger/cmd/jaeger)`,
    );
  copyFileSync(join(toolsMod, 'go.mod'), stamp);
  console.log(`Jaeger built in ${Math.round((Date.now() - t0) / 1000)} s`);
}
