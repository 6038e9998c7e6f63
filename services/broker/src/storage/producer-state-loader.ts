/**
 * Loading and snapshotting a log's producer state (Kafka's `UnifiedLog.loadProducerState` and
 * `ProducerStateManager.takeSnapshot`), kept apart from PartitionLog so its rules read in one place.
 *
 * Load, at open and after a truncation:
 * 1. Snapshots above the log end offset describe batches the log no longer has: deleted.
 * 2. The latest remaining snapshot is read; one that does not decode (torn, bit-flipped, another
 *    version) is deleted and the next older one tried. With none usable the state starts empty.
 * 3. Producers whose newest batch is below the log start offset are forgotten.
 * 4. The headers of the batches from the snapshot's offset (or the log start) to the log end are
 *    walked — headers only, 64 KiB reads — and applied, as appends would have applied them.
 *
 * A snapshot at offset O was taken when the log end offset was O, so it reflects exactly the
 * batches below O; the walk adds the rest. Truncation deletes snapshots above the new end before
 * anything is appended again, so a snapshot never describes batches that were replaced.
 */
import { fsyncDir } from './checkpoint-file';
import {
  deleteProducerSnapshot,
  listProducerSnapshots,
  readProducerSnapshot,
  writeProducerSnapshot,
} from './producer-snapshot-file';
import type { ProducerStateManager } from './producer-state';
import type { Segment } from './segment';

/** What loading the producer state found and did. */
export interface ProducerStateLoad {
  /** Offset of the snapshot loaded; undefined when none was usable (the whole log was walked). */
  readonly snapshotOffset: number | undefined;
  /** Offsets of snapshots that did not decode (deleted). */
  readonly corruptSnapshots: readonly number[];
  /** Batch headers walked after the snapshot (or from the log start). */
  readonly batchesScanned: number;
  readonly producers: number;
  readonly durationMs: number;
}

/** Loads `state` for the log of `segments` in `dir` (see the header comment). */
export function loadProducerState(
  dir: string,
  state: ProducerStateManager,
  segments: readonly Segment[],
): ProducerStateLoad {
  const started = performance.now();
  const logStart = segments[0]!.baseOffset;
  const logEnd = segments.at(-1)!.nextOffset;
  const snapshots = listProducerSnapshots(dir);
  let removed = false;
  for (const o of snapshots) {
    if (o > logEnd) {
      deleteProducerSnapshot(dir, o);
      removed = true;
    }
  }
  const corruptSnapshots: number[] = [];
  let snapshotOffset: number | undefined;
  for (const o of snapshots.filter((x) => x <= logEnd).reverse()) {
    const entries = readProducerSnapshot(dir, o);
    if (entries === undefined) {
      corruptSnapshots.push(o);
      deleteProducerSnapshot(dir, o);
      removed = true;
      continue;
    }
    state.load(entries);
    snapshotOffset = o;
    break;
  }
  // A snapshot removed must stay removed before the log grows past its offset again.
  if (removed) fsyncDir(dir);
  if (snapshotOffset === undefined) state.clear();
  state.removeBefore(logStart);
  const from = Math.max(snapshotOffset ?? logStart, logStart);
  let batchesScanned = 0;
  for (const segment of segments) {
    if (segment.nextOffset <= from) continue;
    segment.forEachBatchHeader(from, (header) => {
      batchesScanned++;
      state.update(header, header.baseOffset);
    });
  }
  return {
    snapshotOffset,
    corruptSnapshots,
    batchesScanned,
    producers: state.size,
    durationMs: performance.now() - started,
  };
}

/**
 * Writes the snapshot of `state` at `logEnd` and deletes older snapshots above `activeBase`
 * (left by a former close inside what is still the active segment): one snapshot per segment
 * base bounds what a truncation walks, the newest one what an open walks.
 */
export function writeSnapshot(
  dir: string,
  state: ProducerStateManager,
  logEnd: number,
  activeBase: number,
): void {
  writeProducerSnapshot(dir, logEnd, state.entries());
  for (const o of listProducerSnapshots(dir)) {
    if (o > activeBase && o < logEnd) deleteProducerSnapshot(dir, o);
  }
}
