/**
 * Observability with real parts (issue 14): a real Jaeger receives OTLP from this process (the
 * producer and the consumer group) and from three brokers, a controller and a coordinator; a real
 * Prometheus scrapes every service. Run by `npm run test:observability`, which installs Jaeger
 * and Prometheus first.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { type ConsumerMessage, stringSerde, Tributary } from '@tributary/client';
import { createClient } from '@tributary/proto';
import { Attr, startTracing, type Tracing, tracingConfigFromEnv } from '@tributary/telemetry';
import {
  freePort,
  LocalCluster,
  type RunningJaeger,
  type RunningPrometheus,
  repoRoot,
  startJaeger,
  startPrometheus,
  waitFor,
} from '@tributary/test-kit';
import { tributary } from '../lib/run-cli';

const SCRAPE_SECONDS = 2;
const LAG_MAX_MS = 2000;
const RULES = join(repoRoot, 'charts/tributary/files/prometheus-rules.yaml');
const DASHBOARDS = join(repoRoot, 'charts/tributary/files/dashboards');

jest.setTimeout(240_000);

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string; traceID: string }[];
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;

describe('observability', () => {
  let dir: string;
  let jaeger: RunningJaeger;
  let prometheus: RunningPrometheus;
  let cluster: LocalCluster;
  let tracing: Tracing;
  let client: Tributary;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-observability-'));
    jaeger = await startJaeger({
      otlpPort: await freePort(),
      queryPort: await freePort(),
      queryGrpcPort: await freePort(),
      healthPort: await freePort(),
      dir: join(dir, 'jaeger'),
    });
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpUrl, OTEL_BSP_SCHEDULE_DELAY: '200' };
    cluster = await LocalCluster.start({
      brokers: 3,
      metrics: true,
      leaseTtlSeconds: 3,
      env: { ...process.env, ...otel },
      extraArgs: { broker: ['--replica.lag.time.max.ms', String(LAG_MAX_MS)] },
    });
    const targets = (kind: string) =>
      cluster.nodes.filter((n) => n.kind === kind).map((n) => `127.0.0.1:${n.metricsPort}`);
    prometheus = await startPrometheus({
      port: await freePort(),
      scrapeIntervalSeconds: SCRAPE_SECONDS,
      ruleFiles: [RULES],
      jobs: ['broker', 'controller', 'group-coordinator'].map((job) => ({ job, targets: targets(job) })),
      dir: join(dir, 'prometheus'),
    });
    tracing = startTracing(
      tracingConfigFromEnv({ ...otel, OTEL_SERVICE_NAME: 'observability-test-app' }, 'app'),
    );
    client = new Tributary({ bootstrap: cluster.bootstrap, clientId: 'observability-test' });
  });

  afterAll(async () => {
    await client?.close();
    await tracing?.shutdown();
    await cluster?.stop();
    await prometheus?.stop();
    await jaeger?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('one trace in Jaeger holds the send, the broker’s produce and replication wait, and the consumer’s process', async () => {
    const topic = `traced-${Date.now().toString(36)}`;
    await client.admin().createTopics([{ name: topic, numPartitions: 3, replicationFactor: 3 }]);
    const producer = client.producer({ acks: -1 });
    await producer.send({ topic, messages: [{ key: 'order-42', value: 'hello' }] });

    const consumer = client.consumer({
      groupId: `traced-group-${Date.now().toString(36)}`,
      keyDeserializer: stringSerde.deserialize,
      valueDeserializer: stringSerde.deserialize,
    });
    const seen: ConsumerMessage<string, string>[] = [];
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    // run() resolves when the consumer stops, so it is awaited after disconnect().
    const running = consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
    await waitFor(() => seen.length === 1, { timeoutMs: 30_000, description: 'the record to be consumed' });
    await consumer.disconnect();
    await running;
    await producer.disconnect();
    await tracing.flush();

    const header = seen[0]!.headers.find((h) => h.key === 'traceparent');
    expect(header).toBeDefined();
    const traceId = header!.value!.toString().split('-')[1]!;

    const wanted = [
      `send ${topic}`,
      'produce',
      `append ${topic}`,
      `replication wait ${topic}`,
      `process ${topic}`,
    ];
    const found = await waitFor(
      async () => {
        const res = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
        if (!res.ok) return undefined;
        const trace = ((await res.json()) as { data: JaegerTrace[] }).data[0];
        const names = new Set(trace?.spans.map((s) => s.operationName));
        return wanted.every((n) => names.has(n)) ? trace : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: `trace ${traceId} to hold ${wanted.join(', ')}` },
    );
    const byName = (name: string) => found.spans.find((s) => s.operationName === name)!;
    const service = (s: JaegerSpan) => found.processes[s.processID]!.serviceName;
    const send = byName(`send ${topic}`);
    const produce = byName('produce');
    const wait = byName(`replication wait ${topic}`);
    const processSpan = byName(`process ${topic}`);

    expect(service(send)).toBe('observability-test-app');
    expect(service(produce)).toBe('tributary-broker');
    expect(service(processSpan)).toBe('observability-test-app');
    // Parentage: send -> produce -> replication wait; send -> process (child, and linked).
    expect(produce.references.map((r) => r.spanID)).toContain(send.spanID);
    expect(wait.references.map((r) => r.spanID)).toContain(produce.spanID);
    expect(processSpan.references.map((r) => r.spanID)).toContain(send.spanID);

    const partition = String(seen[0]!.partition);
    for (const s of [send, wait, processSpan]) {
      expect(tag(s, Attr.messagingSystem)).toBe('kafka');
      expect(tag(s, Attr.destinationName)).toBe(topic);
      expect(tag(s, Attr.partitionId)).toBe(partition);
    }
    expect(tag(send, Attr.kafkaMessageKey)).toBe('order-42');
    expect(Number(tag(send, Attr.kafkaOffset))).toBe(seen[0]!.offset);
    expect(tag(processSpan, Attr.kafkaMessageKey)).toBe('order-42');
    expect(Number(tag(processSpan, Attr.kafkaOffset))).toBe(seen[0]!.offset);
    expect(tag(processSpan, Attr.consumerGroup)).toMatch(/^traced-group-/);
    expect(tag(processSpan, 'span.kind')).toBe('consumer');
    expect(tag(send, 'span.kind')).toBe('producer');
  });

  it('the CLI’s produce and consume: send → produce → process in one trace; the join span; a FetchStream response span', async () => {
    const suffix = Date.now().toString(36);
    const topic = `cli-traced-${suffix}`;
    const group = `cli-group-${suffix}`;
    await client.admin().createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3 }]);
    const env = {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpUrl,
      OTEL_SERVICE_NAME: 'observability-test-cli',
    };
    const b = ['--bootstrap', cluster.bootstrap.join(',')];
    const produced = await tributary(['produce', topic, '--acks', 'all', ...b], 'hello\n', 60_000, env);
    expect(produced).toMatchObject({ code: 0 });
    const consumed = await tributary(
      [
        'consume',
        topic,
        '--group',
        group,
        '--from-beginning',
        '--max-messages',
        '1',
        '--format',
        'json',
        ...b,
      ],
      '',
      60_000,
      env,
    );
    expect(consumed).toMatchObject({ code: 0 });
    const record = JSON.parse(consumed.stdout.trim()) as { headers: Record<string, string> };
    const traceId = record.headers.traceparent!.split('-')[1]!;

    const jaegerTrace = async (url: string, has: (t: JaegerTrace) => boolean) => {
      const res = await fetch(url);
      if (!res.ok) return undefined;
      return ((await res.json()) as { data: JaegerTrace[] }).data.find(has);
    };
    const names = (t: JaegerTrace) => new Set(t.spans.map((s) => s.operationName));
    const wanted = [`send ${topic}`, 'produce', `process ${topic}`];
    const found = await waitFor(
      () =>
        jaegerTrace(`${jaeger.queryUrl}/api/traces/${traceId}`, (t) => wanted.every((n) => names(t).has(n))),
      { timeoutMs: 30_000, intervalMs: 500, description: `trace ${traceId} to hold ${wanted.join(', ')}` },
    );
    const byName = (name: string) => found.spans.find((s) => s.operationName === name)!;
    const service = (s: JaegerSpan) => found.processes[s.processID]!.serviceName;
    expect(service(byName(`send ${topic}`))).toBe('observability-test-cli');
    expect(service(byName(`process ${topic}`))).toBe('observability-test-cli');
    expect(byName('produce').references.map((r) => r.spanID)).toContain(byName(`send ${topic}`).spanID);
    expect(byName(`process ${topic}`).references.map((r) => r.spanID)).toContain(
      byName(`send ${topic}`).spanID,
    );
    expect(tag(byName(`process ${topic}`), Attr.consumerGroup)).toBe(group);

    // The consume command's group join, join → assignment, as its own trace, holding the
    // coordinator's JoinGroup and SyncGroup spans (the join message carries the context).
    const joinNames = [`join ${group}`, `JoinGroup ${group}`, `SyncGroup ${group}`];
    const join = await waitFor(
      () =>
        jaegerTrace(
          `${jaeger.queryUrl}/api/traces?service=observability-test-cli&operation=${encodeURIComponent(`join ${group}`)}&limit=5`,
          (t) => joinNames.every((n) => names(t).has(n)),
        ),
      { timeoutMs: 30_000, intervalMs: 500, description: `a trace holding ${joinNames.join(', ')}` },
    );
    const joinSpan = join.spans.find((s) => s.operationName === `join ${group}`)!;
    expect(tag(joinSpan, Attr.consumerGroup)).toBe(group);
    expect(tag(joinSpan, 'span.kind')).toBe('client');
    expect(Number(tag(joinSpan, 'tributary.group.assigned_partitions'))).toBe(1);
    for (const name of joinNames.slice(1)) {
      const span = join.spans.find((s) => s.operationName === name)!;
      expect(join.processes[span.processID]!.serviceName).toBe('tributary-group-coordinator');
      expect(span.references.map((r) => r.spanID)).toContain(joinSpan.spanID);
      expect(tag(span, 'span.kind')).toBe('server');
      expect(tag(span, Attr.messagingSystem)).toBe('kafka');
      expect(tag(span, Attr.consumerGroup)).toBe(group);
      expect(tag(span, Attr.groupMemberId)).toBe(tag(joinSpan, Attr.groupMemberId));
    }

    // A FetchStream (the streaming fetch the consumer reads with) opened by hand
    // inside a sampled span: the leader's span for its response is that span's child.
    const [info] = await client.admin().describeTopics([topic]);
    const leader = cluster.brokers.find((n) => n.id === String(info!.partitions[0]!.leader))!;
    const broker = createClient('BrokerService', leader.address);
    const reader = trace.getTracer('observability-test');
    const streamTraceId = await reader.startActiveSpan('read a fetch stream', async (root) => {
      try {
        const call = broker.fetchStream();
        const response = new Promise((resolve, reject) => {
          call.once('data', resolve);
          call.once('error', reject);
        });
        call.write({
          start: {
            settings: { maxWaitMs: 50, minBytes: 1 },
            partitions: [{ topic, partition: 0, fetchOffset: 0 }],
            credit: { responses: 1, bytes: 1 << 20 },
          },
        });
        await response;
        call.end();
        return root.spanContext().traceId;
      } finally {
        root.end();
      }
    });
    broker.close();
    await tracing.flush();
    const fetchOp = 'tributary.v1.BrokerService/FetchStream';
    const streamTrace = await waitFor(
      () => jaegerTrace(`${jaeger.queryUrl}/api/traces/${streamTraceId}`, (t) => names(t).has(fetchOp)),
      { timeoutMs: 30_000, intervalMs: 500, description: `trace ${streamTraceId} to hold ${fetchOp}` },
    );
    const fetchSpan = streamTrace.spans.find((s) => s.operationName === fetchOp)!;
    const rootSpan = streamTrace.spans.find((s) => s.operationName === 'read a fetch stream')!;
    expect(streamTrace.processes[fetchSpan.processID]!.serviceName).toBe('tributary-broker');
    expect(fetchSpan.references.map((r) => r.spanID)).toContain(rootSpan.spanID);
    expect(tag(fetchSpan, 'span.kind')).toBe('server');
    expect(tag(fetchSpan, Attr.destinationName)).toBe(topic);
    expect(Number(tag(fetchSpan, 'tributary.fetch.bytes'))).toBeGreaterThan(0);
  });

  it('a traced admin createTopics has the controller’s CreateTopics span in its trace', async () => {
    const topic = `admin-traced-${Date.now().toString(36)}`;
    const tracer = trace.getTracer('observability-test');
    const traceId = await tracer.startActiveSpan('create a topic', async (root) => {
      try {
        await client.admin().createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }]);
        return root.spanContext().traceId;
      } finally {
        root.end();
      }
    });
    await tracing.flush();

    const found = await waitFor(
      async () => {
        const res = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
        if (!res.ok) return undefined;
        const t = ((await res.json()) as { data: JaegerTrace[] }).data[0];
        const served = t?.spans.find((s) => s.operationName.endsWith('/CreateTopics'));
        return served === undefined ? undefined : t;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 500,
        description: `trace ${traceId} to hold the controller's CreateTopics`,
      },
    );
    const service = (s: JaegerSpan) => found.processes[s.processID]!.serviceName;
    const call = found.spans.find((s) => s.operationName === 'call controller')!;
    const served = found.spans.find((s) => s.operationName.endsWith('/CreateTopics'))!;
    expect(call).toBeDefined();
    expect(service(call)).toBe('observability-test-app');
    expect(tag(call, 'span.kind')).toBe('client');
    expect(service(served)).toMatch(/controller/);
    expect(tag(served, 'span.kind')).toBe('server');
    // The controller's span is the child of the client's call span, across the gRPC hop.
    expect(served.references.map((r) => r.spanID)).toContain(call.spanID);
  });

  it('under-replicated goes above 0 after kill -9 of a broker, and back to 0 once it returns', async () => {
    const topic = `replicated-${Date.now().toString(36)}`;
    await client.admin().createTopics([{ name: topic, numPartitions: 6, replicationFactor: 3 }]);
    const underReplicated = async () =>
      Number(
        (await prometheus.query('sum(tributary_broker_under_replicated_partitions)'))[0]?.value[1] ?? NaN,
      );
    await waitFor(async () => (await underReplicated()) === 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'every partition fully replicated',
    });

    const victim = cluster.brokers[2]!;
    victim.signal('SIGKILL');
    const killedAt = Date.now();
    // The leaders drop the dead follower from the ISR after replica.lag.time.max.ms (its partitions'
    // new leaders start without it once its lease expires); Prometheus must show it within two
    // scrape intervals of that.
    const budgetMs = LAG_MAX_MS + 2 * SCRAPE_SECONDS * 1000 + 3000;
    await waitFor(async () => (await underReplicated()) > 0, {
      timeoutMs: budgetMs + 10_000,
      intervalMs: 250,
      description: 'under-replicated > 0 in Prometheus',
    });
    const seenAfterMs = Date.now() - killedAt;
    process.stdout.write(`under-replicated > 0 in Prometheus ${seenAfterMs} ms after kill -9\n`);
    expect(seenAfterMs).toBeLessThanOrEqual(budgetMs);

    await victim.process!.waitForExit();
    victim.start();
    await victim.waitServing();
    await waitFor(async () => (await underReplicated()) === 0, {
      timeoutMs: 90_000,
      intervalMs: 500,
      description: 'under-replicated back to 0 in Prometheus',
    });
  });

  it('every PromQL expression of the shipped dashboards and alert rules returns a series', async () => {
    // Traffic for the rate, lag and latency panels: records produced, consumed and committed.
    const topic = `dashboards-${Date.now().toString(36)}`;
    await client.admin().createTopics([{ name: topic, numPartitions: 3, replicationFactor: 3 }]);
    // Produce first, then consume: the records are there before the group joins.
    const producer = client.producer({ lingerMs: 5, acks: 1 });
    for (let i = 0; i < 20; i++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${j}`, value: `v${i}` })),
      });
    }
    await producer.disconnect();
    const consumer = client.consumer({
      groupId: `dashboards-${Date.now().toString(36)}`,
      autoCommitIntervalMs: 200,
    });
    let consumed = 0;
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const running = consumer.run({ eachMessage: async () => void consumed++ });
    await waitFor(() => consumed >= 1000, { timeoutMs: 60_000, description: '1000 records consumed' });

    const expressions: { where: string; expr: string }[] = [];
    for (const file of readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'))) {
      const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as {
        panels: { title: string; targets: { expr: string }[] }[];
      };
      for (const panel of dashboard.panels)
        for (const target of panel.targets)
          expressions.push({ where: `${file}: ${panel.title}`, expr: target.expr });
    }
    // An alert expression is `<query> <op> <threshold>`; the query must return a series (when
    // healthy the comparison filters it out, which is the point of an alert).
    const rules = readFileSync(RULES, 'utf8');
    for (const m of rules.matchAll(/- alert: (\S+)\n\s+expr: (.+)\n/g)) {
      const query = m[2]!.replace(/\s*(>|<|>=|<=|==|!=)\s*[0-9.]+\s*$/, '');
      expressions.push({ where: `alert ${m[1]}`, expr: query });
    }
    expect(expressions.length).toBeGreaterThan(20);

    const empty: string[] = [];
    await waitFor(
      async () => {
        empty.length = 0;
        for (const { where, expr } of expressions) {
          if ((await prometheus.query(expr)).length === 0) empty.push(`${where}: ${expr}`);
        }
        return empty.length === 0;
      },
      { timeoutMs: 60_000, intervalMs: 2000, description: 'every expression to return a series' },
    ).catch(() => {
      throw new Error(`expressions with no series:\n${empty.join('\n')}`);
    });
    await consumer.disconnect();
    await running;
  });

  it('promtool check rules passes on the shipped alert rules', () => {
    const res = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(`${res.stdout}${res.stderr}`).toMatch(/SUCCESS: \d+ rules found/);
    expect(res.status).toBe(0);
  });
});
