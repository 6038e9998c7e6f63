/**
 * One FetchStream session (broker.proto "FetchStream"): a set of partitions with read
 * positions, settings, and two credits. The pump sends a response only while both credits are
 * positive; a response spends one response credit and its record bytes, is cut to the byte
 * credit except that its first batch goes whole, and is sent once min_bytes are ready or
 * max_wait_ms has passed with something to send. A partition that fails is paused until it is
 * sought or added again. The pump sleeps on high-watermark and role notifications and on new
 * credit, never by polling.
 *
 * Only partitions that may have something to send are read (`#dirty`, as the replica fetch
 * session does): each partition listens once to its leader replica's high watermark and role,
 * and is dirty when either moved, when it is added or sought, and while its last read returned
 * records. A response therefore costs the partitions with news, not every partition of the
 * session (a consumer of 10,000 partitions used to read them all and re-subscribe 20,000
 * listeners on every wake-up). Dirty partitions are read round-robin.
 */
import { TributaryError } from '@tributary/errors';
import {
  type FetchStreamPartition__Output,
  type FetchStreamRequest__Output,
  type FetchStreamResponse,
  type FetchStreamSettings__Output,
  type FetchTopicResponse,
  int64ToNumber,
} from '@tributary/proto';
import type { LeaderReplica } from '../replica/leader-replica';
import type { DataPlaneConfig } from '../replica/settings';
import { type FetchDeps, readPartition } from './read-partition';

interface SessionPartition {
  topic: string;
  partition: number;
  offset: number;
  maxBytes: number;
  epoch: number | undefined;
  paused: boolean;
  /** The leader replica whose high watermark and role this entry listens to, if any yet. */
  watched: LeaderReplica | undefined;
  unwatch: () => void;
}

const NOTHING = () => undefined;

/** One partition's part of a response being built, applied by `#commit` once it is sent. */
interface PartitionRead {
  readonly part: SessionPartition;
  readonly error: boolean;
  readonly nextOffset: number;
}

export class FetchStreamSession {
  readonly #parts = new Map<string, SessionPartition>();
  /** Partitions to read in the next build (see the file comment), in round-robin order. */
  readonly #dirty = new Set<SessionPartition>();
  #settings: FetchStreamSettings__Output = { maxWaitMs: 500, minBytes: 1, maxBytes: 0, recordFormat: 0 };
  #responses = 0;
  #bytes = 0;
  #started = false;
  #closed = false;
  #kick: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly deps: FetchDeps & { config: DataPlaneConfig },
    /** Writes a response; `readySinceMs` is when its records were first ready (for its span). */
    private readonly send: (res: FetchStreamResponse, readySinceMs: number) => void,
  ) {}

  /** Applies one client message; throws INVALID_REQUEST for a protocol violation (ends the stream). */
  onMessage(msg: FetchStreamRequest__Output): void {
    if (!this.#started && msg.kind !== 'start')
      throw new TributaryError('INVALID_REQUEST', 'the first FetchStream message must be `start`');
    switch (msg.kind) {
      case 'start': {
        if (this.#started) throw new TributaryError('INVALID_REQUEST', '`start` may come only once');
        this.#started = true;
        const s = msg.start!;
        if (s.settings) this.#settings = s.settings;
        for (const p of s.partitions) this.#put(p);
        if (s.credit) this.#credit(s.credit.responses, s.credit.bytes);
        this.#running = this.#pump();
        break;
      }
      case 'update': {
        const u = msg.update!;
        for (const p of u.add) this.#put(p);
        for (const r of u.remove) this.#drop(`${r.topic}/${r.partition}`);
        if (u.settings) this.#settings = u.settings;
        break;
      }
      case 'credit':
        this.#credit(msg.credit!.responses, msg.credit!.bytes);
        break;
      case 'seek':
        for (const p of msg.seek!.partitions) {
          const key = `${p.topic}/${p.partition}`;
          if (!this.#parts.has(key))
            throw new TributaryError(
              'INVALID_REQUEST',
              `seek of ${key}, which is not in the session (use update.add)`,
            );
          this.#put(p);
        }
        break;
      default:
        throw new TributaryError('INVALID_REQUEST', 'empty FetchStream message');
    }
    this.#kick?.();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const part of this.#parts.values()) part.unwatch();
    this.#kick?.();
    await this.#running;
  }

  #credit(responses: number, bytes: number): void {
    if (responses < 0 || bytes < 0)
      throw new TributaryError('INVALID_REQUEST', 'credit must not be negative');
    this.#responses += responses;
    this.#bytes += bytes;
  }

  #put(p: FetchStreamPartition__Output): void {
    const key = `${p.topic}/${p.partition}`;
    this.#drop(key);
    const part: SessionPartition = {
      topic: p.topic,
      partition: p.partition,
      offset: int64ToNumber(p.fetchOffset, 'fetch_offset'),
      maxBytes: p.partitionMaxBytes > 0 ? p.partitionMaxBytes : this.deps.config.fetchPartitionMaxBytes,
      epoch:
        p.currentLeaderEpoch === undefined
          ? undefined
          : int64ToNumber(p.currentLeaderEpoch, 'current_leader_epoch'),
      paused: false,
      watched: undefined,
      unwatch: NOTHING,
    };
    this.#parts.set(key, part);
    this.#dirty.add(part);
  }

  #drop(key: string): void {
    const part = this.#parts.get(key);
    if (part === undefined) return;
    part.unwatch();
    this.#parts.delete(key);
    this.#dirty.delete(part);
  }

  /** Marks `part` to be read when its replica's high watermark or role moves (once per replica). */
  #watch(part: SessionPartition): void {
    if (part.watched !== undefined) return;
    let replica: LeaderReplica;
    try {
      replica = this.deps.leaders.leaderReplica(part.topic, part.partition);
    } catch {
      return; // not led here: the read fails and pauses it
    }
    const touched = () => {
      if (this.#parts.get(`${part.topic}/${part.partition}`) !== part || part.paused) return;
      this.#dirty.add(part);
      this.#kick?.();
    };
    const offHw = replica.log.onHighWatermark(touched);
    const offRole = replica.onRoleChange(() => {
      // The replica may no longer lead: look it up again at the next read.
      part.unwatch();
      touched();
    });
    part.watched = replica;
    part.unwatch = () => {
      offHw();
      offRole();
      part.watched = undefined;
      part.unwatch = NOTHING;
    };
  }

  /** Sleeps until `#kick` (new credit, a message, a dirty partition) or `timeoutMs`. */
  #sleep(timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        if (this.#kick === wake) this.#kick = undefined;
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.#kick = wake;
    });
  }

  async #pump(): Promise<void> {
    let readySince: number | undefined;
    while (!this.#closed) {
      if (this.#responses <= 0 || this.#bytes <= 0) {
        await this.#sleep(60_000);
        continue;
      }
      const built = this.#build();
      if (built.bytes === 0 && !built.failed) {
        readySince = undefined;
        await this.#sleep(60_000);
        continue;
      }
      const minBytes = Math.max(1, this.#settings.minBytes);
      const now = Date.now();
      readySince ??= now;
      const waited = now - readySince;
      if (built.bytes < minBytes && !built.failed && waited < this.#settings.maxWaitMs) {
        await this.#sleep(this.#settings.maxWaitMs - waited);
        continue;
      }
      // What was just read is what goes out: nothing awaited since, so nothing moved.
      this.#commit(built.reads);
      const since = readySince;
      readySince = undefined;
      if (built.topics.length === 0) continue;
      this.#responses -= 1;
      this.#bytes -= built.bytes;
      this.send({ topics: built.topics }, since);
    }
  }

  /** Reads every active partition within the credits; positions move only in `#commit`. */
  #build(): { topics: FetchTopicResponse[]; bytes: number; failed: boolean; reads: PartitionRead[] } {
    const records = this.#settings.recordFormat === 2;
    const maxBytes = this.#settings.maxBytes > 0 ? this.#settings.maxBytes : this.deps.config.fetchMaxBytes;
    let remaining = Math.min(maxBytes, this.#bytes);
    let total = 0;
    let failed = false;
    const reads: PartitionRead[] = [];
    const byTopic = new Map<string, FetchTopicResponse>();
    for (const s of this.#dirty) {
      if (s.paused) {
        this.#dirty.delete(s);
        continue;
      }
      const budget = total === 0 ? s.maxBytes : Math.min(s.maxBytes, remaining);
      if (total > 0 && budget <= 0) break;
      this.#watch(s);
      const r = readPartition(this.deps, s.topic, s.partition, s.offset, s.epoch, budget, records);
      if (!r.error && r.bytes === 0) {
        // Nothing until its high watermark or role moves, or it is sought (all re-mark it).
        this.#dirty.delete(s);
        continue;
      }
      total += r.bytes;
      remaining -= r.bytes;
      failed ||= r.error;
      reads.push({ part: s, error: r.error, nextOffset: r.nextOffset });
      let t = byTopic.get(s.topic);
      if (t === undefined) {
        t = { topic: s.topic, partitions: [] };
        byTopic.set(s.topic, t);
      }
      t.partitions!.push(r.response);
    }
    return { topics: [...byTopic.values()], bytes: total, failed, reads };
  }

  /** Advances the positions of partitions sent, and pauses the ones that failed. */
  #commit(reads: readonly PartitionRead[]): void {
    for (const { part, error, nextOffset } of reads) {
      this.#dirty.delete(part);
      if (error) {
        part.paused = true;
        part.unwatch();
        continue;
      }
      part.offset = nextOffset;
      // It may hold more: read again, after the other dirty partitions (round-robin).
      if (this.#parts.get(`${part.topic}/${part.partition}`) === part) this.#dirty.add(part);
    }
  }
}
