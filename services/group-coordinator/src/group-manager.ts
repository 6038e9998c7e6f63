import { randomUUID } from 'node:crypto';
import { TributaryError } from '@tributary/errors';
import type { GroupOffsetRecord, MetadataView, Namespace } from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';
import type { Clock } from './clock';
import { Group } from './membership/group';
import { CommitCoalescer } from './offsets/commit-coalescer';
import {
  type CoordinatorIdentity,
  claimGroup,
  GroupStore,
  loadOffsets,
  type OffsetEntry,
} from './registry/group-store';
import type { TpKey } from './topic-partition';

export interface GroupManagerSettings {
  readonly initialRebalanceDelayMs: number;
  readonly commitWindowMs: number;
  /** Coalesced offset writes of one group in flight at once (see CommitCoalescer). */
  readonly commitMaxInFlight?: number;
  readonly maxTxnOps: number;
}

/** A group this coordinator owns: membership, registry writes, committed offsets, commit window. */
export interface OwnedGroup {
  readonly id: string;
  readonly group: Group;
  readonly store: GroupStore;
  /** Committed offsets as in etcd (this coordinator is their only writer while it owns the group). */
  readonly offsets: Map<TpKey, GroupOffsetRecord>;
  readonly commits: CommitCoalescer<OffsetEntry>;
}

export interface GroupManagerDeps {
  readonly ns: () => Namespace;
  readonly self: CoordinatorIdentity;
  /** The coordinator lease group keys go on; undefined while unregistered. */
  readonly leaseId: () => string | undefined;
  readonly metadata: MetadataView;
  readonly clock: Clock;
  readonly settings: GroupManagerSettings;
  readonly logger: Logger;
  /** Told how long each coalesced offset write to etcd took, in seconds (metrics). */
  readonly observeCommitWrite?: (seconds: number) => void;
}

/**
 * The groups this coordinator owns. A request for a group claims it when no live coordinator
 * does (`claimGroup`: create-revision txn on `groups/<g>/coordinator`, on the coordinator lease),
 * then loads its committed offsets; concurrent requests share that load. A request for a group
 * another coordinator holds fails with NOT_COORDINATOR. A group is dropped (sessions ended with
 * NOT_COORDINATOR, pending commits failed) when a registry write finds it fenced, when the lease
 * is lost, and on shutdown.
 */
export class GroupManager {
  private readonly loading = new Map<string, Promise<OwnedGroup>>();
  private readonly owned = new Map<string, OwnedGroup>();
  private stopping = false;

  constructor(private readonly deps: GroupManagerDeps) {}

  /** Partition count of a topic that exists and is not being deleted. */
  partitionCount(topic: string): number | undefined {
    const record = this.deps.metadata.topic(topic)?.value;
    return record && !record.deleting ? record.replicas.length : undefined;
  }

  /** The group, loaded, if this coordinator owns it now. */
  get(groupId: string): OwnedGroup | undefined {
    return this.owned.get(groupId);
  }

  /** Every group this coordinator owns now. */
  groups(): readonly OwnedGroup[] {
    return [...this.owned.values()];
  }

  /** The group if this coordinator owns it, claiming it when no coordinator does; else NOT_COORDINATOR. */
  acquire(groupId: string): Promise<OwnedGroup> {
    const owned = this.owned.get(groupId);
    if (owned) return Promise.resolve(owned);
    let pending = this.loading.get(groupId);
    if (!pending) {
      pending = this.load(groupId).finally(() => this.loading.delete(groupId));
      this.loading.set(groupId, pending);
    }
    return pending;
  }

  /** A subscribed topic's partitions may have changed: groups that subscribe rebalance. */
  topicChanged(topic: string): void {
    for (const { group } of this.owned.values()) group.topicChanged(topic);
  }

  /** Gives a group up: its sessions end with NOT_COORDINATOR, its pending commits fail. */
  drop(groupId: string, reason: string): void {
    const entry = this.owned.get(groupId);
    if (!entry) return;
    this.owned.delete(groupId);
    const error = new TributaryError(
      'NOT_COORDINATOR',
      `Group ${groupId} is no longer served here: ${reason}`,
    );
    entry.group.close(error);
    entry.commits.close(error);
    this.deps.logger.warn({ group: groupId, reason }, 'group dropped');
  }

  dropAll(reason: string): void {
    for (const id of [...this.owned.keys()]) this.drop(id, reason);
  }

  /** Refuses new claims and writes every pending commit; the caller then releases the lease and `dropAll`s. */
  async beginShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.owned.values()].map((g) => g.commits.drain()));
    // Best effort: without the handover the next coordinator holds the group a session timeout.
    await Promise.all(
      [...this.owned.values()].map((g) =>
        g.store
          .handOverMembers()
          .catch((err: Error) =>
            this.deps.logger.warn({ group: g.id, err: err.message }, 'handover not written'),
          ),
      ),
    );
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private async load(groupId: string): Promise<OwnedGroup> {
    const leaseId = this.deps.leaseId();
    if (this.stopping || leaseId === undefined) {
      throw new TributaryError(
        'COORDINATOR_NOT_AVAILABLE',
        'This coordinator is not registered (shutting down or reconnecting)',
      );
    }
    const ns = this.deps.ns();
    const now = this.deps.clock.now();
    const claim = await claimGroup(ns, groupId, this.deps.self, leaseId, now);
    if (!claim.claimed) {
      const holder = claim.holder;
      throw new TributaryError(
        'NOT_COORDINATOR',
        holder
          ? `Group ${groupId} is owned by coordinator ${holder.coordinatorId} at ${holder.host}:${holder.port}`
          : `Group ${groupId} is owned by another coordinator`,
      );
    }
    const store = new GroupStore(
      ns,
      groupId,
      claim.createRevision,
      leaseId,
      this.deps.self,
      now,
      this.deps.settings.maxTxnOps,
    );
    // Members a previous coordinator handed over on shutdown (none after a crash, nor when adopted).
    let handedOver: string[] = [];
    if (claim.adopted) await store.clearMembership();
    else handedOver = await store.takeOverMembers();
    const offsets = await loadOffsets(ns, groupId);
    // Generations restart above any the group committed at, so they keep increasing across handovers.
    let generation = 0;
    for (const record of offsets.values()) generation = Math.max(generation, record.generation);
    const logger = this.deps.logger.child({ group: groupId });

    const commits = new CommitCoalescer<OffsetEntry>(
      this.deps.clock,
      this.deps.settings.commitWindowMs,
      async (entries) => {
        const started = performance.now();
        try {
          await store.writeOffsets(entries);
          this.deps.observeCommitWrite?.((performance.now() - started) / 1000);
        } catch (err) {
          if (err instanceof TributaryError && err.errorName === 'NOT_COORDINATOR') {
            this.drop(groupId, 'fenced on commit');
            throw err;
          }
          throw new TributaryError(
            'COORDINATOR_NOT_AVAILABLE',
            `Commit not written to etcd: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
        for (const { tp, record } of entries) offsets.set(tp, record);
      },
      this.deps.settings.commitMaxInFlight ?? 1,
    );
    const group = new Group(
      {
        groupId,
        clock: this.deps.clock,
        initialRebalanceDelayMs: this.deps.settings.initialRebalanceDelayMs,
        takeover: {
          claimedAt: now,
          previousGeneration: generation > 0 || handedOver.length > 0,
          handedOver: handedOver.length > 0 ? new Set(handedOver) : undefined,
        },
        partitionCount: (topic) => this.partitionCount(topic),
        writeGeneration: (update) => store.writeGeneration(update),
        drainCommits: () => commits.drain(),
        onWriteFailed: (err) => this.drop(groupId, `registry write failed: ${err.message}`),
        newMemberId: (clientId) => `${clientId || 'member'}-${randomUUID()}`,
        logger,
      },
      generation,
    );
    const entry: OwnedGroup = { id: groupId, group, store, offsets, commits };
    if (this.stopping || this.deps.leaseId() !== leaseId) {
      group.close(new TributaryError('NOT_COORDINATOR', 'Coordinator lease changed while loading the group'));
      throw new TributaryError(
        'COORDINATOR_NOT_AVAILABLE',
        'Coordinator lease changed while loading the group',
      );
    }
    this.owned.set(groupId, entry);
    logger.info({ generation, offsets: offsets.size, adopted: claim.adopted }, 'group claimed');
    return entry;
  }
}
