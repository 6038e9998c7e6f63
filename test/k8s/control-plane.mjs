// A real Kubernetes control plane on loopback, without a container engine: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler built from the k8s.io/kubernetes module at a pinned
// version (test/k8s/control-plane/go.mod), and kwok faking three nodes in three zones (it marks
// scheduled pods Running and Ready; no container runs). Used by scripts/test-k8s.mjs.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KUBERNETES_VERSION = 'v1.35.4';
export const KWOK_VERSION = 'v0.8.0';
const root = join(import.meta.dirname, '..', '..');
const toolsModule = join(root, 'test', 'k8s', 'control-plane');
export const binDir = join(root, '.tools', 'k8s', KUBERNETES_VERSION);
const KUBE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'];

/** An error that names the step of building or starting the control plane that failed. */
export class StepError extends Error {
  constructor(step, detail) {
    super(`${step}: ${detail}`);
    this.step = step;
  }
}

/**
 * Builds whatever binary is missing into .tools/k8s/<version> (git-ignored, kept between runs; the
 * Go build cache makes a rebuild cheap). One `go install` for the four Kubernetes commands shares
 * their common packages. Go's default parallelism uses every core (CI runs alone); on a shared
 * machine set TEST_K8S_BUILD_JOBS=1. Always niced, which costs nothing on an idle machine.
 */
export function buildBinaries(log = console.log) {
  mkdirSync(binDir, { recursive: true });
  const jobs = process.env.TEST_K8S_BUILD_JOBS ? ['-p', process.env.TEST_K8S_BUILD_JOBS] : [];
  const env = { ...process.env, GOBIN: binDir };
  const goInstall = (step, args, cwd) => {
    const t0 = Date.now();
    log(`${step} (cached in ${binDir}) ...`);
    const r = spawnSync('nice', ['-n', '10', 'go', 'install', ...jobs, ...args], {
      cwd,
      env,
      stdio: 'inherit',
    });
    if (r.error) throw new StepError(step, r.error.message);
    if (r.status !== 0) throw new StepError(step, `go install exited ${r.status} (its errors are above)`);
    log(`${step}: done in ${Math.round((Date.now() - t0) / 1000)} s`);
  };
  // The version Kubernetes' own build stamps in (hack/lib/version.sh): without it the API server
  // reports v0.0.0-master, and helm refuses the chart's `kubeVersion: >=1.33.0-0`.
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const stamp = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
  if (KUBE_BINARIES.some((name) => !existsSync(join(binDir, name))))
    goInstall(
      `build ${KUBE_BINARIES.join(', ')} ${KUBERNETES_VERSION} from the Go module proxy`,
      ['-ldflags', stamp.join(' '), ...KUBE_BINARIES.map((name) => `k8s.io/kubernetes/cmd/${name}`)],
      toolsModule,
    );
  // kwok is its own module with its own dependency versions: built outside the tools module.
  if (!existsSync(join(binDir, 'kwok')))
    goInstall(`build kwok ${KWOK_VERSION}`, [`sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`], root);
}

/**
 * kwok's stages (how fake nodes and pods change state) from its own module at the pinned version:
 * nodes become Ready and renew their leases; pods become Running and Ready once scheduled, and go
 * as soon as they are deleted (the "fast" pod stages).
 */
function kwokStages() {
  const r = spawnSync('go', ['mod', 'download', '-json', `sigs.k8s.io/kwok@${KWOK_VERSION}`], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new StepError(`find kwok ${KWOK_VERSION}'s stages`, r.stderr || r.stdout);
  const moduleDir = JSON.parse(r.stdout).Dir;
  return [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ]
    .map((file) => readFileSync(join(moduleDir, 'kustomize', 'stage', file), 'utf8'))
    .join('\n---\n');
}

let nextPort = Number(process.env.TEST_K8S_PORT_BASE) || 0;
/** A free loopback port: from TEST_K8S_PORT_BASE upwards when set, else one the kernel picks. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(nextPort ? nextPort++ : 0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor(fn, what, timeoutMs = 120_000, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      if (err instanceof StepError) throw err;
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(intervalMs);
  }
}

/**
 * Runs a command without blocking the event loop; resolves with its stdout (and stderr too with
 * `withStderr`), rejects with its output when it fails.
 */
export function run(cmd, args, { input, timeoutMs = 900_000, withStderr = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { encoding: 'utf8', maxBuffer: 64 << 20, timeout: timeoutMs },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`${cmd.split('/').pop()} ${args.join(' ')}: ${stderr || stdout || err.message}`));
        else resolve(withStderr ? `${stdout}${stderr}` : stdout);
      },
    );
    if (input !== undefined) child.stdin.end(input);
  });
}

function kubeconfigYaml(server, caFile, token) {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `  - name: local\n    cluster:\n      server: ${server}\n      certificate-authority: ${caFile}`,
    'users:',
    `  - name: admin\n    user:\n      token: ${token}`,
    'contexts:',
    '  - name: local\n    context:\n      cluster: local\n      user: admin',
    'current-context: local',
    '',
  ].join('\n');
}

function fakeNode(name, zone, i) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': zone,
        type: 'kwok',
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'fake' },
      addresses: [{ type: 'InternalIP', address: `10.0.0.${10 + i}` }],
    },
  };
}

/**
 * Starts etcd, the control plane and kwok with one fake node per zone. Each step that fails throws
 * a StepError naming it, with the process's last output. `stop()` ends every process and removes
 * the temp dir.
 */
export async function startControlPlane({ zones = ['zone-a', 'zone-b', 'zone-c'], log = console.log } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-k8s-'));
  const procs = [];
  const start = (name, cmd, args) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (d) => {
      tail = (tail + d).slice(-6000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const proc = { name, child, tail: () => tail, exited: false };
    child.on('error', (err) => {
      proc.exited = true;
      proc.code = err.message;
    });
    child.on('exit', (code, signal) => {
      proc.exited = true;
      proc.code = code ?? signal;
    });
    procs.push(proc);
    return proc;
  };
  const stop = async () => {
    for (const p of [...procs].reverse()) if (!p.exited) p.child.kill('SIGTERM');
    await waitFor(() => procs.every((p) => p.exited), 'control plane to stop', 10_000, 100).catch(() => {});
    for (const p of procs) if (!p.exited) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  /** Fails the step when any process has exited, with that process's last output. */
  const alive = (step) => {
    for (const p of procs)
      if (p.exited) throw new StepError(step, `${p.name} exited (${p.code}):\n${p.tail()}`);
  };
  try {
    const [etcdPort, etcdPeer, apiPort, kwokPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const etcdBin = process.env.ETCD_BIN ?? 'etcd';
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    start('etcd', etcdBin, [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--log-level=warn',
    ]);
    await waitFor(
      async () => {
        alive(`start etcd (${etcdBin}; npm test's scripts/ensure-etcd.mjs installs it)`);
        return (await fetch(`${etcdUrl}/health`).then((r) => r.json())).health === 'true';
      },
      'etcd /health',
      30_000,
      200,
    ).catch((err) => {
      throw err instanceof StepError ? err : new StepError('start etcd', err.message);
    });

    // The service-account signing key pair and an admin bearer token. kube-apiserver generates its
    // own serving certificate (CA and certificate, for 127.0.0.1) into --cert-dir; clients trust it.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const token = randomBytes(16).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`);
    const server = `https://127.0.0.1:${apiPort}`;
    const caFile = join(dir, 'certs', 'apiserver.crt');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(server, caFile, token));
    const bin = (n) => join(binDir, n);
    start('kube-apiserver', bin('kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // The advertised 127.0.0.1 cannot be an Endpoints address: no `kubernetes` Service endpoints.
      '--endpoint-reconciler-type=none',
    ]);
    const kubectl = (args, input, options) =>
      run(bin('kubectl'), ['--kubeconfig', kubeconfig, ...args], { input, ...options });
    await waitFor(
      async () => {
        alive('start kube-apiserver');
        return (await kubectl(['get', '--raw', '/readyz'])).trim() === 'ok';
      },
      'kube-apiserver /readyz',
      300_000,
    ).catch((err) => {
      throw err instanceof StepError ? err : new StepError('start kube-apiserver', err.message);
    });
    log(`kube-apiserver ${KUBERNETES_VERSION} ready at ${server}`);

    start('kube-controller-manager', bin('kube-controller-manager'), [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      `--service-account-private-key-file=${join(dir, 'sa.key')}`,
      `--root-ca-file=${caFile}`,
      // A loaded machine may delay a lease renewal; the default 50 s grace would then mark a
      // node NotReady in the middle of a scenario.
      '--node-monitor-grace-period=2m',
      '--controllers=*',
    ]);
    start('kube-scheduler', bin('kube-scheduler'), [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
    ]);
    writeFileSync(join(dir, 'kwok.yaml'), kwokStages());
    start('kwok', bin('kwok'), [
      `--config=${join(dir, 'kwok.yaml')}`,
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--cidr=10.0.0.1/24',
      '--node-ip=10.0.0.1',
      `--server-address=127.0.0.1:${kwokPort}`,
      // Node leases, renewed every 10 s: without them the node lifecycle controller marks the
      // fake nodes NotReady (and every pod on them unready) after its grace period.
      '--node-lease-duration-seconds=40',
    ]);
    const nodesStep = `start kube-controller-manager, kube-scheduler and kwok with ${zones.length} fake nodes`;
    try {
      for (const [i, zone] of zones.entries())
        await kubectl(['apply', '-f', '-'], JSON.stringify(fakeNode(`node-${zone}`, zone, i)));
    } catch (err) {
      throw new StepError(nodesStep, err.message);
    }
    await waitFor(
      async () => {
        alive(nodesStep);
        const nodes = JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])).items;
        // The default ServiceAccount shows the controller manager works; Ready nodes, kwok.
        await kubectl(['-n', 'default', 'get', 'serviceaccount', 'default']);
        return (
          nodes.length === zones.length &&
          nodes.every((n) => n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        );
      },
      `${zones.length} kwok nodes Ready`,
      180_000,
    ).catch((err) => {
      throw err instanceof StepError ? err : new StepError(nodesStep, err.message);
    });
    log(`${zones.length} fake nodes Ready (kwok ${KWOK_VERSION}), in zones ${zones.join(', ')}`);
    return { dir, server, token, ca: readFileSync(caFile), kubeconfig, kubectl, procs, alive, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
