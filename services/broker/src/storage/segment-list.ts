/**
 * Searching a log's segments, which are kept as an array ordered by base offset, contiguous in
 * offsets (segment i+1 starts at segment i's next offset), the last one active.
 */
import type { Segment } from './segment';

/** Index of the last segment whose base offset is <= `offset` (0 when `offset` precedes them all). */
export function floorSegmentIndex(segments: readonly Segment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Segments holding data at or above `offset`. */
export function segmentsFrom(segments: readonly Segment[], offset: number): Segment[] {
  return segments.filter((s) => s.nextOffset > offset && s.size > 0);
}
