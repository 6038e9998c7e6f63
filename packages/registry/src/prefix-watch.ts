import type { IKeyValue, Namespace, Watcher } from 'etcd3';

/** The revisions of one key: a guarded write compares them (`Create`, `Mod`). */
export interface KeyRevisions {
  /** The revision that created the key (stays the same until it is deleted). */
  readonly createRevision: number;
  /** The revision of the key's latest write. */
  readonly modRevision: number;
}

export interface PrefixWatchHandlers {
  /**
   * The whole prefix as of `revision`, delivered first and again after a resync; `revisions`
   * has each key's create and mod revision.
   */
  onSnapshot(
    entries: ReadonlyMap<string, string>,
    revision: number,
    revisions: ReadonlyMap<string, KeyRevisions>,
  ): void | Promise<void>;
  /** A key under the prefix was created or changed at `revision` (= `revisions.modRevision`). */
  onPut(key: string, value: string, revision: number, revisions: KeyRevisions): void | Promise<void>;
  /** A key under the prefix was deleted (or its lease expired) at `revision`. */
  onDelete(key: string, revision: number): void | Promise<void>;
}

/**
 * Mirrors an etcd prefix into handlers without missing a change: it reads the prefix at revision
 * R, then watches from R + 1. etcd3's watcher resumes from the last revision it saw after a
 * reconnect; if that revision has been compacted away, the watch is rebuilt from a fresh snapshot
 * (`onSnapshot` again), so the handler's view always converges to etcd's. Handlers run one at a
 * time, in revision order.
 */
export class PrefixWatch {
  private watcher: Watcher | undefined;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private lastRevision = 0;

  constructor(
    private readonly ns: Namespace,
    private readonly prefix: string,
    private readonly handlers: PrefixWatchHandlers,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  /** The newest revision handed to a handler (the snapshot's, then each event's as it is handled). */
  get revision(): number {
    return this.lastRevision;
  }

  /** Reads the snapshot, delivers it, and starts watching; resolves once the snapshot is handled. */
  async start(): Promise<void> {
    const snapshot = await this.ns.getAll().prefix(this.prefix).exec();
    const revision = Number(snapshot.header.revision);
    const entries = new Map(
      snapshot.kvs.map((kv: IKeyValue) => [this.relative(kv.key), kv.value.toString()]),
    );
    const revisions = new Map(snapshot.kvs.map((kv: IKeyValue) => [this.relative(kv.key), revisionsOf(kv)]));
    this.lastRevision = revision;
    await this.handlers.onSnapshot(entries, revision, revisions);
    if (this.closed) return;
    const watcher = await this.ns
      .watch()
      .prefix(this.prefix)
      .startRevision(String(revision + 1))
      .create();
    this.watcher = watcher;
    watcher.on('put', (kv) =>
      this.enqueue(() => {
        this.lastRevision = Number(kv.mod_revision);
        return this.handlers.onPut(
          this.relative(kv.key),
          kv.value.toString(),
          Number(kv.mod_revision),
          revisionsOf(kv),
        );
      }),
    );
    watcher.on('delete', (kv) =>
      this.enqueue(() => {
        this.lastRevision = Number(kv.mod_revision);
        return this.handlers.onDelete(this.relative(kv.key), Number(kv.mod_revision));
      }),
    );
    watcher.on('error', (err) => {
      this.onError(err);
      if (/compacted/i.test(err.message)) void this.resync();
    });
  }

  /** Resolves when every event received so far has been handled. */
  settled(): Promise<void> {
    return this.queue;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.cancel();
    await this.queue;
  }

  private enqueue(handle: () => void | Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await handle();
      } catch (err) {
        this.onError(err as Error);
      }
    });
  }

  private async resync(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = undefined;
    if (!this.closed) await this.start().catch((err) => this.onError(err as Error));
  }

  /** Keys arrive namespace-relative already; strip the watched prefix's namespace artefacts only. */
  private relative(key: Buffer): string {
    return key.toString();
  }
}

function revisionsOf(kv: IKeyValue): KeyRevisions {
  return { createRevision: Number(kv.create_revision), modRevision: Number(kv.mod_revision) };
}
