/**
 * The controller's only way to write metadata: etcd txns that compare the controller epoch
 * (the `controller` key's create revision, ARCHITECTURE §2 "Fencing") and, per written key, what
 * the decision assumed (a partition key's mod revision, a topic key's create or mod revision).
 *
 * A txn whose epoch compare fails means another controller has been elected since: the writer
 * throws `FencedError` and the caller steps down, never retrying. A txn that fails only on a key
 * compare is a conflict (a broker rewrote the ISR, the view was behind): the else branch reads the
 * keys back so the caller can decide again from fresh values.
 *
 * etcd refuses txns with more than 128 compares, or 128 operations in either branch
 * (`--max-txn-ops`), so batched writes use at most `MAX_KEYS_PER_TXN` keys: one compare is the
 * epoch, one else-read is the controller key.
 */
import {
  type IKeyValue,
  isPartitionState,
  keys,
  type Namespace,
  type PartitionState,
  parseRecord,
  serializeRecord,
} from '@tributary/registry';

/** etcd's default `--max-txn-ops`. */
export const MAX_TXN_OPS = 128;
/** Keys one guarded batch may write: the epoch compare and the controller read take the 128th slot. */
export const MAX_KEYS_PER_TXN = MAX_TXN_OPS - 1;

/** Another controller has been elected: this one must stop deciding. */
export class FencedError extends Error {
  constructor(
    readonly epoch: number,
    readonly currentEpoch: number,
  ) {
    super(
      currentEpoch === 0
        ? `controller epoch ${epoch} is over: the controller key is gone`
        : `controller epoch ${epoch} is over: controller epoch ${currentEpoch} has been elected`,
    );
    this.name = 'FencedError';
  }
}

/** A compare on one key's `Create` or `Mod` revision (0 = the key must not exist). */
export interface Guard {
  readonly key: string;
  readonly target: 'Create' | 'Mod';
  readonly revision: number;
}

/** A put or a delete (of one key, or of every key under a prefix). */
export type WriteOp =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string }
  | { readonly kind: 'delete-prefix'; readonly prefix: string };

export interface CommitResult {
  readonly succeeded: boolean;
  /** The etcd revision of the txn (the revision of every key it wrote, if it succeeded). */
  readonly revision: number;
  /** On failure: the current kv of each guarded key, in guard order (undefined = absent). */
  readonly current: readonly (IKeyValue | undefined)[];
}

/** One partition state to write, guarded by the mod revision it was decided from. */
export interface PartitionWrite {
  readonly topic: string;
  readonly partition: number;
  readonly state: PartitionState;
  /** The mod revision the decision read; 0 = the key must not exist yet. */
  readonly modRevision: number;
}

/** Outcome of `writePartitions`. */
export interface PartitionWriteResult {
  readonly written: readonly PartitionWrite[];
  /** Writes whose key had moved on, with the current state (undefined if the key is gone). */
  readonly conflicts: readonly {
    readonly write: PartitionWrite;
    readonly current: { state: PartitionState; modRevision: number } | undefined;
  }[];
  /** Highest revision of a successful batch (0 if none). */
  readonly revision: number;
}

export class MetadataWriter {
  constructor(
    private readonly ns: Namespace,
    /** This controller's epoch. */
    readonly epoch: number,
  ) {}

  /** Reads one key straight from etcd (for read-modify-write of records the view may lag on). */
  async read(key: string): Promise<IKeyValue | undefined> {
    return (await this.ns.get(key).exec()).kvs[0];
  }

  /** Reads every key under a prefix straight from etcd, as of one revision. */
  async readPrefix(prefix: string): Promise<IKeyValue[]> {
    return (await this.ns.getAll().prefix(prefix).exec()).kvs;
  }

  /**
   * Commits `ops` if the epoch and every guard hold. Throws FencedError if the epoch does not.
   * At most MAX_KEYS_PER_TXN guards and ops.
   */
  async commit(guards: readonly Guard[], ops: readonly WriteOp[]): Promise<CommitResult> {
    if (guards.length > MAX_KEYS_PER_TXN || ops.length > MAX_TXN_OPS) {
      throw new Error(`txn too large: ${guards.length} guards, ${ops.length} ops`);
    }
    let txn = this.ns.if(keys.controllerKey(), 'Create', '==', this.epoch);
    for (const g of guards) txn = txn.and(g.key, g.target, '==', g.revision);
    const result = await txn
      .then(
        ...ops.map((op) =>
          op.kind === 'put'
            ? this.ns.put(op.key).value(op.value)
            : op.kind === 'delete'
              ? this.ns.delete().key(op.key)
              : this.ns.delete().prefix(op.prefix),
        ),
      )
      .else(this.ns.get(keys.controllerKey()), ...guards.map((g) => this.ns.get(g.key)))
      .commit();
    const revision = Number(result.header.revision);
    if (result.succeeded) return { succeeded: true, revision, current: [] };
    const kvs = result.responses.map((r) => r.response_range?.kvs[0]);
    const currentEpoch = Number(kvs[0]?.create_revision ?? 0);
    if (currentEpoch !== this.epoch) throw new FencedError(this.epoch, currentEpoch);
    return { succeeded: false, revision, current: kvs.slice(1) };
  }

  /**
   * Writes partition states in parallel batches of `keysPerTxn` (at most MAX_KEYS_PER_TXN minus
   * the extra guards), each key guarded by the mod revision its decision read. A batch that conflicts writes
   * nothing; its writes come back as conflicts with the current states, for the caller to decide
   * again. Throws FencedError if the epoch is over.
   */
  async writePartitions(
    writes: readonly PartitionWrite[],
    extraGuards: readonly Guard[] = [],
    keysPerTxn = MAX_KEYS_PER_TXN - extraGuards.length,
  ): Promise<PartitionWriteResult> {
    const batches: PartitionWrite[][] = [];
    for (let i = 0; i < writes.length; i += keysPerTxn) batches.push(writes.slice(i, i + keysPerTxn));
    const written: PartitionWrite[] = [];
    const conflicts: PartitionWriteResult['conflicts'][number][] = [];
    let revision = 0;
    await Promise.all(
      batches.map(async (batch) => {
        const guards: Guard[] = [
          ...batch.map((w) => ({
            key: keys.partitionStateKey(w.topic, w.partition),
            target: 'Mod' as const,
            revision: w.modRevision,
          })),
          ...extraGuards,
        ];
        const ops: WriteOp[] = batch.map((w) => ({
          kind: 'put',
          key: keys.partitionStateKey(w.topic, w.partition),
          value: serializeRecord(w.state),
        }));
        const result = await this.commit(guards, ops);
        if (result.succeeded) {
          written.push(...batch);
          revision = Math.max(revision, result.revision);
          return;
        }
        batch.forEach((write, i) => {
          const kv = result.current[i];
          const key = keys.partitionStateKey(write.topic, write.partition);
          conflicts.push({
            write,
            current: kv
              ? { state: parseRecord(key, kv.value, isPartitionState), modRevision: Number(kv.mod_revision) }
              : undefined,
          });
        });
      }),
    );
    return { written, conflicts, revision };
  }
}
