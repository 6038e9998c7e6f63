/**
 * Real Jaeger and Prometheus processes for `npm run test:observability` and
 * `npm run dev -- --observability`. Jaeger is the v2 all-in-one binary built from the Go module
 * proxy into `.tools/bin/jaeger` (scripts/ensure-observability-tools.mjs); Prometheus is Debian's
 * `prometheus` package. Both bind 127.0.0.1 on the ports given and keep their state in `dir`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess } from './child-process';
import { repoRoot } from './local-cluster';
import { waitFor } from './wait-for';

/** Where `scripts/ensure-observability-tools.mjs` puts the Jaeger binary. */
export const jaegerBinary = join(repoRoot, '.tools', 'bin', 'jaeger');

export interface RunningJaeger {
  readonly process: ManagedProcess;
  /** Query API (and UI, if its assets were built in): `http://127.0.0.1:<port>`. */
  readonly queryUrl: string;
  /** OTLP/HTTP receiver base URL: set it as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly otlpUrl: string;
  stop(): Promise<void>;
}

/** Starts Jaeger v2 (memory storage, OTLP/HTTP in, query API out) and waits until it answers. */
export async function startJaeger(options: {
  otlpPort: number;
  queryPort: number;
  queryGrpcPort: number;
  healthPort: number;
  dir: string;
  echo?: boolean;
}): Promise<RunningJaeger> {
  if (!existsSync(jaegerBinary))
    throw new Error(`${jaegerBinary} is missing: run node scripts/ensure-observability-tools.mjs`);
  mkdirSync(options.dir, { recursive: true });
  const config = join(options.dir, 'jaeger.yaml');
  writeFileSync(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${options.healthPort}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${options.queryPort}
    grpc:
      endpoint: 127.0.0.1:${options.queryGrpcPort}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${options.otlpPort}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`,
  );
  const proc = new ManagedProcess('jaeger', jaegerBinary, ['--config', config], {
    echo: options.echo ?? false,
  });
  const queryUrl = `http://127.0.0.1:${options.queryPort}`;
  await waitFor(
    async () => {
      if (!proc.running) throw new Error(`jaeger exited: ${proc.stderr.slice(-2000)}`);
      return fetch(`${queryUrl}/api/services`).then(
        (r) => r.ok,
        () => false,
      );
    },
    { timeoutMs: 60_000, intervalMs: 200, description: 'jaeger query API to answer' },
  );
  return {
    process: proc,
    queryUrl,
    otlpUrl: `http://127.0.0.1:${options.otlpPort}`,
    stop: async () => {
      await proc.stop(5000);
    },
  };
}

export interface RunningPrometheus {
  readonly process: ManagedProcess;
  readonly url: string;
  /** Evaluates an instant PromQL query; returns its result vector (throws on a query error). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** A scrape job: its name and `host:port` targets serving `/metrics`. */
export interface ScrapeJob {
  readonly job: string;
  readonly targets: readonly string[];
}

/** Starts Prometheus scraping `jobs` every `scrapeIntervalSeconds`, with optional rule files. */
export async function startPrometheus(options: {
  port: number;
  jobs: readonly ScrapeJob[];
  scrapeIntervalSeconds: number;
  ruleFiles?: readonly string[];
  dir: string;
  echo?: boolean;
}): Promise<RunningPrometheus> {
  mkdirSync(options.dir, { recursive: true });
  const config = join(options.dir, 'prometheus.yml');
  const interval = `${options.scrapeIntervalSeconds}s`;
  const lines = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    ...(options.ruleFiles?.length
      ? ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)]
      : []),
    'scrape_configs:',
    ...options.jobs.flatMap((j) => [
      `  - job_name: ${JSON.stringify(j.job)}`,
      '    static_configs:',
      `      - targets: [${j.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    ]),
  ];
  writeFileSync(config, `${lines.join('\n')}\n`);
  const url = `http://127.0.0.1:${options.port}`;
  const proc = new ManagedProcess(
    'prometheus',
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    { echo: options.echo ?? false },
  );
  await waitFor(
    async () => {
      if (!proc.running) throw new Error(`prometheus exited: ${proc.stderr.slice(-2000)}`);
      return fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
    },
    { timeoutMs: 60_000, intervalMs: 200, description: 'prometheus to be ready' },
  );
  return {
    process: proc,
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: unknown };
      };
      if (body.status !== 'success') throw new Error(`PromQL ${expr}: ${body.error ?? res.status}`);
      if (body.data?.resultType === 'scalar') {
        return [{ metric: {}, value: body.data.result as [number, string] }];
      }
      return body.data?.result as { metric: Record<string, string>; value: [number, string] }[];
    },
    stop: async () => {
      await proc.stop(5000);
    },
  };
}
