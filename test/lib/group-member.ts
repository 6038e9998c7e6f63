/**
 * A tiny consumer-group member for integration tests and the groups bench: it speaks the
 * GroupSession protocol exactly as group_coordinator.proto describes (join, heartbeats from a
 * timer, revoke → release → revoke_done, rejoin after a broken stream or NOT_COORDINATOR), keeps
 * its current view of owned partitions, and commits/fetches offsets. It fetches no records.
 *
 * In a test process: `new TestGroupMember(options).start()`. As its own process (so a test can
 * kill -9 it): `spawnMemberProcess(options)`, which prints one JSON line per change of its view.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { fromGrpcError, TributaryError } from '@tributary/errors';
import {
  type CommitOffsetsResponse__Output,
  createClient,
  type FetchOffsetsResponse__Output,
  type GroupCoordinatorServiceClient,
  type GroupSessionRequest,
  type GroupSessionResponse__Output,
} from '@tributary/proto';

export interface TestMemberOptions {
  /** Coordinator addresses to ask FindCoordinator, in turn. */
  coordinators: readonly string[];
  groupId: string;
  topics: readonly string[];
  assignors?: readonly string[];
  instanceId?: string;
  clientId?: string;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  maxPollIntervalMs?: number;
  /** How often the (simulated) application polls, sending poll_progress. @default 250 */
  pollEveryMs?: number;
  /**
   * How `commit` travels by default: `session` = a `commit` message on the GroupSession stream
   * once joined (CommitOffsets while there is none), `call` = always a CommitOffsets call.
   * @default 'session'
   */
  commitVia?: 'session' | 'call';
}

type Stream = ClientDuplexStream<GroupSessionRequest, GroupSessionResponse__Output>;

const tp = (topic: string, partition: number) => `${topic}/${partition}`;
const flatten = (lists: readonly { topic: string; partitions: readonly number[] }[]) =>
  lists.flatMap((l) => l.partitions.map((p) => tp(l.topic, p)));
const group = (keys: Iterable<string>) => {
  const by = new Map<string, number[]>();
  for (const key of keys) {
    const i = key.lastIndexOf('/');
    const topic = key.slice(0, i);
    by.set(topic, [...(by.get(topic) ?? []), Number(key.slice(i + 1))]);
  }
  return [...by].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
};

/** Events: 'joined', 'assignment' ({ generation, partitions }), 'revoke' (partitions), 'lost', 'fatal' (error). */
export class TestGroupMember extends EventEmitter {
  memberId = '';
  generation = -1;
  assignor = '';
  /** The partitions this member may consume now (`topic/partition`). */
  readonly owned = new Set<string>();
  /** Address of the coordinator of the current session. */
  coordinator: string | undefined;
  /** Called with revoked partitions before `revoke_done` (e.g. to commit them). */
  onRevoke: ((partitions: string[]) => Promise<void> | void) | undefined;
  /** While true, heartbeats stop (a hung process); poll progress stops with `stuck`. */
  paused = false;
  stuck = false;
  private stream: Stream | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closing = false;
  private backoffMs = 50;
  private chain: Promise<void> = Promise.resolve();
  /** The stream `joined` arrived on: commits may go on it. */
  private joinedStream: Stream | undefined;
  private lastCommitId = 0;
  /** Commits sent on a stream and not answered yet, by commit id. */
  private readonly sessionCommits = new Map<
    number,
    { stream: Stream; resolve: (r: CommitOffsetsResponse__Output) => void; reject: (e: Error) => void }
  >();
  private readonly clients = new Map<string, GroupCoordinatorServiceClient>();

  constructor(readonly options: TestMemberOptions) {
    super();
    this.on('error', () => undefined);
  }

  /** Connects and joins; resolves at the first assignment. */
  start(): Promise<void> {
    const assigned = new Promise<void>((resolve) => this.once('assignment', () => resolve()));
    void this.connect();
    return assigned;
  }

  /** The FindCoordinator answer from the first coordinator that gives one. */
  async findCoordinator(): Promise<string> {
    let last: Error | undefined;
    for (const address of this.options.coordinators) {
      try {
        const response = await new Promise<{ coordinator: { host: string; port: number } | null }>(
          (resolve, reject) =>
            this.client(address).findCoordinator(
              { groupId: this.options.groupId },
              { deadline: Date.now() + 2000 },
              (err, res) => (err ? reject(fromGrpcError(err)) : resolve(res as never)),
            ),
        );
        if (response.coordinator) return `${response.coordinator.host}:${response.coordinator.port}`;
      } catch (err) {
        last = err as Error;
      }
    }
    throw last ?? new Error('no coordinator answered');
  }

  /**
   * Commits `offsets` (`topic/partition` → next offset) at `generation` (default: the current
   * one): on the session stream (`commitVia`), or as a CommitOffsets call when `via` is 'call',
   * a `memberId` or `address` is given, or no session is joined.
   */
  async commit(
    offsets: Record<string, number>,
    options: { generation?: number; memberId?: string; address?: string; via?: 'session' | 'call' } = {},
  ): Promise<CommitOffsetsResponse__Output> {
    const byTopic = new Map<string, { partition: number; offset: number }[]>();
    for (const [key, offset] of Object.entries(offsets)) {
      const i = key.lastIndexOf('/');
      const topic = key.slice(0, i);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition: Number(key.slice(i + 1)), offset }]);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const via = options.via ?? this.options.commitVia ?? 'session';
    const stream = this.stream;
    if (
      via === 'session' &&
      options.memberId === undefined &&
      options.address === undefined &&
      stream !== undefined &&
      stream === this.joinedStream
    ) {
      this.lastCommitId = (this.lastCommitId + 1) >>> 0;
      const commitId = this.lastCommitId;
      return new Promise((resolve, reject) => {
        this.sessionCommits.set(commitId, { stream, resolve, reject });
        stream.write({ commit: { commitId, generationId: options.generation ?? this.generation, topics } });
      });
    }
    const address = options.address ?? this.coordinator ?? (await this.findCoordinator());
    return new Promise((resolve, reject) =>
      this.client(address).commitOffsets(
        {
          groupId: this.options.groupId,
          memberId: options.memberId ?? this.memberId,
          generationId: options.generation ?? this.generation,
          topics,
        },
        { deadline: Date.now() + 10_000 },
        (err, res) => (err ? reject(fromGrpcError(err)) : resolve(res!)),
      ),
    );
  }

  /** Committed offsets of the group (`topic/partition` → offset, -1 when none). */
  async fetchOffsets(topics: readonly string[] = this.options.topics): Promise<Map<string, number>> {
    const address = this.coordinator ?? (await this.findCoordinator());
    const response = await new Promise<FetchOffsetsResponse__Output>((resolve, reject) =>
      this.client(address).fetchOffsets(
        { groupId: this.options.groupId, topics: topics.map((topic) => ({ topic, partitions: [] })) },
        { deadline: Date.now() + 10_000 },
        (err, res) => (err ? reject(fromGrpcError(err)) : resolve(res!)),
      ),
    );
    const out = new Map<string, number>();
    for (const t of response.topics)
      for (const p of t.partitions) out.set(tp(t.topic, p.partition), Number(p.offset));
    return out;
  }

  /** Sends `leave` and waits for the coordinator to end the stream. */
  async leave(reason = 'test member closed'): Promise<void> {
    this.closing = true;
    this.stopTimers();
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      await new Promise<void>((resolve) => {
        stream.once('end', () => resolve());
        stream.once('error', () => resolve());
        stream.write({ leave: { reason } });
      });
    }
    this.owned.clear();
    this.closeClients();
  }

  /** Drops the stream abruptly (no leave), as a crashed process would; no reconnect. */
  destroy(): void {
    this.closing = true;
    this.stopTimers();
    this.stream?.cancel();
    this.stream = undefined;
    this.closeClients();
  }

  private stopTimers(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.poll);
  }

  private client(address: string): GroupCoordinatorServiceClient {
    let client = this.clients.get(address);
    if (!client) {
      client = createClient('GroupCoordinatorService', address);
      this.clients.set(address, client);
    }
    return client;
  }

  private closeClients(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    let address: string;
    try {
      address = await this.findCoordinator();
    } catch {
      this.reconnectLater();
      return;
    }
    if (this.closing) return;
    this.coordinator = address;
    const stream = this.client(address).groupSession() as Stream;
    this.stream = stream;
    stream.on('data', (message: GroupSessionResponse__Output) => {
      // Not through the chain: a revoke handler awaits its own commit's answer.
      if (message.kind === 'commitResult') {
        this.onCommitResult(message.commitResult!);
        return;
      }
      this.chain = this.chain
        .then(() => this.onMessage(stream, message))
        .catch((err) => {
          this.emit('error', err);
        });
    });
    stream.on('error', () => this.onEnd(stream));
    stream.on('end', () => this.onEnd(stream));
    const o = this.options;
    stream.write({
      join: {
        groupId: o.groupId,
        memberId: this.memberId,
        groupInstanceId: o.instanceId ?? '',
        clientId: o.clientId ?? 'test-member',
        topics: [...o.topics],
        assignors: [...(o.assignors ?? [])],
        sessionTimeoutMs: o.sessionTimeoutMs ?? 0,
        rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 0,
        maxPollIntervalMs: o.maxPollIntervalMs ?? 0,
        ownedPartitions: group(this.owned),
      },
    });
  }

  private onCommitResult(result: NonNullable<GroupSessionResponse__Output['commitResult']>): void {
    const waiting = this.sessionCommits.get(result.commitId);
    if (!waiting) return;
    this.sessionCommits.delete(result.commitId);
    if (result.errorCode !== 0) {
      waiting.reject(TributaryError.fromCode(result.errorCode, result.errorMessage));
    } else {
      waiting.resolve({ topics: result.topics });
    }
  }

  private onEnd(stream: Stream): void {
    // Commits the stream did not answer have no outcome: the caller may commit again.
    for (const [id, waiting] of this.sessionCommits) {
      if (waiting.stream !== stream) continue;
      this.sessionCommits.delete(id);
      waiting.reject(
        new TributaryError('COORDINATOR_NOT_AVAILABLE', 'The session ended before the commit was answered'),
      );
    }
    if (stream !== this.stream) return;
    this.stream = undefined;
    this.stopTimers();
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.closing) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(1000, this.backoffMs * 2);
    setTimeout(() => void this.connect(), delay).unref();
  }

  private async onMessage(stream: Stream, message: GroupSessionResponse__Output): Promise<void> {
    if (stream !== this.stream) return;
    switch (message.kind) {
      case 'joined': {
        const joined = message.joined!;
        this.memberId = joined.memberId;
        this.assignor = joined.assignor;
        this.joinedStream = stream;
        if (this.owned.size === 0) this.generation = joined.generationId;
        this.backoffMs = 50;
        this.stopTimers();
        this.heartbeat = setInterval(() => {
          if (!this.paused && this.stream === stream)
            stream.write({ heartbeat: { generationId: this.generation } });
        }, joined.heartbeatIntervalMs);
        this.heartbeat.unref();
        this.poll = setInterval(() => {
          if (!this.paused && !this.stuck && this.stream === stream) stream.write({ pollProgress: {} });
        }, this.options.pollEveryMs ?? 250);
        this.poll.unref();
        this.emit('joined', joined);
        return;
      }
      case 'assignment': {
        const a = message.assignment!;
        this.generation = a.generationId;
        this.owned.clear();
        for (const key of flatten(a.partitions)) this.owned.add(key);
        this.emit('assignment', { generation: a.generationId, partitions: [...this.owned] });
        return;
      }
      case 'revoke': {
        const r = message.revoke!;
        const partitions = flatten(r.partitions);
        for (const key of partitions) this.owned.delete(key);
        this.emit('revoke', partitions);
        await this.onRevoke?.(partitions);
        stream.write({ revokeDone: { generationId: r.generationId, partitions: r.partitions } });
        return;
      }
      case 'error': {
        const e = message.error!;
        const error = TributaryError.fromCode(e.errorCode, e.errorMessage);
        if (error.errorName === 'UNKNOWN_MEMBER_ID' || error.errorName === 'ILLEGAL_GENERATION') {
          this.owned.clear();
          this.memberId = '';
          this.emit('lost', error);
          return;
        }
        if (!error.retriable) {
          this.closing = true;
          this.emit('fatal', error);
        }
        return;
      }
      default:
        return;
    }
  }
}

/** A member in its own process: prints `{"event","memberId","generation","owned"}` lines. */
export function runMemberProcess(optionsJson: string): void {
  const member = new TestGroupMember(JSON.parse(optionsJson) as TestMemberOptions);
  const report = (event: string) =>
    process.stdout.write(
      `${JSON.stringify({ event, memberId: member.memberId, generation: member.generation, owned: [...member.owned].sort() })}\n`,
    );
  for (const event of ['joined', 'assignment', 'revoke', 'lost']) member.on(event, () => report(event));
  member.on('fatal', (err: Error) => {
    process.stderr.write(`fatal: ${err.message}\n`);
    process.exit(3);
  });
  process.on('SIGTERM', () => void member.leave().then(() => process.exit(0)));
  void member.start();
}

/** The last line a member process reported. */
export interface MemberReport {
  event: string;
  memberId: string;
  generation: number;
  owned: string[];
}

/**
 * Runs a member in a child process (TypeScript compiled on the fly with @swc/core, as jest does);
 * `view()` is its latest report. Workspace packages resolve to their built `dist/`.
 */
export function spawnMemberProcess(options: TestMemberOptions) {
  const hook = [
    "const swc = require('@swc/core'); const fs = require('node:fs');",
    "require.extensions['.ts'] = (m, f) => m._compile(swc.transformSync(fs.readFileSync(f, 'utf8'), { filename: f, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }).code, f);",
    `require(${JSON.stringify(__filename)}).runMemberProcess(process.argv[1]);`,
  ].join('\n');
  const child = spawn(process.execPath, ['-e', hook, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let latest: MemberReport | undefined;
  let partial = '';
  let stderr = '';
  const listeners: ((report: MemberReport) => void)[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      latest = JSON.parse(line) as MemberReport;
      for (const l of listeners) l(latest);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    view: () => latest,
    stderr: () => stderr,
    onReport: (listener: (report: MemberReport) => void) => listeners.push(listener),
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      child.kill(signal);
      await exited;
    },
  };
}
