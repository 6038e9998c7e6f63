#!/usr/bin/env node
// `npm run test:k8s`: the Helm chart on a real Kubernetes control plane without a container
// engine (test/k8s/control-plane.mjs: kube-apiserver, kube-controller-manager, kube-scheduler
// built from k8s.io/kubernetes, kwok faking three nodes in three zones). The real StatefulSet,
// Deployment, disruption, PV binder and garbage collector controllers, the scheduler, the eviction
// API and Pod Security admission act on the chart; kwok reports scheduled pods Running and Ready
// (no probe runs, no container starts). Availability is followed with API watches
// (test/k8s/api-watch.mjs), so no moment of two brokers down can slip between two polls.
// Ends with one line `N passed, N failed`; when the control plane cannot be built or started, the
// line before names the step that failed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { watchObjects } from '../test/k8s/api-watch.mjs';
import {
  binDir,
  buildBinaries,
  run,
  StepError,
  startControlPlane,
  waitFor,
} from '../test/k8s/control-plane.mjs';

const root = join(import.meta.dirname, '..');
const chart = join(root, 'charts', 'tributary');
const helmBin = join(root, '.tools', 'bin', 'helm');
const NS = 'tributary';
const RELEASE = 'tributary';
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;
const BROKERS = `${INSTANCE},app.kubernetes.io/component=broker`;
const STS = `${RELEASE}-broker`;
const started = Date.now();

let passed = 0;
let failed = 0;
const summary = () => {
  console.log(`test:k8s took ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`${passed} passed, ${failed} failed`);
};
const indent = (text) => String(text).trim().split('\n').slice(0, 30).join('\n      ');
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok    ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}\n      ${indent(err.message)}`);
  }
}
const assert = (c, m) => {
  if (!c) throw new Error(m);
};
/** The control plane could not be built or started: name the step, count it, stop. */
function setupFailed(step, detail) {
  failed++;
  console.log(`FAIL  control plane: ${step}\n      ${indent(detail)}`);
  summary();
  process.exit(1);
}

if (spawnSync('go', ['version']).status !== 0)
  setupFailed(
    'find the Go toolchain',
    'no `go` on PATH: install Go >= 1.25 (https://go.dev/dl or apt-get install -y golang-go)',
  );
if (!existsSync(helmBin))
  setupFailed('find helm', `no ${helmBin}: run \`npm run test:chart\` once (it builds helm v3.21.4 there)`);

const t0 = Date.now();
try {
  buildBinaries();
} catch (err) {
  setupFailed(err instanceof StepError ? err.step : 'build the control plane', err.message);
}
console.log(`control-plane binaries ready in ${Math.round((Date.now() - t0) / 1000)} s`);
let cp;
try {
  cp = await startControlPlane();
} catch (err) {
  setupFailed(err instanceof StepError ? err.step : 'start the control plane', err.message);
}
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => cp.stop().finally(() => process.exit(130)));
const { kubectl } = cp;

const helm = (args) => run(helmBin, ['--kubeconfig', cp.kubeconfig, '--namespace', NS, ...args]);
const get = async (what, selector) =>
  JSON.parse(await kubectl(['-n', NS, 'get', what, '-o', 'json', ...(selector ? ['-l', selector] : [])]))
    .items;
const getOne = async (what, name) => JSON.parse(await kubectl(['-n', NS, 'get', what, name, '-o', 'json']));
const ready = (pod) =>
  !pod.metadata.deletionTimestamp &&
  pod.status.phase === 'Running' &&
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const zoneOfNode = async () =>
  Object.fromEntries(
    JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])).items.map((n) => [
      n.metadata.name,
      n.metadata.labels['topology.kubernetes.io/zone'],
    ]),
  );

/**
 * Runs `action` while watching the brokers and their PodDisruptionBudget. Returns the most brokers
 * that were not Ready at once (out of `expected`), the most the PDB would have let be down at once
 * (brokers down plus disruptions it still allowed) and the fewest pods it counted.
 */
async function watchAvailability(expected, action) {
  const seen = { worstDown: 0, worstPdb: 0, pdbExpected: Infinity };
  const stopPods = await watchObjects(
    cp,
    `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(BROKERS)}`,
    (pods) => {
      const up = [...pods.values()].filter(ready).length;
      seen.worstDown = Math.max(seen.worstDown, expected - up);
    },
  );
  const stopPdb = await watchObjects(
    cp,
    `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets?fieldSelector=metadata.name%3D${STS}`,
    (pdbs) => {
      const s = pdbs.get(STS)?.status;
      if (!s || s.observedGeneration === undefined) return;
      seen.worstPdb = Math.max(seen.worstPdb, s.expectedPods - s.currentHealthy + s.disruptionsAllowed);
      seen.pdbExpected = Math.min(seen.pdbExpected, s.expectedPods);
    },
  );
  try {
    await action();
  } finally {
    await stopPods();
    await stopPdb();
  }
  return seen;
}

// Static volumes: one PersistentVolume per claim the brokers will make (up to five brokers). The
// StorageClass binds a claim when its pod is scheduled, as a topology-aware provisioner would.
const PV_CLASS = 'static';
async function createVolumes(n) {
  const objects = [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: PV_CLASS },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
  ];
  for (let i = 0; i < n; i++)
    objects.push({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `pv-${i}` },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: PV_CLASS,
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: `/var/lib/fake/pv-${i}` },
      },
    });
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
}
const values = [
  '--set',
  'etcd.enabled=false',
  '--set',
  'externalEtcd.endpoints={http://etcd.invalid:2379}',
  '--set',
  `broker.persistence.storageClass=${PV_CLASS}`,
  '--set',
  'image.pullPolicy=Never',
];
const WAIT = ['--wait', '--timeout', '10m'];

try {
  await kubectl(['create', 'namespace', NS]);
  // The namespace enforces the restricted Pod Security Standard: admission itself checks the pods.
  await kubectl(['label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted']);
  await createVolumes(5);

  await check('helm install --wait: 3 brokers Running and Ready, one bound claim each, 3 zones', async () => {
    await helm(['install', RELEASE, chart, ...WAIT, ...values]);
    const pods = await get('pods', BROKERS);
    assert(
      pods.length === 3 && pods.every(ready),
      `brokers: ${pods.map((p) => `${p.metadata.name}:${p.status.phase}`)}`,
    );
    const claims = await get('pvc', BROKERS);
    assert(
      claims.length === 3 && claims.every((c) => c.status.phase === 'Bound'),
      `claims: ${claims.map((c) => `${c.metadata.name}:${c.status.phase}`)}`,
    );
    const zoneOf = await zoneOfNode();
    const zones = new Set(pods.map((p) => zoneOf[p.spec.nodeName]));
    assert(zones.size === 3, `brokers in zones ${[...zones]}`);
    for (const d of ['controller', 'coordinator']) {
      const dp = await getOne('deployment', `${RELEASE}-${d}`);
      assert(dp.status.readyReplicas === 2, `${d} ready replicas ${dp.status.readyReplicas}`);
    }
    const pdb = await getOne('pdb', STS);
    assert(pdb.status.expectedPods === 3, `the broker PDB selects ${pdb.status.expectedPods} pods`);
  });

  await check(
    'helm upgrade with a changed setting rolls brokers one at a time; the PDB never allows two down',
    async () => {
      const before = await get('pods', BROKERS);
      const seen = await watchAvailability(3, () =>
        helm([
          'upgrade',
          RELEASE,
          chart,
          ...WAIT,
          ...values,
          '--set',
          'broker.config.replica\\.lag\\.time\\.max\\.ms=15000',
        ]),
      );
      const sts = await getOne('statefulset', STS);
      assert(
        sts.status.updateRevision === sts.status.currentRevision && sts.status.updatedReplicas === 3,
        `brokers not all updated: ${JSON.stringify(sts.status)}`,
      );
      const after = await get('pods', BROKERS);
      const oldUids = new Set(before.map((p) => p.metadata.uid));
      assert(
        after.every((p) => !oldUids.has(p.metadata.uid)),
        'not every broker pod was replaced',
      );
      assert(
        seen.worstDown === 1,
        `${seen.worstDown} brokers were down at once during the rolling update (1 expected)`,
      );
      assert(seen.worstPdb <= 1, `the PDB allowed ${seen.worstPdb} brokers down at once`);
      assert(seen.pdbExpected === 3, `the PDB counted ${seen.pdbExpected} brokers`);
    },
  );

  await check(
    'helm upgrade with another volume size succeeds and leaves the claim templates as installed',
    async () => {
      await helm([
        'upgrade',
        RELEASE,
        chart,
        ...WAIT,
        '--reuse-values',
        '--set',
        'broker.persistence.size=50Gi',
      ]);
      const sts = await getOne('statefulset', STS);
      const size = sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage;
      assert(size === '10Gi', `claim template is now ${size}`);
    },
  );

  await check(
    'draining two nodes at once with kubectl drain evicts at most one broker at a time',
    async () => {
      // Two nodes that each hold a broker (the spread puts one per zone, but only prefers it).
      const nodes = [...new Set((await get('pods', BROKERS)).map((p) => p.spec.nodeName))].slice(0, 2);
      assert(nodes.length === 2, `brokers on ${nodes.length} node(s)`);
      let output = '';
      const seen = await watchAvailability(3, async () => {
        const drains = nodes.map((n) =>
          kubectl(['drain', n, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=10m'], undefined, {
            withStderr: true,
          }).then((out) => {
            output += out;
          }),
        );
        await Promise.all(drains);
        await waitFor(
          async () => (await get('pods', BROKERS)).filter(ready).length === 3,
          'three brokers Ready again',
        );
      });
      const after = await get('pods', BROKERS);
      assert(
        after.every((p) => !nodes.includes(p.spec.nodeName)),
        `brokers still on drained nodes: ${after.map((p) => `${p.metadata.name}@${p.spec.nodeName}`)}`,
      );
      assert(/broker-\d+ evicted/.test(output), `kubectl drain evicted no broker:\n${output}`);
      const refused = output.match(/violate the pod's disruption budget/g)?.length ?? 0;
      console.log(`      (the PDBs refused ${refused} eviction(s) while the drains ran)`);
      assert(
        seen.worstDown === 1,
        `${seen.worstDown} brokers were down at once during the drains (1 expected)`,
      );
      assert(seen.worstPdb <= 1, `the PDB allowed ${seen.worstPdb} brokers down at once`);
      for (const n of nodes) await kubectl(['uncordon', n]);
    },
  );

  await check('scaling brokers 3 -> 5 -> 3 keeps the claims of the removed brokers', async () => {
    await helm(['upgrade', RELEASE, chart, ...WAIT, '--reuse-values', '--set', 'broker.replicas=5']);
    const pods = await get('pods', BROKERS);
    assert(
      pods.length === 5 && pods.every(ready),
      `brokers at 5: ${pods.map((p) => `${p.metadata.name}:${p.status.phase}`)}`,
    );
    let claims = await get('pvc', BROKERS);
    assert(
      claims.length === 5 && claims.every((c) => c.status.phase === 'Bound'),
      `claims at 5: ${claims.map((c) => `${c.metadata.name}:${c.status.phase}`)}`,
    );
    const uidOf = Object.fromEntries(claims.map((c) => [c.metadata.name, c.metadata.uid]));
    await helm(['upgrade', RELEASE, chart, ...WAIT, '--reuse-values', '--set', 'broker.replicas=3']);
    await waitFor(async () => (await get('pods', BROKERS)).length === 3, 'three broker pods');
    claims = await get('pvc', BROKERS);
    for (const ordinal of [3, 4]) {
      const name = `data-${STS}-${ordinal}`;
      const claim = claims.find((c) => c.metadata.name === name);
      assert(claim && claim.metadata.uid === uidOf[name], `${name} is gone or was recreated`);
      assert(
        claim.status.phase === 'Bound' && !claim.metadata.deletionTimestamp,
        `${name}: ${claim.status.phase}`,
      );
      // With whenScaled: Delete the controller would hand the claim to the garbage collector by
      // making its removed pod the owner; a retained claim has no owner at all.
      assert(
        !claim.metadata.ownerReferences?.length,
        `${name} is owned: ${JSON.stringify(claim.metadata.ownerReferences)}`,
      );
    }
    const sts = await getOne('statefulset', STS);
    assert(
      sts.spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Retain',
      `retention policy: ${JSON.stringify(sts.spec.persistentVolumeClaimRetentionPolicy)}`,
    );
  });

  await check('helm uninstall removes everything but the claims', async () => {
    await helm(['uninstall', RELEASE, '--wait', '--timeout', '10m']);
    // Pods, ReplicaSets, ControllerRevisions and EndpointSlices go by the garbage collector.
    const kinds = [
      'pods',
      'statefulsets',
      'deployments',
      'replicasets',
      'controllerrevisions',
      'services',
      'endpointslices',
      'pdb',
      'configmaps',
      'serviceaccounts',
      'clusterroles',
      'clusterrolebindings',
    ];
    await waitFor(
      async () => {
        const left = [];
        for (const kind of kinds)
          for (const x of await get(kind, INSTANCE)) left.push(`${kind}/${x.metadata.name}`);
        if (left.length > 0) throw new Error(`left: ${left.join(', ')}`);
        return true;
      },
      'every resource of the release to go',
      180_000,
      2000,
    );
    const claims = await get('pvc', BROKERS);
    assert(
      claims.length === 5 && claims.every((c) => c.status.phase === 'Bound' && !c.metadata.deletionTimestamp),
      `claims after uninstall: ${claims.map((c) => `${c.metadata.name}:${c.status.phase}`)}`,
    );
  });
} catch (err) {
  // A step between the checks (namespace, volumes) failed: count it.
  failed++;
  console.log(`FAIL  test set-up on the control plane\n      ${indent(err.message)}`);
} finally {
  const dead = cp.procs.filter((p) => p.exited);
  for (const p of dead) console.log(`note: ${p.name} exited (${p.code}) during the run:\n${p.tail()}`);
  await cp.stop();
}
console.log(`kubectl and control plane: ${binDir}`);
summary();
process.exit(failed === 0 ? 0 : 1);
