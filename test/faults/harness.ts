/**
 * The fault suite's cluster: a 3-member etcd, 2 controllers, 3 brokers and 2 group coordinators,
 * every process in its own network namespace (namespaces.ts), every broker's data dir on its own
 * small tmpfs (so a disk can fill up). Services bind and advertise their namespace's address;
 * processes are real (`node services/<kind>/dist/main.js`, Debian's etcd), so kill -9, SIGSTOP
 * and SIGCONT reach the process itself (`ip netns exec` execs, it does not fork).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectEtcd,
  type EtcdConnection,
  isControllerRegistration,
  isGroupCoordinatorRecord,
  isPartitionState,
  keys,
  type PartitionState,
  parseRecord,
} from '@tributary/registry';
import { checkHealth, etcdHealthy, findEtcd, ManagedProcess, repoRoot, waitFor } from '@tributary/test-kit';
import {
  checkNamespacesAvailable,
  createBridge,
  Namespace,
  removeBridge,
  removeLeftovers,
  restoreClientLink,
} from './namespaces';

export type Role = 'etcd' | 'controller' | 'broker' | 'group-coordinator';

/** Ports inside each namespace (every service has its own address, so they never collide). */
const PORTS: Record<Role, number> = {
  etcd: 14379,
  controller: 14190,
  broker: 14092,
  'group-coordinator': 14290,
};
const ETCD_PEER_PORT = 14380;

/** One process of the cluster in its namespace; `start()` again restarts it after a kill. */
export class ClusterProcess {
  process: ManagedProcess | undefined;
  paused = false;

  constructor(
    readonly role: Role,
    readonly id: string,
    readonly ns: Namespace,
    private readonly command: string,
    private readonly args: readonly string[],
  ) {}

  get port(): number {
    return PORTS[this.role];
  }

  get address(): string {
    return `${this.ns.address}:${this.port}`;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  get label(): string {
    return `${this.role} ${this.id}`;
  }

  start(): void {
    if (this.running) throw new Error(`${this.label} is already running`);
    const [cmd, argv] = this.ns.wrap(this.command, this.args);
    this.process = new ManagedProcess(this.label, cmd, argv, {
      env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env['ETCD_UNSUPPORTED_ARCH'] ?? '' },
    });
    this.paused = false;
  }

  /** kill -9, and waits until the process is gone. */
  async kill(): Promise<void> {
    if (!this.process?.running) return;
    this.process.signal('SIGKILL');
    await this.process.waitForExit();
    this.paused = false;
  }

  pause(): void {
    this.process?.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.process?.signal('SIGCONT');
    this.paused = false;
  }

  /** Waits until the process answers its health check (grpc.health.v1, or etcd's /health). */
  async waitServing(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running)
          throw new Error(`${this.label} is not running: ${this.process?.stderr.slice(-1500)}`);
        if (this.role === 'etcd') return etcdHealthy(`http://${this.address}`);
        return (await checkHealth(this.address)) === 'SERVING';
      },
      { timeoutMs, intervalMs: 200, description: `${this.label} at ${this.address} to serve` },
    );
  }

  async stop(): Promise<void> {
    await this.process?.stop(5000);
  }
}

export interface FaultClusterOptions {
  leaseTtlSeconds: number;
  /** Size of each broker's data tmpfs, in MiB. */
  brokerDiskMiB: number;
  /** Extra broker flags (e.g. a short retention check interval). */
  brokerArgs: readonly string[];
}

/** The whole cluster in namespaces, plus an etcd connection (from the root namespace) to inspect it. */
export class FaultCluster {
  private etcdClient: EtcdConnection | undefined;

  private constructor(
    readonly clusterName: string,
    readonly root: string,
    readonly etcd: ClusterProcess[],
    readonly controllers: ClusterProcess[],
    readonly brokers: ClusterProcess[],
    readonly coordinators: ClusterProcess[],
    readonly brokerDataDirs: string[],
  ) {}

  get all(): ClusterProcess[] {
    return [...this.etcd, ...this.controllers, ...this.brokers, ...this.coordinators];
  }

  get etcdEndpoints(): string[] {
    return this.etcd.map((e) => `http://${e.address}`);
  }

  get bootstrap(): string[] {
    return this.brokers.map((b) => b.address);
  }

  /** Builds the namespaces, mounts the broker disks and starts everything; waits until all serve. */
  static async start(options: FaultClusterOptions): Promise<FaultCluster> {
    checkNamespacesAvailable();
    const etcdBinary = findEtcd();
    removeLeftovers();
    createBridge();
    const root = mkdtempSync(join(tmpdir(), 'trf-faults-'));
    const node = (kind: string) =>
      [process.execPath, join(repoRoot, 'services', kind, 'dist', 'main.js')] as const;

    const etcdNs = [0, 1, 2].map((i) => new Namespace(`etcd${i}`, 11 + i));
    const initialCluster = etcdNs.map((ns, i) => `etcd${i}=http://${ns.address}:${ETCD_PEER_PORT}`).join(',');
    const etcd = etcdNs.map((ns, i) => {
      const client = `http://${ns.address}:${PORTS.etcd}`;
      const peer = `http://${ns.address}:${ETCD_PEER_PORT}`;
      return new ClusterProcess('etcd', `etcd${i}`, ns, etcdBinary, [
        `--name=etcd${i}`,
        `--data-dir=${join(root, `etcd${i}`)}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=${root}`,
        '--log-level=error',
        '--logger=zap',
      ]);
    });
    const endpoints = etcd.map((e) => `http://${e.address}`).join(',');
    const clusterName = `faults-${Date.now().toString(36)}`;
    const common = (ns: Namespace, role: Role) => [
      '--etcd.endpoints',
      endpoints,
      '--cluster.name',
      clusterName,
      '--lease.ttl.seconds',
      String(options.leaseTtlSeconds),
      '--host',
      ns.address,
      '--port',
      String(PORTS[role]),
      '--log.level',
      'warn',
    ];
    const controllers = [0, 1].map((i) => {
      const ns = new Namespace(`ctl${i}`, 21 + i);
      const [cmd, main] = node('controller');
      return new ClusterProcess('controller', `controller-${i}`, ns, cmd, [
        main,
        ...common(ns, 'controller'),
        '--controller.id',
        `controller-${i}`,
      ]);
    });
    const brokerDataDirs: string[] = [];
    const brokers = [0, 1, 2].map((i) => {
      const ns = new Namespace(`b${i}`, 31 + i);
      const dataDir = join(root, `broker-${i}`);
      brokerDataDirs.push(dataDir);
      const [cmd, main] = node('broker');
      return new ClusterProcess('broker', String(i), ns, cmd, [
        main,
        ...common(ns, 'broker'),
        '--broker.id',
        String(i),
        '--data.dir',
        dataDir,
        ...options.brokerArgs,
      ]);
    });
    const coordinators = [0, 1].map((i) => {
      const ns = new Namespace(`gc${i}`, 41 + i);
      const [cmd, main] = node('group-coordinator');
      return new ClusterProcess('group-coordinator', `coordinator-${i}`, ns, cmd, [
        main,
        ...common(ns, 'group-coordinator'),
        '--coordinator.id',
        `coordinator-${i}`,
      ]);
    });
    const cluster = new FaultCluster(
      clusterName,
      root,
      etcd,
      controllers,
      brokers,
      coordinators,
      brokerDataDirs,
    );
    try {
      for (const p of cluster.all) p.ns.create();
      for (const dir of brokerDataDirs) {
        mkdirSync(dir, { recursive: true });
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${options.brokerDiskMiB}m`, 'tmpfs', dir]);
      }
      for (const e of etcd) e.start();
      await Promise.all(etcd.map((e) => e.waitServing()));
      cluster.etcdClient = await connectEtcd({ endpoints: cluster.etcdEndpoints, clusterName });
      for (const p of [...controllers, ...brokers, ...coordinators]) p.start();
      await Promise.all(cluster.all.map((p) => p.waitServing()));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The etcd connection (root namespace) used to find leaders and owners. */
  get registry(): EtcdConnection {
    if (!this.etcdClient) throw new Error('the cluster is not started');
    return this.etcdClient;
  }

  /** The controller holding the `controller` key. */
  async activeController(): Promise<ClusterProcess> {
    const raw = await this.registry.ns.get(keys.controllerKey()).buffer();
    if (!raw) throw new Error('no active controller');
    const record = parseRecord(keys.controllerKey(), raw, isControllerRegistration);
    return this.byId(this.controllers, record.id);
  }

  /** The coordinator that owns `group`. */
  async groupCoordinator(group: string): Promise<ClusterProcess> {
    const key = keys.groupCoordinatorKey(group);
    const raw = await this.registry.ns.get(key).buffer();
    if (!raw) throw new Error(`group ${group} has no coordinator`);
    return this.byId(this.coordinators, parseRecord(key, raw, isGroupCoordinatorRecord).coordinatorId);
  }

  /** Each partition's state (leader, epoch, ISR) as the controller last wrote it. */
  async partitionStates(topic: string): Promise<Map<number, PartitionState>> {
    const kvs = (await this.registry.ns.getAll().prefix(keys.partitionsPrefix(topic)).exec()).kvs;
    const states = new Map<number, PartitionState>();
    for (const kv of kvs) {
      const key = kv.key.toString();
      states.set(Number(key.slice(key.lastIndexOf('/') + 1)), parseRecord(key, kv.value, isPartitionState));
    }
    return states;
  }

  /** The broker leading `partition` of `topic`. */
  async leaderOf(topic: string, partition: number): Promise<ClusterProcess> {
    const state = (await this.partitionStates(topic)).get(partition);
    if (!state || state.leader < 0) throw new Error(`${topic}/${partition} has no leader`);
    return this.byId(this.brokers, String(state.leader));
  }

  /** The etcd member that is raft leader, asked of the members through etcd's JSON gateway. */
  async etcdLeader(): Promise<ClusterProcess> {
    for (const member of this.etcd) {
      if (!member.running || member.paused) continue;
      try {
        const res = await fetch(`http://${member.address}/v3/maintenance/status`, {
          method: 'POST',
          body: '{}',
          signal: AbortSignal.timeout(2000),
        });
        const status = (await res.json()) as { leader?: string; header?: { member_id?: string } };
        if (status.leader === undefined) continue;
        if (status.leader === status.header?.member_id) return member;
        // Not the leader itself: ask the others.
      } catch {
        // unreachable member: try the next
      }
    }
    throw new Error('no etcd member reports itself leader');
  }

  private byId(list: ClusterProcess[], id: string): ClusterProcess {
    const found = list.find((p) => p.id === id);
    if (!found) throw new Error(`no process with id ${id}`);
    return found;
  }

  /**
   * Undoes every fault: resumes paused processes, restarts dead ones, restores links and
   * routes, and waits until everything serves again.
   */
  async heal(): Promise<void> {
    restoreClientLink();
    for (const p of this.all) {
      p.ns.setLink(true);
      p.ns.clearBlackholes();
      if (p.paused) p.resume();
    }
    for (const p of this.all) if (!p.running) p.start();
    await Promise.all(this.all.map((p) => p.waitServing(60_000)));
    // Serving is not enough: a process whose lease expired must register again.
    let missing: string[] = [];
    try {
      await waitFor(
        async () => {
          missing = await this.unregistered();
          return missing.length === 0;
        },
        { timeoutMs: 30_000, intervalMs: 250, description: 'every service registered in etcd' },
      );
    } catch {
      throw new Error(`not registered in etcd 30 s after healing: ${missing.join(', ')}`);
    }
  }

  /** Services that serve but hold no registration in etcd (brokers, coordinators, a controller). */
  async unregistered(): Promise<string[]> {
    const ns = this.registry.ns;
    const missing: string[] = [];
    for (const b of this.brokers)
      if ((await ns.get(keys.brokerKey(Number(b.id))).buffer()) === null) missing.push(b.label);
    for (const c of this.coordinators)
      if ((await ns.get(keys.coordinatorKey(c.id)).buffer()) === null) missing.push(c.label);
    if ((await ns.get(keys.controllerKey()).buffer()) === null) missing.push('an active controller');
    return missing;
  }

  /** Stops every process, unmounts the disks and removes namespaces, the bridge and temp data. */
  async stop(): Promise<void> {
    this.etcdClient?.close();
    await Promise.all([...this.coordinators, ...this.brokers, ...this.controllers].map((p) => p.stop()));
    await Promise.all(this.etcd.map((p) => p.stop()));
    for (const dir of this.brokerDataDirs) {
      try {
        execFileSync('umount', [dir], { stdio: 'ignore' });
      } catch {
        // never mounted
      }
    }
    for (const p of this.all) p.ns.destroy();
    removeBridge();
    rmSync(this.root, { recursive: true, force: true });
  }
}
