/**
 * The client's view of the cluster for admin and group calls: gRPC clients per address, the
 * latest `Metadata` answer (any broker; bootstrap addresses first tried in order), and calls
 * routed to the active controller and to a group's coordinator, following NOT_CONTROLLER and
 * NOT_COORDINATOR with a bounded, backed-off retry. The produce/fetch data plane has its own
 * connection and leader handling (src/internal).
 */

import * as grpc from '@grpc/grpc-js';
import { InvalidConfigError, TributaryError } from '@tributary/errors';
import {
  type BrokerServiceClient,
  type ClientTlsOptions,
  type ControllerServiceClient,
  createClient,
  type GroupCoordinatorServiceClient,
  type MetadataResponse__Output,
  type TokenSource,
} from '@tributary/proto';
import { Attr } from '@tributary/telemetry';
import { type RetryPolicy, retry } from '../internal/retry';
import { probeTransport } from '../internal/transport-probe';
import { type RetryOptions, retryWithDefaults } from '../options';
import { traceCall } from '../telemetry/call-tracing';
import { unary } from './unary';

/** What the cluster helpers need from the client's options. */
export interface ClusterSettings {
  bootstrap: readonly string[];
  requestTimeoutMs: number;
  /** The retry policy; unset fields take the defaults of `retryWithDefaults`. */
  retry?: RetryOptions;
  /** Transport of every call (`ResolvedClientOptions.credentials`). @default plaintext */
  credentials?: grpc.ChannelCredentials;
  /** The files behind `credentials`, to tell a transport mismatch from a broker that is down. */
  tls?: ClientTlsOptions;
  /** The bearer token of every call, if any. */
  token?: TokenSource;
}

type AnyClient = BrokerServiceClient | ControllerServiceClient | GroupCoordinatorServiceClient;

const CONTROLLER_ERRORS = new Set(['NOT_CONTROLLER', 'BROKER_NOT_AVAILABLE']);
const COORDINATOR_ERRORS = new Set([
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'BROKER_NOT_AVAILABLE',
]);

export class Cluster {
  private readonly clients = new Map<string, AnyClient>();
  private metadataCache: MetadataResponse__Output | undefined;
  /** Metadata requests on the wire, by their topics (`metadata`). */
  private readonly metadataInFlight = new Map<string, Promise<MetadataResponse__Output>>();
  private readonly coordinators = new Map<string, string>();
  private closed = false;
  /** The retry policy every call through this cluster follows. */
  readonly retry: RetryPolicy;
  /** The transport of every client this cluster makes. */
  readonly credentials: grpc.ChannelCredentials;

  constructor(readonly settings: ClusterSettings) {
    this.retry = retryWithDefaults(settings.retry);
    this.credentials = settings.credentials ?? grpc.credentials.createInsecure();
    if (settings.bootstrap.length === 0) {
      throw new TributaryError('INVALID_CONFIG', 'bootstrap must name at least one broker (host:port)');
    }
  }

  broker(address: string): BrokerServiceClient {
    return this.client('BrokerService', address) as BrokerServiceClient;
  }

  controllerClient(address: string): ControllerServiceClient {
    return this.client('ControllerService', address) as ControllerServiceClient;
  }

  coordinatorClient(address: string): GroupCoordinatorServiceClient {
    return this.client('GroupCoordinatorService', address) as GroupCoordinatorServiceClient;
  }

  private client(
    service: 'BrokerService' | 'ControllerService' | 'GroupCoordinatorService',
    address: string,
  ) {
    if (this.closed) throw new TributaryError('BROKER_NOT_AVAILABLE', 'The client is closed.');
    const key = `${service}/${address}`;
    let c = this.clients.get(key);
    if (c === undefined) {
      c = createClient(service, address, {
        credentials: this.credentials,
        ...(this.settings.token ? { token: this.settings.token } : {}),
      });
      this.clients.set(key, c);
    }
    return c;
  }

  get timeoutMs(): number {
    return this.settings.requestTimeoutMs;
  }

  /** Addresses to ask for metadata: known live brokers, then the bootstrap list. */
  private metadataAddresses(): string[] {
    const known = (this.metadataCache?.brokers ?? []).map((b) => `${b.host}:${b.port}`);
    return [...new Set([...this.settings.bootstrap, ...known])];
  }

  /**
   * Asks brokers for metadata (the first that answers wins); `topics` empty = every topic. A call
   * for the same topics as one still on the wire shares its answer (read-only, as every caller
   * uses it): at 10,000 partitions an answer is ~230 KB that costs the broker and the client tens
   * of milliseconds each, and a group's members in one client asked for it together at every
   * step of their start (their offset lookups, then their fetchers; docs/scale.md, ninth round).
   * The shared answer may have left the broker up to one round trip before the later call was
   * made; a leadership error seen meanwhile is met as any stale answer is (the partition's
   * backoff, then a new request), as a LeaderCache's own concurrent refreshes share one request.
   */
  metadata(topics: readonly string[] = []): Promise<MetadataResponse__Output> {
    const key = topics.join('\u0000');
    const inFlight = this.metadataInFlight.get(key);
    if (inFlight !== undefined) return inFlight;
    const request = this.fetchMetadata(topics).finally(() => this.metadataInFlight.delete(key));
    this.metadataInFlight.set(key, request);
    return request;
  }

  private async fetchMetadata(topics: readonly string[]): Promise<MetadataResponse__Output> {
    return retry(this.retry, async () => {
      let last: unknown;
      for (const address of this.metadataAddresses()) {
        try {
          const res = await unary<MetadataResponse__Output>(
            (cb, deadline) => this.broker(address).Metadata({ topics: [...topics] }, { deadline }, cb),
            this.timeoutMs,
          );
          if (topics.length === 0 || this.metadataCache === undefined) this.metadataCache = res;
          else this.metadataCache = { ...res, topics: this.metadataCache.topics };
          return res;
        } catch (err) {
          last = err;
          // Any broker answers Metadata: one that is down or hung (a timeout) sends us to the next.
          if (!(err instanceof TributaryError) || !err.retriable) throw err;
        }
      }
      // Nobody answered: if that is this client's TLS settings, say so now rather than retry.
      const mismatch = await probeTransport(this.metadataAddresses()[0]!, this.settings.tls);
      if (mismatch !== undefined) throw new InvalidConfigError('tls', mismatch);
      throw last instanceof TributaryError
        ? new TributaryError(
            'BROKER_NOT_AVAILABLE',
            `No broker answered at ${this.metadataAddresses().join(', ')}: ${last.message}`,
            { cause: last },
          )
        : last;
    });
  }

  /** The latest metadata, fetched if none yet. */
  async cachedMetadata(): Promise<MetadataResponse__Output> {
    return this.metadataCache ?? (await this.metadata());
  }

  /** Calls the active controller, following NOT_CONTROLLER through fresh metadata. */
  async controller<T>(call: (client: ControllerServiceClient, deadline: Date) => Promise<T>): Promise<T> {
    return traceCall('controller', {}, () => this.callController(call));
  }

  private async callController<T>(
    call: (client: ControllerServiceClient, deadline: Date) => Promise<T>,
  ): Promise<T> {
    let md = await this.cachedMetadata();
    return retry(
      this.retry,
      async () => {
        const c = md.controller;
        if (c === null || c === undefined || c.port === 0) {
          md = await this.metadata();
          const again = md.controller;
          if (again === null || again === undefined || again.port === 0) {
            throw new TributaryError('NOT_CONTROLLER', 'No active controller (an election is in progress).');
          }
        }
        const active = md.controller!;
        return call(
          this.controllerClient(`${active.host}:${active.port}`),
          new Date(Date.now() + this.timeoutMs),
        );
      },
      {
        beforeRetry: async (err) => {
          if (CONTROLLER_ERRORS.has(err.errorName)) md = await this.metadata();
        },
      },
    );
  }

  /** The address of the coordinator that owns `groupId` (FindCoordinator on any coordinator). */
  async findCoordinator(groupId: string, refresh = false): Promise<string> {
    const cached = this.coordinators.get(groupId);
    if (cached !== undefined && !refresh) return cached;
    let md = await this.cachedMetadata();
    if (md.coordinators.length === 0 || refresh) md = await this.metadata();
    if (md.coordinators.length === 0) {
      throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'The cluster has no live group coordinator.');
    }
    let last: unknown;
    for (const c of md.coordinators) {
      try {
        const res = await unary<{ coordinator: { host: string; port: number } | null }>(
          (cb, deadline) =>
            this.coordinatorClient(`${c.host}:${c.port}`).FindCoordinator({ groupId }, { deadline }, cb),
          this.timeoutMs,
        );
        if (res.coordinator === null) throw new TributaryError('COORDINATOR_NOT_AVAILABLE');
        const address = `${res.coordinator.host}:${res.coordinator.port}`;
        this.coordinators.set(groupId, address);
        return address;
      } catch (err) {
        last = err;
        if (!(err instanceof TributaryError) || !err.retriable) throw err;
      }
    }
    throw last;
  }

  /** Any live coordinator (for ListGroups). */
  async anyCoordinator(): Promise<GroupCoordinatorServiceClient> {
    let md = await this.cachedMetadata();
    if (md.coordinators.length === 0) md = await this.metadata();
    const c = md.coordinators[0];
    if (c === undefined) {
      throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'The cluster has no live group coordinator.');
    }
    return this.coordinatorClient(`${c.host}:${c.port}`);
  }

  /** Calls the coordinator of `groupId`, finding it again after NOT_COORDINATOR and the like. */
  async group<T>(
    groupId: string,
    call: (client: GroupCoordinatorServiceClient, deadline: Date) => Promise<T>,
  ): Promise<T> {
    return traceCall('group coordinator', { [Attr.consumerGroup]: groupId }, () =>
      this.callGroup(groupId, call),
    );
  }

  private async callGroup<T>(
    groupId: string,
    call: (client: GroupCoordinatorServiceClient, deadline: Date) => Promise<T>,
  ): Promise<T> {
    let refresh = false;
    return retry(
      this.retry,
      async () => {
        const address = await this.findCoordinator(groupId, refresh);
        refresh = false;
        return call(this.coordinatorClient(address), new Date(Date.now() + this.timeoutMs));
      },
      {
        beforeRetry: (err) => {
          if (COORDINATOR_ERRORS.has(err.errorName)) refresh = true;
        },
      },
    );
  }

  /** Closes every gRPC client. */
  close(): void {
    this.closed = true;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
