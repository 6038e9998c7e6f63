#!/usr/bin/env node
// `npm run test:packaging`: what a user without this repository gets. Packs the release tarballs
// (`npm run release:pack`), then, in temporary directories outside the checkout and from the
// tarballs and the npm registry alone:
// - installs @tributary/server and starts `tributary-dev` (the etcd check, then a local cluster);
// - installs @tributary/client into an empty project: `import` (ESM) and `require` (CommonJS)
//   both work, the types check with tsc, and the quick start of docs/client.md runs;
// - installs the client globally (into a temporary prefix): `tributary --version`, a produce and
//   consume round trip from another directory with TRIBUTARY_BOOTSTRAP as the only address, and
//   bash completion;
// - stops the cluster with Ctrl-C (SIGINT): exit 0.
// Prints the client's footprint and time to first import, and ends with `N passed, N failed`.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import testKit from '@tributary/test-kit';

const { freePort, waitFor } = testKit;
const repo = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'tributary-packaging-'));
const releaseDir = join(work, 'release');
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version;
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

let passed = 0;
let failed = 0;
const facts = [];
async function step(name, fn) {
  const t0 = performance.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return true;
  } catch (err) {
    failed++;
    console.log(
      `FAIL ${name}: ${String(err?.stderr || err?.message || err)
        .trim()
        .split('\n')
        .slice(-15)
        .join('\n     ')}`,
    );
    return false;
  }
}

/** Runs a command to completion; returns stdout; throws with its stderr on a non-zero exit. */
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 600_000, ...opts });
const npmInstall = (dir, args) =>
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...args], { cwd: dir });
const emptyProject = (name) => {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  return dir;
};
const dirSize = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const p = join(dir, e.name);
    return sum + (e.isDirectory() ? dirSize(p) : e.isFile() ? statSync(p).size : 0);
  }, 0);

const tarball = (name) => join(releaseDir, `tributary-${name}-${version}.tgz`);
const serverDir = emptyProject('server-user');
const appDir = emptyProject('app');
const globalPrefix = join(work, 'global');
const elsewhere = join(work, 'elsewhere');
mkdirSync(elsewhere);

let dev;
let devLog = '';
const ports = { brokers: [await freePort(), await freePort(), await freePort()] };
for (const k of ['controller', 'coordinator', 'etcd', 'etcdPeer']) ports[k] = await freePort();
const bootstrap = `127.0.0.1:${ports.brokers[0]}`;

try {
  const packed = await step('npm run release:pack writes both tarballs', () => {
    run('node', [join(repo, 'scripts', 'release-pack.mjs'), '--out', releaseDir], {
      cwd: repo,
      stdio: 'inherit',
    });
    for (const name of ['client', 'server']) statSync(tarball(name));
  });
  if (packed) await installAndUse();
} finally {
  if (dev && dev.exitCode === null) {
    await step('Ctrl-C (SIGINT) stops the dev cluster with exit 0', async () => {
      const exited = new Promise((done) => dev.once('exit', (code) => done(code)));
      dev.kill('SIGINT');
      const code = await Promise.race([
        exited,
        new Promise((done) => setTimeout(() => done('timeout'), 30_000)),
      ]);
      if (code !== 0) {
        dev.kill('SIGKILL');
        throw new Error(`exit ${code}: ${devLog.slice(-2000)}`);
      }
    });
  }
  for (const fact of facts) console.log(fact);
  rmSync(work, { recursive: true, force: true });
}

/** Installs the tarballs and uses them as a user would. */
async function installAndUse() {
  const serverInstalled = await step('@tributary/server installs from its tarball', () =>
    npmInstall(serverDir, [tarball('server')]),
  );
  const clusterUp =
    serverInstalled &&
    (await step('tributary-dev starts a local cluster', async () => {
      dev = spawn(
        join(serverDir, 'node_modules', '.bin', 'tributary-dev'),
        [
          '--broker-ports',
          ports.brokers.join(','),
          '--controller-port',
          String(ports.controller),
          '--coordinator-port',
          String(ports.coordinator),
          '--etcd-port',
          String(ports.etcd),
          '--etcd-peer-port',
          String(ports.etcdPeer),
        ],
        { cwd: serverDir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      dev.stdout.on('data', (d) => (devLog += d));
      dev.stderr.on('data', (d) => (devLog += d));
      await waitFor(
        () => {
          if (dev.exitCode !== null) throw new Error(`tributary-dev exited ${dev.exitCode}: ${devLog}`);
          return /\bready\b/.test(devLog);
        },
        { timeoutMs: 120_000, intervalMs: 200, description: 'tributary-dev to print ready' },
      );
    }));

  const clientInstalled = await step('@tributary/client installs into an empty project', () =>
    npmInstall(appDir, [tarball('client')]),
  );
  if (clientInstalled) {
    const lib = join(appDir, 'node_modules');
    const packages = run('npm', ['ls', '--all', '--parseable', '--omit=dev'], { cwd: appDir })
      .trim()
      .split('\n');
    facts.push(
      `client footprint: ${packages.length - 1} packages, ${(dirSize(lib) / 1e6).toFixed(1)} MB in node_modules`,
    );
    await step('import (ESM) and require (CommonJS) both load the client', () => {
      writeFileSync(
        join(appDir, 'esm.mjs'),
        "import { Tributary } from '@tributary/client';\nconsole.log(typeof Tributary);\n",
      );
      writeFileSync(
        join(appDir, 'cjs.cjs'),
        "const { Tributary } = require('@tributary/client');\nconsole.log(typeof Tributary);\n",
      );
      for (const file of ['esm.mjs', 'cjs.cjs']) {
        const out = run('node', [file], { cwd: appDir }).trim();
        if (out !== 'function') throw new Error(`${file} printed ${out}`);
      }
      const times = [1, 2, 3].map(() =>
        Number(
          run(
            'node',
            ['-e', "const t=performance.now();require('@tributary/client');console.log(performance.now()-t)"],
            { cwd: appDir },
          ),
        ),
      );
      facts.push(
        `time to first import (require, median of 3): ${times.sort((a, b) => a - b)[1].toFixed(0)} ms`,
      );
    });
    await step('the types check from ESM and CommonJS (tsc, nodenext, no skipLibCheck)', () => {
      writeFileSync(
        join(appDir, 'check.mts'),
        "import { Tributary, type ConsumerOptions } from '@tributary/client';\nconst options: ConsumerOptions = { groupId: 'g' };\nexport const t: Tributary = new Tributary({ bootstrap: ['127.0.0.1:1'] });\nvoid options;\n",
      );
      writeFileSync(
        join(appDir, 'check.cts'),
        "import client = require('@tributary/client');\nexport const t = new client.Tributary({ bootstrap: ['127.0.0.1:1'] });\n",
      );
      writeFileSync(
        join(appDir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            strict: true,
            noEmit: true,
          },
          files: ['check.mts', 'check.cts'],
        }),
      );
      run('node', [tsc, '-p', '.'], { cwd: appDir });
    });
    if (clusterUp) {
      await step('the quick start of docs/client.md runs against the cluster', () => {
        const source = readFileSync(join(repo, 'clients/ts/examples/quick-start.ts'), 'utf8').replaceAll(
          '127.0.0.1:9092',
          bootstrap,
        );
        writeFileSync(join(appDir, 'quick-start.mts'), `${source}\nawait quickStart();\n`);
        run(
          'node',
          [
            tsc,
            '--module',
            'nodenext',
            '--moduleResolution',
            'nodenext',
            '--target',
            'es2022',
            '--skipLibCheck',
            'quick-start.mts',
          ],
          { cwd: appDir },
        );
        const out = run('node', ['quick-start.mjs'], { cwd: appDir, timeout: 60_000 });
        if (!/customer-\d+ \d+ \d+/.test(out)) throw new Error(`unexpected output:\n${out}`);
      });
    }
  }

  const globalInstalled = await step('the CLI installs globally from the client tarball', () =>
    npmInstall(work, ['--global', '--prefix', globalPrefix, tarball('client')]),
  );
  if (globalInstalled) {
    const cli = join(globalPrefix, 'bin', 'tributary');
    const env = { ...process.env, TRIBUTARY_BOOTSTRAP: bootstrap };
    await step('tributary --version prints the release version', () => {
      const out = run(cli, ['--version'], { cwd: elsewhere });
      if (!out.includes(version)) throw new Error(`printed ${out}`);
    });
    if (clusterUp) {
      await step('a produce/consume round trip from any directory with TRIBUTARY_BOOTSTRAP', () => {
        run(cli, ['topics', 'create', 'packaged', '--partitions', '2', '--replication-factor', '3'], {
          cwd: elsewhere,
          env,
        });
        run(cli, ['produce', 'packaged', '--key-separator', ':'], {
          cwd: elsewhere,
          env,
          input: 'k1:hello\nk2:world\n',
        });
        const out = run(
          cli,
          ['consume', 'packaged', '--from-beginning', '--max-messages', '2', '--print-key'],
          {
            cwd: elsewhere,
            env,
            timeout: 60_000,
          },
        );
        const lines = out.trim().split('\n').sort();
        if (lines.join('|') !== 'k1\thello|k2\tworld') throw new Error(`consumed:\n${out}`);
      });
    }
    await step('tributary completion bash and zsh are loadable scripts that complete commands', () => {
      const bashScript = run(cli, ['completion', 'bash'], { cwd: elsewhere });
      const words = run(
        'bash',
        [
          '-c',
          `${bashScript}\nCOMP_WORDS=(tributary top); COMP_CWORD=1; _tributary_completions; echo "\${COMPREPLY[@]}"`,
        ],
        { cwd: elsewhere },
      );
      if (!words.split(/\s+/).includes('topics')) throw new Error(`bash completion of "top" gave: ${words}`);
      const zshScript = run(cli, ['completion', 'zsh'], { cwd: elsewhere });
      if (!zshScript.includes('#compdef tributary')) throw new Error('the zsh script has no #compdef line');
    });
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
