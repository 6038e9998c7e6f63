/**
 * Which process owns a broker's data directory, and what the previous owner left behind (the
 * `owner` record in the data directory). Two jobs:
 *
 * 1. **One process per data directory.** A second broker started on a directory whose owner is
 *    still alive is refused at start, before it opens (and recovers, and truncates) a single log.
 * 2. **A restart after kill -9 does not wait out its own lease.** The owner records the lease id
 *    of its etcd registration here. A new process that finds the previous owner provably dead
 *    may revoke that lease at once instead of waiting up to a TTL for etcd to expire it
 *    (docs/operations.md, "Registration after a crash").
 *
 * Node 20 has no `flock` without a native add-on, so liveness is proven from `/proc` instead:
 * the record holds the owner's pid, its start time (field 22 of `/proc/<pid>/stat`, clock ticks
 * since boot) and the kernel's boot id. The owner is alive exactly when the boot id is ours and
 * `/proc/<pid>/stat` shows the same start time — a reused pid has another start time. A record
 * from another boot id proves nothing (a reboot, or the directory on a volume now mounted by
 * another machine whose process may live on): the predecessor is then *not* treated as dead,
 * and the registration waits out the old lease as before. Without `/proc` (not Linux) likewise.
 *
 * Format (UTF-8 JSON, replaced atomically by write-to-tmp and rename; not fsynced — after a power
 * cut the boot id differs and the record proves nothing anyway):
 * `{"version":1,"pid":123,"startTime":"456789","bootId":"…","leaseId":"7587…"}`; `leaseId` is
 * absent until the owner registered. A record that does not parse is treated as absent.
 *
 * What is left open: two processes starting on the same directory within the same moment can
 * both find the old owner dead and both claim (last rename wins); the etcd registration (create
 * only if absent) still lets only one of them register the broker id.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OWNER_RECORD, TMP_SUFFIX } from './file-names';

/** Who owns a data directory. */
export interface OwnerRecord {
  readonly version: 1;
  readonly pid: number;
  readonly startTime: string;
  readonly bootId: string;
  /** The owner's etcd registration lease, once registered. */
  readonly leaseId?: string;
}

/** How this process and the previous owner of the directory stand. */
export type Predecessor =
  | { readonly kind: 'none' }
  /** Provably gone: the lease it recorded, if any, may be revoked. */
  | { readonly kind: 'dead'; readonly record: OwnerRecord }
  /** Maybe alive somewhere (another boot, or no /proc to ask): nothing may be taken from it. */
  | { readonly kind: 'unknown'; readonly record: OwnerRecord };

/** Thrown by `claim` when a live process owns the directory. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: OwnerRecord,
  ) {
    super(
      `data directory ${dataDir} is in use by process ${owner.pid} (still running); ` +
        'each broker needs a data.dir of its own',
    );
    this.name = 'DataDirInUseError';
  }
}

/** This process's identity as the record states it; undefined without /proc. */
export function currentProcessIdentity(): Omit<OwnerRecord, 'leaseId'> | undefined {
  const startTime = processStartTime(process.pid);
  const bootId = readBootId();
  if (startTime === undefined || bootId === undefined) return undefined;
  return { version: 1, pid: process.pid, startTime, bootId };
}

export class DataDirOwner {
  private constructor(
    readonly dataDir: string,
    /** The previous owner as found at `claim`. */
    readonly predecessor: Predecessor,
    private record: OwnerRecord | undefined,
  ) {}

  /**
   * Makes this process the directory's owner. Throws DataDirInUseError if a live process owns it.
   * Without /proc nothing is recorded and the predecessor is `unknown` (or `none`).
   */
  static claim(dataDir: string): DataDirOwner {
    fs.mkdirSync(dataDir, { recursive: true });
    const previous = readOwnerRecord(dataDir);
    const self = currentProcessIdentity();
    let predecessor: Predecessor = { kind: 'none' };
    if (previous !== undefined) {
      const sameProcess =
        self !== undefined && previous.pid === self.pid && previous.startTime === self.startTime;
      if (self === undefined || previous.bootId !== self.bootId)
        predecessor = { kind: 'unknown', record: previous };
      else if (!sameProcess && isRunning(previous.pid, previous.startTime))
        throw new DataDirInUseError(dataDir, previous);
      else predecessor = { kind: 'dead', record: previous };
    }
    const owner = new DataDirOwner(dataDir, predecessor, self);
    if (self !== undefined) owner.#write(self);
    return owner;
  }

  /**
   * The registration lease the dead predecessor held, which this process may revoke; undefined
   * unless the predecessor is provably dead and had registered.
   */
  get deadPredecessorLeaseId(): string | undefined {
    return this.predecessor.kind === 'dead' ? this.predecessor.record.leaseId : undefined;
  }

  /** Records this process's registration lease (after each registration). */
  recordLease(leaseId: string): void {
    if (this.record === undefined) return;
    this.#write({ ...this.record, leaseId });
  }

  /** Removes the record (clean stop: the lease was revoked, nothing is left to take over). */
  release(): void {
    if (this.record === undefined) return;
    const current = readOwnerRecord(this.dataDir);
    if (current?.pid === this.record.pid && current.startTime === this.record.startTime)
      fs.rmSync(path.join(this.dataDir, OWNER_RECORD), { force: true });
    this.record = undefined;
  }

  #write(record: OwnerRecord): void {
    this.record = record;
    const file = path.join(this.dataDir, OWNER_RECORD);
    fs.writeFileSync(file + TMP_SUFFIX, `${JSON.stringify(record)}\n`);
    fs.renameSync(file + TMP_SUFFIX, file);
  }
}

/** The owner record of `dataDir`; undefined when absent or unreadable. */
export function readOwnerRecord(dataDir: string): OwnerRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, OWNER_RECORD), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as Partial<OwnerRecord>;
    if (
      r.version !== 1 ||
      !Number.isSafeInteger(r.pid) ||
      typeof r.startTime !== 'string' ||
      typeof r.bootId !== 'string' ||
      (r.leaseId !== undefined && typeof r.leaseId !== 'string')
    )
      return undefined;
    return r as OwnerRecord;
  } catch {
    return undefined;
  }
}

/** Fields 3 (state) and 22 (start time, clock ticks after boot) of /proc/<pid>/stat. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] === undefined ? undefined : { state: fields[0]!, startTime: fields[19] };
}

/** A process's start time; undefined if there is no such process. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

/** The process `pid` that started at `startTime` still runs (a zombie, killed but not yet reaped, does not). */
function isRunning(pid: number, startTime: string): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

function readBootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}
