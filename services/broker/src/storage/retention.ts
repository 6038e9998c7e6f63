/**
 * Which segments retention deletes (Kafka's `UnifiedLog.deleteOldSegments`), as a pure function
 * of the segments' sizes and timestamps, so the policy is tested without files.
 *
 * Rules:
 * - Only a prefix of the log is deleted (the log start offset moves forward, never holes).
 * - Never the active (last) segment, and never a segment holding offsets at or above the high
 *   watermark: data not yet replicated stays until followers have it.
 * - `retention.ms`: a segment whose newest record timestamp is more than `retention.ms` before
 *   `now` goes, and so does every segment before it in the prefix.
 * - `retention.bytes`: then, the oldest segments go while the log minus them is still larger than
 *   `retention.bytes` (a segment goes only if the log stays at or above the limit without it).
 * - Whichever deletes more wins; -1 disables either.
 */

export interface RetainedSegment {
  readonly size: number;
  /** Largest record timestamp in the segment. */
  readonly maxTimestamp: number;
  /** First offset after the segment. */
  readonly nextOffset: number;
}

export interface RetentionPolicy {
  readonly retentionMs: number;
  readonly retentionBytes: number;
}

/** Number of segments, from the oldest, that retention deletes now. */
export function segmentsToDelete(
  segments: readonly RetainedSegment[],
  highWatermark: number,
  policy: RetentionPolicy,
  now: number,
): number {
  let candidates = 0;
  while (candidates < segments.length - 1 && segments[candidates]!.nextOffset <= highWatermark) candidates++;
  let count = 0;
  if (policy.retentionMs >= 0) {
    for (let i = 0; i < candidates; i++) {
      if (now - segments[i]!.maxTimestamp > policy.retentionMs) count = i + 1;
      else break;
    }
  }
  if (policy.retentionBytes >= 0) {
    let excess = segments.reduce((sum, s) => sum + s.size, 0) - policy.retentionBytes;
    for (let i = 0; i < count; i++) excess -= segments[i]!.size;
    while (count < candidates && excess - segments[count]!.size >= 0) {
      excess -= segments[count]!.size;
      count++;
    }
  }
  return count;
}
