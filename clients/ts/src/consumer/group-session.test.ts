import * as grpc from '@grpc/grpc-js';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  type CommitOffsetsTopicResponse,
  type GroupSessionRequest__Output,
  type GroupSessionResponse,
  getServiceDefinition,
  SERVER_OPTIONS,
} from '@tributary/proto';
import { startTracing, tracingConfigFromEnv } from '@tributary/telemetry';
import { Cluster } from '../rpc/cluster';
import { GroupSession, type GroupSessionHandler } from './group-session';
import type { TopicPartition } from './types';

type Call = grpc.ServerDuplexStream<GroupSessionRequest__Output, GroupSessionResponse>;

/** An in-process broker (Metadata) and group coordinator (FindCoordinator, GroupSession) to script. */
class FakeCoordinator {
  readonly server = new grpc.Server(SERVER_OPTIONS);
  readonly sessions: Array<{ call: Call; received: GroupSessionRequest__Output[] }> = [];
  private waiters: Array<() => void> = [];
  port = 0;

  async start(): Promise<void> {
    this.server.addService(
      getServiceDefinition('BrokerService') as grpc.ServiceDefinition,
      {
        Metadata: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
          cb(null, {
            clusterId: 'fake',
            brokers: [{ brokerId: 0, host: '127.0.0.1', port: this.port }],
            coordinators: [{ coordinatorId: 0, host: '127.0.0.1', port: this.port }],
            topics: [],
          }),
      } as grpc.UntypedServiceImplementation,
    );
    this.server.addService(
      getServiceDefinition('GroupCoordinatorService') as grpc.ServiceDefinition,
      {
        FindCoordinator: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
          cb(null, { coordinator: { coordinatorId: 0, host: '127.0.0.1', port: this.port } }),
        GroupSession: (call: Call) => {
          const session = { call, received: [] as GroupSessionRequest__Output[] };
          this.sessions.push(session);
          call.on('data', (m: GroupSessionRequest__Output) => {
            session.received.push(m);
            this.wake();
          });
          call.on('end', () => call.end());
          call.on('error', () => {});
          this.wake();
        },
      } as grpc.UntypedServiceImplementation,
    );
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `pred` holds (re-checked on every message and new session). */
  async until<T>(pred: () => T | undefined | false): Promise<T> {
    for (;;) {
      const v = pred();
      if (v !== undefined && v !== false) return v;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** The `kind`s the member sent on session `i`. */
  kinds(i: number): string[] {
    return this.sessions[i]?.received.map((m) => m.kind ?? '') ?? [];
  }

  async stop(): Promise<void> {
    this.server.forceShutdown();
  }
}

const tps = (...ps: number[]) => [{ topic: 't', partitions: ps }];

function recorder() {
  const events: string[] = [];
  let owned: TopicPartition[] = [];
  let release: (() => void) | undefined;
  const handler: GroupSessionHandler & { failures: Error[] } = {
    failures: [],
    assigned: async (gen, partitions) => {
      owned = partitions;
      events.push(`assigned ${gen} ${partitions.map((p) => p.partition).join(',')}`);
    },
    revoked: async (gen, partitions) => {
      events.push(`revoking ${gen} ${partitions.map((p) => p.partition).join(',')}`);
      await new Promise<void>((r) => {
        release = r;
      });
      owned = owned.filter((o) => !partitions.some((p) => p.partition === o.partition));
      events.push('revoked');
    },
    lost: async () => {
      events.push('lost');
      owned = [];
    },
    owned: () => owned,
    failed: (err) => {
      handler.failures.push(err);
    },
  };
  return { events, handler, release: () => release?.() };
}

describe('GroupSession (against a scripted coordinator)', () => {
  let fake: FakeCoordinator;
  let cluster: Cluster;

  beforeEach(async () => {
    fake = new FakeCoordinator();
    await fake.start();
    cluster = new Cluster({
      bootstrap: [`127.0.0.1:${fake.port}`],
      requestTimeoutMs: 5000,
      retry: { retries: 3, initialRetryTimeMs: 10, maxRetryTimeMs: 50 },
    });
  });

  afterEach(async () => {
    cluster.close();
    await fake.stop();
  });

  const config = {
    groupId: 'g',
    groupInstanceId: '',
    clientId: 'c',
    topics: ['t'],
    assignors: ['cooperative-sticky'],
    sessionTimeoutMs: 3000,
    rebalanceTimeoutMs: 3000,
    maxPollIntervalMs: 10_000,
  };

  it('joins, heartbeats on a timer, releases revoked partitions before revoke_done, rejoins after a broken stream', async () => {
    const r = recorder();
    const session = new GroupSession(cluster, config, r.handler);
    const started = session.start();
    const s0 = await fake.until(() => fake.sessions[0]);
    await fake.until(() => s0.received[0]?.kind === 'join');
    // Not traced (no tracer provider): no trace context on the wire.
    expect(s0.received[0]!.join!.traceContext ?? undefined).toBeUndefined();
    expect(s0.received[0]!.join).toMatchObject({
      groupId: 'g',
      memberId: '',
      topics: ['t'],
      assignors: ['cooperative-sticky'],
    });
    s0.call.write({
      joined: { memberId: 'm-1', generationId: 0, assignor: 'cooperative-sticky', heartbeatIntervalMs: 20 },
    });
    s0.call.write({ assignment: { generationId: 1, partitions: tps(0, 1, 2) } });
    await started;
    expect(session.memberId).toBe('m-1');
    expect(session.generationId).toBe(1);
    await fake.until(() => fake.kinds(0).filter((k) => k === 'heartbeat').length >= 2);
    expect(s0.received.find((m) => m.kind === 'heartbeat')!.heartbeat).toEqual({ generationId: 1 });

    // Revoke: revoke_done only after the consumer has released the partition.
    s0.call.write({ revoke: { generationId: 1, partitions: tps(2) } });
    await fake.until(() => r.events.includes('revoking 1 2'));
    expect(fake.kinds(0)).not.toContain('revokeDone');
    r.release();
    await fake.until(() => fake.kinds(0).includes('revokeDone'));
    expect(s0.received.find((m) => m.kind === 'revokeDone')!.revokeDone).toEqual({
      generationId: 1,
      partitions: tps(2),
    });
    s0.call.write({ assignment: { generationId: 2, partitions: tps(0, 1) } });
    await fake.until(() => r.events.includes('assigned 2 0,1'));

    // The stream breaks (coordinator restart): the member rejoins with its id and owned partitions.
    s0.call.emit('error', new Error('gone'));
    s0.call.destroy();
    const s1 = await fake.until(() => fake.sessions[1]);
    await fake.until(() => s1.received[0]?.kind === 'join');
    expect(s1.received[0]!.join).toMatchObject({ memberId: 'm-1', ownedPartitions: tps(0, 1) });

    await session.leave('test');
    expect(r.handler.failures).toEqual([]);
  });

  it('UNKNOWN_MEMBER_ID: partitions are lost and the member rejoins with an empty id', async () => {
    const r = recorder();
    const session = new GroupSession(cluster, config, r.handler);
    const started = session.start();
    const s0 = await fake.until(() => fake.sessions[0]);
    await fake.until(() => s0.received.length > 0);
    s0.call.write({
      joined: { memberId: 'm-1', generationId: 0, assignor: 'range', heartbeatIntervalMs: 1000 },
    });
    s0.call.write({ assignment: { generationId: 1, partitions: tps(0) } });
    await started;
    s0.call.write({ error: { errorCode: 25, errorMessage: 'removed: session timeout' } });
    const s1 = await fake.until(() => fake.sessions[1]);
    await fake.until(() => s1.received[0]?.kind === 'join');
    expect(r.events).toContain('lost');
    expect(s1.received[0]!.join).toMatchObject({ memberId: '', ownedPartitions: [] });
    await session.leave('test');
  });

  it('commits on the stream once joined: results matched by commit id, even during a revoke; undefined when it cannot answer', async () => {
    const r = recorder();
    const session = new GroupSession(cluster, config, r.handler);
    const started = session.start();
    const s0 = await fake.until(() => fake.sessions[0]);
    await fake.until(() => s0.received.length > 0);
    // Before `joined` nothing may go on the stream: the caller uses CommitOffsets.
    await expect(session.commit(0, [])).resolves.toBeUndefined();
    s0.call.write({
      joined: { memberId: 'm-1', generationId: 0, assignor: 'range', heartbeatIntervalMs: 1000 },
    });
    s0.call.write({ assignment: { generationId: 1, partitions: tps(0, 1) } });
    await started;

    // Answered in the other order than sent; each result goes to its own commit.
    const topics = (p: number, offset: number) => [
      { topic: 't', partitions: [{ partition: p, offset, metadata: '' }] },
    ];
    const first = session.commit(1, topics(0, 5));
    const second = session.commit(1, topics(1, 6));
    const commits = await fake.until(() => {
      const sent = s0.received.filter((m) => m.kind === 'commit');
      return sent.length === 2 && sent;
    });
    expect(commits.map((m) => m.commit!.generationId)).toEqual([1, 1]);
    const [a, b] = commits.map((m) => m.commit!.commitId);
    expect(a).not.toBe(b);
    const ok = (p: number): CommitOffsetsTopicResponse[] => [
      { topic: 't', partitions: [{ partition: p, errorCode: 0, errorMessage: '' }] },
    ];
    s0.call.write({ commitResult: { commitId: b, topics: ok(1) } });
    // A refusal rejects with the error; the session goes on.
    s0.call.write({ commitResult: { commitId: a, errorCode: 27, errorMessage: 'rebalancing' } });
    await expect(second).resolves.toMatchObject({ topics: ok(1) });
    await expect(first).rejects.toMatchObject({ errorName: 'REBALANCE_IN_PROGRESS' });

    // During a revoke (the message chain is held by the revoke handler) results still arrive.
    s0.call.write({ revoke: { generationId: 1, partitions: tps(1) } });
    await fake.until(() => r.events.includes('revoking 1 1'));
    const duringRevoke = session.commit(1, topics(1, 7));
    const sent = await fake.until(() => s0.received.filter((m) => m.kind === 'commit')[2]);
    s0.call.write({ commitResult: { commitId: sent.commit!.commitId, topics: ok(1) } });
    await expect(duringRevoke).resolves.toMatchObject({ topics: ok(1) });
    r.release();
    await fake.until(() => fake.kinds(0).includes('revokeDone'));

    // A commit the stream did not answer before it broke has no outcome: undefined.
    const unanswered = session.commit(1, topics(0, 8));
    await fake.until(() => s0.received.filter((m) => m.kind === 'commit').length === 4);
    s0.call.emit('error', new Error('gone'));
    s0.call.destroy();
    await expect(unanswered).resolves.toBeUndefined();
    await session.leave('test');
    expect(r.handler.failures).toEqual([]);
  });

  it('a non-retriable join error rejects start() and reports the failure', async () => {
    const r = recorder();
    const session = new GroupSession(cluster, config, r.handler);
    const started = session.start();
    const s0 = await fake.until(() => fake.sessions[0]);
    await fake.until(() => s0.received.length > 0);
    s0.call.write({ error: { errorCode: 23, errorMessage: 'no common assignor' } });
    s0.call.end();
    await expect(started).rejects.toMatchObject({ errorName: 'INCONSISTENT_GROUP_PROTOCOL' });
    expect(r.handler.failures).toHaveLength(1);
    await session.leave('test');
  });

  it('traces each membership change as a `join <group>` span, join → assignment, with the group name', async () => {
    trace.disable();
    context.disable();
    propagation.disable();
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing(tracingConfigFromEnv({ OTEL_TRACES_SAMPLER: 'always_on' }, 'unit'), {
      exporter,
    });
    try {
      const r = recorder();
      const activeInAssigned: unknown[] = [];
      const assigned = r.handler.assigned;
      r.handler.assigned = (gen, partitions) => {
        activeInAssigned.push(trace.getSpan(context.active()));
        return assigned(gen, partitions);
      };
      const session = new GroupSession(cluster, config, r.handler);
      const app = trace.getTracer('app').startSpan('subscribe');
      const started = context.with(trace.setSpan(context.active(), app), () => session.start());
      const s0 = await fake.until(() => fake.sessions[0]);
      await fake.until(() => s0.received[0]?.kind === 'join');
      expect(exporter.getFinishedSpans().filter((s) => s.name === 'join g')).toHaveLength(0);
      s0.call.write({
        joined: { memberId: 'm-1', generationId: 0, assignor: 'range', heartbeatIntervalMs: 1000 },
      });
      s0.call.write({ assignment: { generationId: 1, partitions: tps(0, 1, 2) } });
      await started;
      app.end();
      // The consumer's work after the assignment is not part of the join's trace.
      expect(activeInAssigned).toEqual([undefined]);
      const [first] = exporter.getFinishedSpans().filter((s) => s.name === 'join g');
      expect(first!.kind).toBe(SpanKind.CLIENT);
      expect(first!.parentSpanContext?.spanId).toBe(app.spanContext().spanId);
      expect(first!.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.consumer.group.name': 'g',
        'messaging.operation.name': 'join',
        'tributary.group.join_reason': 'join',
        'tributary.group.member_id': 'm-1',
        'tributary.group.generation_id': 1,
        'tributary.group.assigned_partitions': 3,
      });
      expect(first!.events.map((e) => e.name)).toEqual(['joined']);
      // The join message carries the span's context: the coordinator's spans are its children.
      const { traceId, spanId } = first!.spanContext();
      expect(s0.received[0]!.join!.traceContext).toMatchObject({ traceparent: `00-${traceId}-${spanId}-01` });

      // A rebalance another member started: revoke → revoke_done → assignment is one span.
      s0.call.write({ revoke: { generationId: 1, partitions: tps(2) } });
      await fake.until(() => r.events.includes('revoking 1 2'));
      r.release();
      await fake.until(() => fake.kinds(0).includes('revokeDone'));
      s0.call.write({ assignment: { generationId: 2, partitions: tps(0, 1) } });
      await fake.until(() => r.events.includes('assigned 2 0,1'));
      const joins = exporter.getFinishedSpans().filter((s) => s.name === 'join g');
      expect(joins).toHaveLength(2);
      expect(joins[1]!.parentSpanContext).toBeUndefined();
      expect(joins[1]!.attributes).toMatchObject({
        'tributary.group.join_reason': 'rebalance',
        'tributary.group.generation_id': 2,
        'tributary.group.assigned_partitions': 2,
      });
      expect(joins[1]!.events.map((e) => e.name)).toEqual(['revoked']);
      await session.leave('test');
    } finally {
      await tracing.shutdown();
      trace.disable();
    }
  });
});
