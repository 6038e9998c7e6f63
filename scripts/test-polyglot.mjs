#!/usr/bin/env node
// `npm run test:polyglot`: the gRPC contract from Python, Go and Java (clients/*, docs/clients/).
// 1. Installs the pinned generators, cached in .tools/ (or stops with the command to run):
//    grpcio-tools (protoc) and the codec packages from PyPI into .tools/python, protoc-gen-go and
//    protoc-gen-go-grpc by `go install` into .tools/bin, protoc and protoc-gen-grpc-java from
//    Maven Central through clients/java/pom.xml.
// 2. Generates the stubs from proto/ (never committed) and checks the RecordBatch v2 vectors in
//    every language.
// 3. Starts one real cluster (etcd, controller, 3 brokers, group coordinator: packages/test-kit)
//    and runs each language's conformance scenario against it, then a Go consumer-group member
//    that takes over partitions when a TypeScript member of its group leaves.
// Ends with `N passed, N failed`. Measured on this 2-core machine under a load of ~36: cold, the Go
// side (module downloads, ~290 MB, and builds) took 6.6 min and Maven (~65 MB and the compile)
// 5 min, run side by side; warm, about 2.5 min, most of it `mvn compile` (plus `npm run build`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import client from '../clients/ts/dist/index.js';
import testKit from '../packages/test-kit/dist/index.js';

const { LocalCluster, waitFor } = testKit;
const { Tributary } = client;

const root = resolve(import.meta.dirname, '..');
const tools = join(root, '.tools');
const python = join(tools, 'python', 'bin', 'python');
const bin = join(tools, 'bin');
const PIP_REQUIREMENTS = join(root, 'clients', 'python', 'requirements.txt');
const GO_PLUGINS = [
  'google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12',
  'google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2',
];
const only = process.argv.slice(2); // e.g. `npm run test:polyglot -- go`: only tests naming go

let passed = 0;
let failed = 0;
const failures = [];

function finish(code) {
  if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed === 0 ? 0 : 1));
}

/** Stops the suite: a tool is missing that this script does not install itself. */
function missing(what, command) {
  console.log(`test:polyglot needs ${what}. Run:\n  ${command}\nthen run npm run test:polyglot again.`);
  failed++;
  failures.push(`setup: ${what} is missing`);
  finish(1);
}

/** Runs a command to completion, echoing its output; resolves to its exit code and output. */
function run(cmd, args, options = {}) {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: root, ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const echo = (chunk) => {
      out += chunk;
      if (!options.quiet) process.stdout.write(chunk);
    };
    child.stdout.on('data', echo);
    child.stderr.on('data', echo);
    child.on('close', (code) => done({ code: code ?? 1, out }));
    child.on('error', (err) => done({ code: 1, out: String(err) }));
  });
}

async function setup(name, cmd, args, options) {
  const started = Date.now();
  const { code, out } = await run(cmd, args, { quiet: true, ...options });
  if (code !== 0) {
    console.log(out);
    failed++;
    failures.push(`setup: ${name}`);
    finish(1);
  }
  console.log(`setup: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const wanted = (name) => only.length === 0 || only.some((o) => name.includes(o));

async function test(name, body) {
  if (!wanted(name)) return;
  const started = Date.now();
  console.log(`\n--- ${name}`);
  try {
    await body();
    passed++;
    console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed++;
    failures.push(name);
    console.log(`FAIL ${name}: ${err.message}`);
  }
}

/** A test body that runs one program and expects exit 0. */
const program = (cmd, args, options) => async () => {
  const { code } = await run(cmd, args, options);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}`);
};

// ---- 1. tools ---------------------------------------------------------------------------------
const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
if (!has('python3')) missing('Python 3.9+', 'apt-get install -y python3 python3-venv');
if (!has('go', ['version']))
  missing(
    'Go 1.26 (clients/go/go.mod)',
    "export PATH=$PATH:/usr/local/go/bin   # where these machines have it; Debian's golang-go (1.19) is too old",
  );
if (!has('java', ['-version'])) missing('a JDK 17+', 'apt-get install -y openjdk-17-jdk-headless');
if (!has('mvn')) missing('Maven 3.8+', 'apt-get install -y maven');
mkdirSync(bin, { recursive: true });

// Maven (its downloads, protoc, javac) runs beside the Python and Go setup: cold, all three are
// mostly downloads, so overlapping them shortens the wall time. Only when a java test is wanted.
const javaBuild = wanted('java')
  ? setup(
      'java stubs and build (mvn compile: protoc + protoc-gen-grpc-java)',
      'mvn',
      ['-B', '-q', 'compile'],
      {
        cwd: join(root, 'clients/java'),
      },
    )
  : Promise.resolve();

const requirements = readFileSync(PIP_REQUIREMENTS, 'utf8');
const pipStamp = join(tools, 'python', '.requirements');
if (!existsSync(pipStamp) || readFileSync(pipStamp, 'utf8') !== requirements) {
  if (!existsSync(python))
    await setup('python venv .tools/python', 'python3', ['-m', 'venv', join(tools, 'python')]);
  await setup('pip install -r clients/python/requirements.txt', python, [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '-q',
    '-r',
    PIP_REQUIREMENTS,
  ]);
  writeFileSync(pipStamp, requirements);
}
const goStamp = join(bin, '.go-plugins');
if (!existsSync(goStamp) || readFileSync(goStamp, 'utf8') !== GO_PLUGINS.join('\n')) {
  for (const pkg of GO_PLUGINS)
    await setup(`go install ${pkg}`, 'go', ['install', pkg], { env: { ...process.env, GOBIN: bin } });
  writeFileSync(goStamp, GO_PLUGINS.join('\n'));
}

// ---- 2. stubs, vectors ------------------------------------------------------------------------
const protoFiles = ['broker', 'common', 'controller', 'errors', 'group_coordinator', 'replication'].map(
  (f) => `proto/tributary/v1/${f}.proto`,
);
const protoc = (args) => [python, ['-m', 'grpc_tools.protoc', '-I', 'proto', ...args, ...protoFiles]];
mkdirSync(join(root, 'clients/python/gen'), { recursive: true });
await setup(
  'python stubs (grpc_tools.protoc) -> clients/python/gen',
  ...protoc([
    '--python_out=clients/python/gen',
    '--pyi_out=clients/python/gen',
    '--grpc_python_out=clients/python/gen',
  ]),
);
const goPackage = 'tributary.local/clients/go/gen/tributary/v1;tributaryv1';
const mappings = protoFiles.flatMap((f) => {
  const rel = f.replace('proto/', '');
  return [`--go_opt=M${rel}=${goPackage}`, `--go-grpc_opt=M${rel}=${goPackage}`];
});
mkdirSync(join(root, 'clients/go/gen'), { recursive: true });
await setup(
  'go stubs (protoc-gen-go, protoc-gen-go-grpc) -> clients/go/gen',
  ...protoc([
    `--plugin=protoc-gen-go=${join(bin, 'protoc-gen-go')}`,
    `--plugin=protoc-gen-go-grpc=${join(bin, 'protoc-gen-go-grpc')}`,
    '--go_out=clients/go/gen',
    '--go_opt=paths=source_relative',
    '--go-grpc_out=clients/go/gen',
    '--go-grpc_opt=paths=source_relative',
    ...mappings,
  ]),
);
const goConformance = join(bin, 'go-conformance');
await setup(
  'go build clients/go/cmd/conformance',
  'go',
  ['build', '-o', goConformance, './cmd/conformance'],
  {
    cwd: join(root, 'clients/go'),
  },
);
let javaClasspath = '';
await javaBuild;
if (wanted('java')) {
  const deps = readFileSync(join(root, 'clients/java/target/classpath.txt'), 'utf8').trim();
  javaClasspath = `${join(root, 'clients/java/target/classes')}:${deps}`;
}

await test(
  'vectors: the files are what scripts/gen-record-batch-vectors.mjs writes',
  program('node', ['scripts/gen-record-batch-vectors.mjs', '--check']),
);
await test(
  'vectors: typescript decodes and re-encodes byte for byte',
  program('npx', ['jest', 'packages/record-batch/src/vectors.test.ts']),
);
await test(
  'vectors: python decodes and re-encodes byte for byte',
  program(python, ['clients/python/test_vectors.py']),
);
await test(
  'vectors: go decodes and re-encodes byte for byte',
  program('go', ['test', '-count=1', './recordbatch/'], { cwd: join(root, 'clients/go') }),
);

// ---- 3. against a real cluster ----------------------------------------------------------------
console.log('\nstarting a cluster: etcd, 1 controller, 3 brokers, 1 group coordinator');
const cluster = await LocalCluster.start({ brokers: 3, controllers: 1, coordinators: 1 });
const bootstrap = cluster.bootstrap[0];
try {
  await test(
    'python: conformance scenario (plain Record path, then a batch encoded in Python)',
    program(python, [
      'clients/python/conformance.py',
      '--bootstrap',
      bootstrap,
      '--topic',
      'python-orders',
      '--group',
      'python-group',
    ]),
  );
  await test(
    'go: conformance scenario (RecordBatch v2 encoded in Go)',
    program(goConformance, [
      'scenario',
      '--bootstrap',
      bootstrap,
      '--topic',
      'go-orders',
      '--group',
      'go-group',
    ]),
  );
  await test(
    'java: conformance scenario (plain Record path)',
    program('java', [
      '-cp',
      javaClasspath,
      'tributary.conformance.Conformance',
      '--bootstrap',
      bootstrap,
      '--topic',
      'java-orders',
      '--group',
      'java-group',
    ]),
  );
  await test('go: group member takes over partitions when a typescript member leaves', () =>
    groupTakeover(bootstrap));
} finally {
  await cluster.stop();
}
finish();

/**
 * A Go member (GroupSession from the generated stubs) and a TypeScript consumer share a group on a
 * 4-partition topic. The TypeScript member joins, gets its share and never consumes; when it
 * leaves, the Go member must get its partitions, consume all their records and commit them.
 */
async function groupTakeover(bootstrap) {
  const topic = 'mixed-group';
  const group = 'mixed-group';
  const records = 40;
  const tributary = new Tributary({ bootstrap: [bootstrap] });
  try {
    await tributary.admin().createTopics([{ name: topic, numPartitions: 4, replicationFactor: 2 }]);
    const producer = tributary.producer();
    await producer.send({
      topic,
      messages: Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();

    let goOut = '';
    const go = spawn(
      goConformance,
      ['group', '--bootstrap', bootstrap, '--topic', topic, '--group', group, '--records', String(records)],
      { cwd: root },
    );
    const goExit = new Promise((done) => go.on('close', (code) => done(code)));
    for (const stream of [go.stdout, go.stderr])
      stream.on('data', (chunk) => {
        goOut += chunk;
        process.stdout.write(chunk);
      });
    const assignments = () =>
      [...goOut.matchAll(/assignment generation \d+: partitions \[([\d ]*)\] of 4/g)].map(
        (m) => m[1].split(' ').filter(Boolean).length,
      );
    await waitFor(() => assignments().includes(4), {
      timeoutMs: 30_000,
      description: 'the Go member to own all 4 partitions',
    });

    const ts = tributary.consumer({ groupId: group, sessionTimeoutMs: 10_000 });
    await ts.subscribe({ topics: [topic], fromBeginning: true });
    await waitFor(() => ts.assignment().length > 0 && assignments().at(-1) < 4, {
      timeoutMs: 30_000,
      description: 'the TypeScript and the Go member to share the partitions',
    });
    console.log(
      `typescript member owns ${JSON.stringify(ts.assignment().map((tp) => tp.partition))}; it leaves`,
    );
    await ts.disconnect();
    const code = await Promise.race([
      goExit,
      new Promise((done) => setTimeout(() => done('timeout'), 60_000)),
    ]);
    if (code !== 0) {
      go.kill('SIGKILL');
      throw new Error(`the Go member ended with ${code}`);
    }
    if (!/took over partitions \[\d/.test(goOut)) throw new Error('the Go member did not report a takeover');
  } finally {
    await tributary.close();
  }
}
