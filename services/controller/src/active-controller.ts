/**
 * The controller while it is active: from election to resignation, one instance per epoch.
 *
 * On start it rebuilds its view of the cluster from etcd (a MetadataView snapshot of brokers,
 * coordinators, topics, partitions and deletion acknowledgements) and runs a full pass that
 * finishes whatever its predecessor left half done: missing partition keys of a topic being
 * created, topics marked for deletion, partitions whose leader is gone. Afterwards, watch events
 * mark topics dirty (or everything, for a broker coming or going) and a pass runs for what is
 * dirty: one election for a broker's every partition is one pass, written in a few parallel
 * batched txns. Each pass also completes the partition reassignments whose target replicas are
 * all in sync (reassignments.ts), whoever started them.
 *
 * Every pass and every admin mutation runs on one serial queue, so decisions never race each
 * other inside this process; writes are still guarded (epoch + revisions) against everything
 * outside it. A write that finds the epoch gone (FencedError) makes the controller step down via
 * `onFenced`: it never retries with a stale epoch.
 */
import { MetadataView, type Namespace } from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';
import { Leadership } from './leadership';
import { FencedError, MetadataWriter } from './metadata-writer';
import { ProducerIds } from './producer-ids';
import { Reassignments } from './reassignments';
import { SerialQueue } from './serial-queue';
import { TopicAdmin } from './topic-admin';
import { TopicLifecycle } from './topic-lifecycle';

export interface ActiveControllerOptions {
  readonly autoPreferredElection: boolean;
  /** Full leadership pass (preferred leaders back, anything missed) at this interval. */
  readonly leaderCheckIntervalMs: number;
  readonly deletionTimeoutMs: number;
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly producerIdBlockSize: number;
  /** The epoch is over: step down. */
  readonly onFenced: (reason: string) => void;
  /** Told how many partition leaders a write round elected (metrics). */
  readonly onLeadersElected?: (count: number) => void;
}

export class ActiveController {
  readonly view: MetadataView;
  readonly writer: MetadataWriter;
  readonly leadership: Leadership;
  readonly lifecycle: TopicLifecycle;
  readonly topics: TopicAdmin;
  readonly producerIds: ProducerIds;
  readonly reassignments: Reassignments;
  private readonly queue = new SerialQueue();
  private readonly dirty = { all: false, topics: new Set<string>() };
  private readonly timers = new Set<NodeJS.Timeout>();
  private scheduled = false;
  private stopped = false;
  private readyPromise: Promise<void> | undefined;

  constructor(
    ns: Namespace,
    readonly epoch: number,
    private readonly logger: Logger,
    private readonly options: ActiveControllerOptions,
  ) {
    this.view = new MetadataView(ns, {
      sections: ['brokers', 'coordinators', 'controller', 'topics', 'partitions', 'deletions'],
      onError: (err) => logger.warn({ err: err.message }, 'metadata watch error'),
    });
    this.writer = new MetadataWriter(ns, epoch);
    this.leadership = new Leadership(this.view, this.writer, logger.child({ component: 'leadership' }), {
      autoPreferred: options.autoPreferredElection,
      ...(options.onLeadersElected ? { onLeadersElected: options.onLeadersElected } : {}),
    });
    this.lifecycle = new TopicLifecycle(this.view, this.writer, logger.child({ component: 'topics' }), {
      deletionTimeoutMs: options.deletionTimeoutMs,
      recheck: (topic, afterMs) => this.later(afterMs, () => this.markDirty(topic)),
    });
    this.topics = new TopicAdmin(
      this.view,
      this.writer,
      this.lifecycle,
      logger.child({ component: 'admin' }),
      {
        defaultPartitions: options.defaultPartitions,
        defaultReplicationFactor: options.defaultReplicationFactor,
        touch: (topic) => this.markDirty(topic),
      },
    );
    this.producerIds = new ProducerIds(this.writer, options.producerIdBlockSize);
    this.reassignments = new Reassignments(
      this.view,
      this.writer,
      logger.child({ component: 'reassignment' }),
    );
  }

  /** Loads the view and runs the first full pass; resolves when the controller is ready. */
  start(): Promise<void> {
    this.readyPromise ??= this.load();
    return this.readyPromise;
  }

  /** Resolves once the first full pass is done (admin requests wait for it). */
  ready(): Promise<void> {
    return this.start();
  }

  private async load(): Promise<void> {
    const t0 = performance.now();
    this.view.onChange((change) => {
      switch (change.section) {
        case 'brokers':
          this.logger.info(
            { broker: change.id, live: change.value !== undefined },
            'broker registry changed',
          );
          // A broker that stopped after a controlled shutdown may come back as a preferred leader.
          if (change.value === undefined) this.leadership.stopping.delete(change.id);
          this.markDirty();
          return;
        case 'topics':
        case 'partitions':
        case 'deletions':
          this.markDirty(change.topic);
          return;
        default:
          return;
      }
    });
    await this.view.start();
    const loadedMs = performance.now() - t0;
    await this.queue.run(() => this.pass({ all: true, topics: new Set() }));
    this.every(this.options.leaderCheckIntervalMs, () => this.markDirty());
    this.logger.info(
      {
        loadMs: Math.round(loadedMs),
        readyMs: Math.round(performance.now() - t0),
        topics: this.view.topics().size,
        brokers: this.view.brokers().size,
      },
      'controller ready',
    );
  }

  /** Runs an admin mutation on the controller's queue (after the first pass). */
  async mutate<T>(task: () => Promise<T>): Promise<T> {
    await this.ready();
    if (this.stopped) throw new Error('controller stopped');
    return this.queue.run(() => this.fenceAware(task));
  }

  /** Stops the timers and the watches; in-flight work finishes or fails on its own. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.view.close();
  }

  /** Marks a topic (or, with no argument, everything) for the next pass and schedules it. */
  markDirty(topic?: string): void {
    if (this.stopped) return;
    if (topic === undefined) this.dirty.all = true;
    else this.dirty.topics.add(topic);
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate: every event of one watch response is marked before the pass runs.
    setImmediate(() => {
      void this.queue.run(async () => {
        this.scheduled = false;
        const dirty = { all: this.dirty.all, topics: new Set(this.dirty.topics) };
        this.dirty.all = false;
        this.dirty.topics.clear();
        await this.pass(dirty);
      });
    });
  }

  private async pass(dirty: { all: boolean; topics: Set<string> }): Promise<void> {
    if (this.stopped || !this.readyPromise) return;
    await this.fenceAware(async () => {
      const topics = dirty.all ? [...this.view.topics().keys()] : [...dirty.topics];
      for (const topic of topics) await this.lifecycle.reconcile(topic);
      await this.leadership.reconcile(dirty.all ? undefined : topics);
      // Reassignments whose target is in sync complete (also those a predecessor started).
      await this.reassignments.reconcile(dirty.all ? undefined : topics);
    }).catch((err) => {
      if (err instanceof FencedError) return;
      this.logger.error({ err }, 'controller pass failed; retrying shortly');
      this.later(500, () => {
        if (dirty.all) this.markDirty();
        for (const t of dirty.topics) this.markDirty(t);
      });
    });
  }

  /** Runs `task`; a FencedError makes this controller step down (and is rethrown). */
  private async fenceAware<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (err) {
      if (err instanceof FencedError && !this.stopped) {
        this.logger.warn({ epoch: this.epoch, err: err.message }, 'write fenced: stepping down');
        this.options.onFenced(err.message);
      }
      throw err;
    }
  }

  private later(ms: number, task: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, ms);
    this.timers.add(timer);
  }

  private every(ms: number, task: () => void): void {
    this.later(ms, () => {
      task();
      this.every(ms, task);
    });
  }
}
