import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { createToken, readTokenKey } from '@tributary/auth';
import { createChannelCredentials } from '@tributary/proto';
import { CertificateAuthority, type TlsIdentityFiles } from './certificate-authority';
import { ManagedProcess } from './child-process';
import { type EtcdServer, startEtcd } from './etcd-server';
import { checkHealth } from './health';
import { freePort, isPortFree } from './ports';
import { waitFor } from './wait-for';

export type ServiceKind = 'broker' | 'controller' | 'group-coordinator';

/** The repository root, found from this package's own location (src/ or dist/). */
export const repoRoot = resolve(__dirname, '../../..');

/**
 * The entry point `node <path>` starts a service with: the `@tributary/<kind>` workspace's build in
 * this repository, or its copy beside this package's in the `@tributary/server` tarball, which
 * vendors both under `vendor/` (scripts/release-pack.mjs).
 */
export function serviceMain(kind: ServiceKind): string {
  const vendored = resolve(__dirname, '..', '..', kind, 'dist', 'main.js');
  return existsSync(vendored) ? vendored : require.resolve(`@tributary/${kind}/dist/main.js`);
}

/** One service process of a local cluster; `start()` again after a stop or kill restarts it. */
/** Node flags for every service process this kit starts (see `ServiceNode.start`). */
const NODE_FLAGS_VARIABLE = 'TRIBUTARY_SERVICE_NODE_FLAGS';

export class ServiceNode {
  process: ManagedProcess | undefined;

  constructor(
    readonly kind: ServiceKind,
    readonly id: string,
    readonly port: number,
    readonly args: readonly string[],
    private readonly echo: boolean,
    /** Port of its Prometheus `/metrics` endpoint, when the cluster serves metrics. */
    readonly metricsPort?: number,
    private readonly env?: NodeJS.ProcessEnv,
    /** Its certificate and key, when the cluster runs on TLS (rewrite them to rotate). */
    readonly tls?: TlsIdentityFiles,
    /** How health checks reach it: plaintext, or TLS trusting the cluster's CA. */
    private readonly healthCredentials?: grpc.ChannelCredentials,
    /** Spawned in a process group of its own (`LocalClusterOptions.ownProcessGroups`). */
    private readonly ownProcessGroup = false,
  ) {}

  /** `http://127.0.0.1:<port>/metrics`, when the cluster serves metrics. */
  get metricsUrl(): string | undefined {
    return this.metricsPort === undefined ? undefined : `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * Spawns `node <serviceMain(kind)> <args>`. Node flags for every service process come from
   * `TRIBUTARY_SERVICE_NODE_FLAGS` (space-separated), e.g. `--cpu-prof --cpu-prof-dir=/tmp/p` to
   * profile the brokers of a benchmark: Node refuses `--cpu-prof` in NODE_OPTIONS.
   */
  start(extraArgs: readonly string[] = []): ManagedProcess {
    if (this.process?.running) throw new Error(`${this.kind} ${this.id} is already running`);
    const main = serviceMain(this.kind);
    const nodeFlags = (process.env[NODE_FLAGS_VARIABLE] ?? '').split(' ').filter(Boolean);
    // Not passed on: a service refuses TRIBUTARY_* variables that are not its settings.
    const { [NODE_FLAGS_VARIABLE]: _, ...env } = this.env ?? process.env;
    this.process = new ManagedProcess(
      `${this.kind}-${this.id}`,
      process.execPath,
      [...nodeFlags, main, ...this.args, ...extraArgs],
      { echo: this.echo, env, ownProcessGroup: this.ownProcessGroup },
    );
    return this.process;
  }

  /** Its grpc.health.v1 status ('SERVING', 'NOT_SERVING', 'UNREACHABLE (...)'), over TLS if the cluster has it. */
  health(timeoutMs = 1000): Promise<string> {
    return checkHealth(this.address, '', timeoutMs, this.healthCredentials);
  }

  /** Waits until the server reports SERVING; fails early with its stderr if it exits. */
  async waitServing(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        const proc = this.process;
        if (!proc?.running) {
          throw new Error(
            `${this.kind} ${this.id} is not running: ${proc?.stderr.slice(-2000) ?? 'never started'}`,
          );
        }
        return (await this.health()) === 'SERVING';
      },
      { timeoutMs, intervalMs: 100, description: `${this.kind} ${this.id} on ${this.address} to be SERVING` },
    );
  }

  signal(signal: NodeJS.Signals): void {
    this.process?.signal(signal);
  }

  async stop(graceMs = 10_000): Promise<void> {
    await this.process?.stop(graceMs);
  }
}

export interface LocalClusterOptions {
  brokers?: number;
  controllers?: number;
  coordinators?: number;
  /** An etcd to use; by default a throwaway one is started (and stopped with the cluster). */
  etcd?: EtcdServer;
  /** Unique per cluster by default, so clusters sharing an etcd never see each other's keys. */
  clusterName?: string;
  /** Where broker data lives; a temp dir (removed on stop) by default. */
  dataRoot?: string;
  brokerPorts?: readonly number[];
  controllerPorts?: readonly number[];
  coordinatorPorts?: readonly number[];
  /** Give each broker a Kafka wire-protocol listener: on these ports, or free ones with `true`. */
  kafka?: boolean | readonly number[];
  leaseTtlSeconds?: number;
  /** Extra flags per kind, e.g. `{ broker: ['--log.level', 'debug'] }`. */
  extraArgs?: Partial<Record<ServiceKind, readonly string[]>>;
  /** Copy every process's output to this process's stdout/stderr. */
  echo?: boolean;
  /** Serve Prometheus `/metrics` from every process, each on a free port (`node.metricsPort`). */
  metrics?: boolean;
  /** Environment of every service process (e.g. `OTEL_*`); this process's by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * Authentication (and with `authorize`, ACLs) on every service: a fresh token key is written
   * to `<dataRoot>/token.key` (`cluster.tokenKeyFile`); `cluster.token(principal)` signs tokens.
   */
  auth?: { mode: 'authenticate' | 'authorize'; superUsers?: readonly string[] };
  /**
   * Every gRPC listener and link on TLS, each process with its own certificate (common name:
   * its kind) from `ca`, or from a new CA under the data root with `true`. `clientAuth` is each
   * listener's `tls.client.auth`; Kafka listeners are SSL listeners with the same files. An etcd
   * started with `startEtcd({ tls })` is reached over TLS.
   */
  tls?: boolean | { ca?: CertificateAuthority; clientAuth?: 'none' | 'requested' | 'required' };
  /**
   * Every service in a process group of its own, so a terminal's Ctrl-C (SIGINT to the whole
   * foreground group) reaches only the caller, which then stops them in order: brokers before
   * the controller, whom their controlled shutdown asks to move leadership (`npm run dev`).
   */
  ownProcessGroups?: boolean;
}

/** The TLS of a LocalCluster: its CA, and what a client needs to reach it. */
export interface LocalClusterTls {
  readonly ca: CertificateAuthority;
  /** `tls.ca.file` of every process; a client trusts it to reach the cluster. */
  readonly caFile: string;
  readonly clientAuth: 'none' | 'requested' | 'required';
}

let clusterCounter = 0;

/**
 * A whole Tributary cluster of real processes on loopback: etcd, controllers, brokers and group
 * coordinators. Used by integration tests and by `npm run dev`.
 */
export class LocalCluster {
  private constructor(
    readonly etcd: EtcdServer,
    private readonly ownsEtcd: boolean,
    readonly clusterName: string,
    readonly dataRoot: string,
    private readonly ownsDataRoot: boolean,
    readonly controllers: ServiceNode[],
    readonly brokers: ServiceNode[],
    readonly coordinators: ServiceNode[],
    /** `127.0.0.1:<port>` of each broker's Kafka listener (empty without the `kafka` option). */
    readonly kafkaBootstrap: string[],
    /** Builds the node of broker `id` (for `addBroker`). */
    private readonly brokerNode: (id: number, port: number) => Promise<ServiceNode>,
    /** The token key file, when the cluster runs with `auth`. */
    readonly tokenKeyFile?: string,
    /** Present when the cluster runs on TLS. */
    readonly tls?: LocalClusterTls,
  ) {}

  /** A bearer token for `principal` (`User:alice`) signed with the cluster's key (`auth` option). */
  token(principal: string, ttlSeconds = 3600): Promise<string> {
    if (this.tokenKeyFile === undefined) throw new Error('this cluster runs without auth');
    return createToken({ principal, ttlSeconds, key: readTokenKey(this.tokenKeyFile) });
  }

  /**
   * Starts one more broker (id = the number of brokers so far, unless given), as a StatefulSet
   * scaled up would: registered, serving, holding no partition yet.
   */
  async addBroker(id = this.brokers.length): Promise<ServiceNode> {
    const node = await this.brokerNode(id, await freePort());
    this.brokers.push(node);
    node.start();
    await node.waitServing();
    return node;
  }

  get nodes(): ServiceNode[] {
    return [...this.controllers, ...this.brokers, ...this.coordinators];
  }

  /** `127.0.0.1:<port>` of every broker, for a client's bootstrap list. */
  get bootstrap(): string[] {
    return this.brokers.map((b) => b.address);
  }

  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const wanted = [
      ...(options.brokerPorts ?? []).map((p) => ['broker port', p] as const),
      ...(options.controllerPorts ?? []).map((p) => ['controller port', p] as const),
      ...(options.coordinatorPorts ?? []).map((p) => ['group coordinator port', p] as const),
      ...(Array.isArray(options.kafka) ? options.kafka : []).map((p) => ['Kafka listener port', p] as const),
    ];
    for (const [what, port] of wanted) {
      if (!(await isPortFree(port))) throw new Error(`Port ${port} (${what}) is already in use on 127.0.0.1`);
    }
    const ownsEtcd = options.etcd === undefined;
    const etcd = options.etcd ?? (await startEtcd());
    const clusterName =
      options.clusterName ?? `test-${process.pid}-${Date.now().toString(36)}-${clusterCounter++}`;
    const ownsDataRoot = options.dataRoot === undefined;
    const dataRoot = options.dataRoot ?? mkdtempSync(join(tmpdir(), 'tributary-data-'));
    let tls: LocalClusterTls | undefined;
    let healthCredentials: grpc.ChannelCredentials | undefined;
    const tlsArgs: string[] = [];
    if (options.tls) {
      const given = options.tls === true ? {} : options.tls;
      const ca = given.ca ?? CertificateAuthority.create(join(dataRoot, 'tls'));
      tls = { ca, caFile: ca.caFile, clientAuth: given.clientAuth ?? 'none' };
      tlsArgs.push('--tls.ca.file', ca.caFile, '--tls.client.auth', tls.clientAuth);
      // The health checks present a certificate of their own, so they pass mutual TLS too.
      healthCredentials = createChannelCredentials({ caFile: ca.caFile, ...ca.issue('health-check') });
    }
    if (etcd.tls) {
      tlsArgs.push('--etcd.tls.ca.file', etcd.tls.caFile);
      if (etcd.tls.certFile && etcd.tls.keyFile)
        tlsArgs.push('--etcd.tls.cert.file', etcd.tls.certFile, '--etcd.tls.key.file', etcd.tls.keyFile);
    }
    const common = [
      ...tlsArgs,
      '--etcd.endpoints',
      etcd.endpoint,
      '--cluster.name',
      clusterName,
      '--lease.ttl.seconds',
      String(options.leaseTtlSeconds ?? 5),
    ];
    let tokenKeyFile: string | undefined;
    if (options.auth) {
      tokenKeyFile = join(dataRoot, 'token.key');
      writeFileSync(tokenKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
      common.push('--auth.mode', options.auth.mode, '--auth.token.key.file', tokenKeyFile);
      if (options.auth.superUsers)
        common.push(
          '--auth.super.users',
          ['User:broker', 'User:controller', 'User:group-coordinator', ...options.auth.superUsers].join(','),
        );
    }
    const echo = options.echo ?? false;
    const extra = (kind: ServiceKind) => options.extraArgs?.[kind] ?? [];
    const portOf = async (ports: readonly number[] | undefined, i: number) =>
      ports?.[i] ?? (await freePort());
    const metricsPort = async () => (options.metrics ? await freePort() : undefined);
    const metricsArgs = (port: number | undefined) =>
      port === undefined ? [] : ['--metrics.port', String(port)];
    const node = async (kind: ServiceKind, id: string, port: number, args: string[]) => {
      const mp = await metricsPort();
      const identity = tls?.ca.issue(kind, { basename: `${kind}-${id}` });
      const identityArgs = identity
        ? ['--tls.cert.file', identity.certFile, '--tls.key.file', identity.keyFile]
        : [];
      return new ServiceNode(
        kind,
        id,
        port,
        [...args, ...identityArgs, ...metricsArgs(mp)],
        echo,
        mp,
        options.env,
        identity,
        healthCredentials,
        options.ownProcessGroups ?? false,
      );
    };

    const controllers: ServiceNode[] = [];
    for (let i = 0; i < (options.controllers ?? 1); i++) {
      const port = await portOf(options.controllerPorts, i);
      const id = `controller-${i}`;
      controllers.push(
        await node('controller', id, port, [
          ...common,
          '--controller.id',
          id,
          '--port',
          String(port),
          ...extra('controller'),
        ]),
      );
    }
    const brokers: ServiceNode[] = [];
    const kafkaBootstrap: string[] = [];
    const brokerNode = async (i: number, port: number) => {
      const kafkaArgs: string[] = [];
      if (options.kafka) {
        const kafkaPort = await portOf(options.kafka === true ? undefined : options.kafka, i);
        kafkaBootstrap.push(`127.0.0.1:${kafkaPort}`);
        kafkaArgs.push('--kafka.listener', `127.0.0.1:${kafkaPort}`);
        if (tls) kafkaArgs.push('--kafka.listener.tls');
      }
      const dataDir = join(dataRoot, `broker-${i}`);
      mkdirSync(dataDir, { recursive: true });
      return node('broker', String(i), port, [
        ...common,
        '--broker.id',
        String(i),
        '--port',
        String(port),
        '--data.dir',
        dataDir,
        ...kafkaArgs,
        ...extra('broker'),
      ]);
    };
    for (let i = 0; i < (options.brokers ?? 3); i++) {
      brokers.push(await brokerNode(i, await portOf(options.brokerPorts, i)));
    }
    const coordinators: ServiceNode[] = [];
    for (let i = 0; i < (options.coordinators ?? 1); i++) {
      const port = await portOf(options.coordinatorPorts, i);
      const id = `coordinator-${i}`;
      coordinators.push(
        await node('group-coordinator', id, port, [
          ...common,
          '--coordinator.id',
          id,
          '--port',
          String(port),
          ...extra('group-coordinator'),
        ]),
      );
    }
    const cluster = new LocalCluster(
      etcd,
      ownsEtcd,
      clusterName,
      dataRoot,
      ownsDataRoot,
      controllers,
      brokers,
      coordinators,
      kafkaBootstrap,
      brokerNode,
      tokenKeyFile,
      tls,
    );
    try {
      for (const node of cluster.nodes) node.start();
      await Promise.all(cluster.nodes.map((node) => node.waitServing()));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Stops every process (SIGTERM, SIGKILL after the grace period), then etcd and temp data if owned. */
  async stop(): Promise<void> {
    await Promise.all([...this.coordinators, ...this.brokers].map((node) => node.stop()));
    await Promise.all(this.controllers.map((node) => node.stop()));
    if (this.ownsEtcd) await this.etcd.stop();
    if (this.ownsDataRoot) rmSync(this.dataRoot, { recursive: true, force: true });
  }
}
