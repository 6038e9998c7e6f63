#!/usr/bin/env node
// `npm run release:pack [-- --out DIR] [-- --no-build]`: checks that every workspace carries the
// root's version, builds, and writes the installable tarballs to one folder (default
// `release/`, git-ignored):
//
// - `tributary-client-<v>.tgz`: `@tributary/client`, the library and the `tributary` command;
// - `tributary-server-<v>.tgz`: `@tributary/server`, the broker, controller and group
//   coordinator, and `tributary-dev`, the local cluster `npm run dev` starts.
//
// Each tarball carries the workspace packages it needs, compiled (no sources, tests or source
// maps), under `vendor/<name>/`, with their `@tributary/<name>` specifiers rewritten to relative
// paths, and lists the registry packages they need as its own dependencies: it installs anywhere
// from the tarball and the npm registry alone, locally and with `npm install -g`. Why not
// bundleDependencies or one tarball per workspace: docs/packaging.md.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { out: { type: 'string', default: 'release' }, 'no-build': { type: 'boolean', default: false } },
});
const root = resolve(import.meta.dirname, '..');
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const rootPkg = readJson(join(root, 'package.json'));
const version = rootPkg.version;
const fail = (message) => {
  console.error(`release:pack: ${message}`);
  process.exit(1);
};

/** Every workspace by package name: its directory and package.json. */
const workspaces = new Map(
  rootPkg.workspaces.map((dir) => {
    const pkg = readJson(join(root, dir, 'package.json'));
    return [pkg.name, { dir: join(root, dir), pkg }];
  }),
);

// One version for the whole set.
const disagree = [...workspaces].filter(([, w]) => w.pkg.version !== version);
if (disagree.length > 0) {
  fail(
    `every workspace must carry the root version ${version}; these do not: ${disagree
      .map(([name, w]) => `${name}@${w.pkg.version}`)
      .join(', ')}`,
  );
}
if (!readFileSync(join(root, 'CHANGELOG.md'), 'utf8').includes(`## ${version}`)) {
  fail(`CHANGELOG.md has no "## ${version}" section`);
}

if (!args['no-build']) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

/** The workspaces `names` need, transitively, and the registry packages all of them need. */
function closure(names) {
  const internal = new Set();
  const external = new Map();
  const optional = new Map();
  const want = (into, dep, range, name) => {
    if (into.has(dep) && into.get(dep) !== range)
      fail(`${dep} is wanted at ${into.get(dep)} and at ${range} (${name}): make them agree`);
    into.set(dep, range);
  };
  const visit = (name, from) => {
    const w = workspaces.get(name);
    if (!w) fail(`${from} depends on ${name}, which is not a workspace`);
    if (internal.has(name)) return;
    internal.add(name);
    for (const [dep, range] of Object.entries(w.pkg.dependencies ?? {})) {
      if (workspaces.has(dep)) visit(dep, name);
      else want(external, dep, range, name);
    }
    // Native modules that build from source at install (zstd-napi): the code works without them.
    for (const [dep, range] of Object.entries(w.pkg.optionalDependencies ?? {}))
      want(optional, dep, range, name);
  };
  for (const name of names) visit(name, 'the release');
  return { internal, external, optional };
}

/** Copies what a workspace ships (package.json, dist without maps or tests, bin, proto files). */
function copyWorkspace(name, to) {
  const { dir, pkg } = workspaces.get(name);
  mkdirSync(to, { recursive: true });
  const shipped = { ...pkg };
  delete shipped.private;
  delete shipped.devDependencies;
  delete shipped.scripts;
  if (!existsSync(join(dir, 'dist'))) fail(`${name} is not built (no ${relative(root, dir)}/dist)`);
  cpSync(join(dir, 'dist'), join(to, 'dist'), {
    recursive: true,
    filter: (src) => !/\.(map|tsbuildinfo)$|\.test\.(js|d\.ts)$/.test(src),
  });
  if (existsSync(join(dir, 'bin'))) cpSync(join(dir, 'bin'), join(to, 'bin'), { recursive: true });
  // The contract travels with the package that loads it (packages/proto/src/loader.ts looks
  // beside its dist first).
  if (name === '@tributary/proto') {
    cpSync(join(root, 'proto'), join(to, 'proto'), { recursive: true });
    shipped.files = [...shipped.files, 'proto'];
  }
  writeFileSync(join(to, 'package.json'), `${JSON.stringify(shipped, null, 2)}\n`);
}

/** Every file under `dir` whose name matches `pattern`. */
const filesUnder = (dir, pattern) =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && pattern.test(e.name))
    .map((e) => join(e.parentPath, e.name));

/**
 * Points every `@tributary/<name>[/sub]` specifier in the staged JavaScript and declarations at
 * `vendor/<name>` by a relative path: Node and TypeScript then resolve the bundled code without a
 * node_modules entry (npm's global installs leave bundled node_modules empty: docs/packaging.md).
 */
function rewriteSpecifiers(stage, vendored) {
  const specifier = /(["'])@tributary\/([a-z-]+)(\/[^"']*)?\1/g;
  for (const file of filesUnder(stage, /\.(js|mjs|d\.ts)$/)) {
    if (file.includes(`${join(stage, 'node_modules')}`)) continue;
    const text = readFileSync(file, 'utf8');
    const declaration = file.endsWith('.d.ts');
    const out = text.replace(specifier, (whole, quote, name, sub) => {
      if (!vendored.has(name)) return whole;
      const target = join(stage, 'vendor', name, sub ?? (declaration ? 'dist/index' : 'dist/index.js'));
      let rel = relative(dirname(file), target);
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `${quote}${rel}${quote}`;
    });
    if (out !== text) writeFileSync(file, out);
  }
}

/**
 * Stages and packs one tarball: `main` (a workspace name, or null for a package made of `extra`
 * alone) plus its workspace closure vendored under `vendor/`.
 */
function pack({ name, main, bundle, description, extra, bin, exports }) {
  const stage = join(tmpdir(), `tributary-pack-${process.pid}`, name.replace('/', '+'));
  rmSync(stage, { recursive: true, force: true });
  const { internal, external, optional } = closure(bundle);
  if (main) copyWorkspace(main, stage);
  else mkdirSync(stage, { recursive: true });
  const bundled = [...internal].filter((n) => n !== main).sort();
  for (const n of bundled) copyWorkspace(n, join(stage, 'vendor', n.replace('@tributary/', '')));
  extra?.(stage);
  rewriteSpecifiers(stage, new Set(bundled.map((n) => n.replace('@tributary/', ''))));
  const base = main ? readJson(join(stage, 'package.json')) : {};
  const pkg = {
    ...base,
    name,
    version,
    description: description ?? base.description,
    license: rootPkg.license,
    engines: rootPkg.engines,
    ...(exports ? { exports } : {}),
    ...(bin ? { bin } : {}),
    files: [...new Set([...(base.files ?? []), ...(extra ? ['bin'] : []), 'vendor'])],
    dependencies: Object.fromEntries([...external].sort(([a], [b]) => a.localeCompare(b))),
    ...(optional.size > 0 ? { optionalDependencies: Object.fromEntries([...optional].sort()) } : {}),
  };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  cpSync(join(root, 'README.md'), join(stage, 'README.md'));
  const out = resolve(root, args.out);
  mkdirSync(out, { recursive: true });
  const [{ filename, size, unpackedSize, entryCount }] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: stage, encoding: 'utf8' }),
  );
  rmSync(stage, { recursive: true, force: true });
  console.log(
    `${join(relative(root, out), filename)}: ${entryCount} files, ${(size / 1024).toFixed(0)} KiB packed, ${(unpackedSize / 1024).toFixed(0)} KiB unpacked; vendors ${bundled.join(', ') || 'nothing'}`,
  );
}

pack({
  name: '@tributary/client',
  main: '@tributary/client',
  bundle: ['@tributary/client'],
  exports: {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
});

const SERVICES = ['broker', 'controller', 'group-coordinator'];
pack({
  name: '@tributary/server',
  main: null,
  description: 'Tributary services: broker, controller, group coordinator, and a local dev cluster.',
  bundle: [...SERVICES.map((s) => `@tributary/${s}`), '@tributary/test-kit'],
  bin: {
    'tributary-broker': 'bin/tributary-broker.js',
    'tributary-controller': 'bin/tributary-controller.js',
    'tributary-coordinator': 'bin/tributary-coordinator.js',
    'tributary-dev': 'bin/tributary-dev.mjs',
  },
  extra(stage) {
    mkdirSync(join(stage, 'bin'), { recursive: true });
    const service = (s) =>
      `#!/usr/bin/env node\n// The ${s}, with the flags of \`node services/${s}/dist/main.js\` in the repository.\nrequire('@tributary/${s}/dist/main.js');\n`;
    writeFileSync(join(stage, 'bin', 'tributary-broker.js'), service('broker'));
    writeFileSync(join(stage, 'bin', 'tributary-controller.js'), service('controller'));
    writeFileSync(join(stage, 'bin', 'tributary-coordinator.js'), service('group-coordinator'));
    // The same scripts `npm run dev` runs: the etcd check, then the cluster.
    for (const script of ['ensure-etcd.mjs', 'dev-cluster.mjs'])
      cpSync(join(root, 'scripts', script), join(stage, 'bin', script));
    writeFileSync(
      join(stage, 'bin', 'tributary-dev.mjs'),
      [
        '#!/usr/bin/env node',
        '// `npm run dev` outside the repository: the etcd check, then a local cluster under ./.tributary/.',
        "import { spawnSync } from 'node:child_process';",
        "const check = spawnSync(process.execPath, [new URL('./ensure-etcd.mjs', import.meta.url).pathname], { stdio: 'inherit' });",
        'if (check.status !== 0) process.exit(check.status ?? 1);',
        "await import('./dev-cluster.mjs');",
        '',
      ].join('\n'),
    );
  },
});

// Leftover staging root of this run.
const stagingRoot = join(tmpdir(), `tributary-pack-${process.pid}`);
if (existsSync(stagingRoot) && readdirSync(stagingRoot).length === 0)
  rmSync(stagingRoot, { recursive: true });
