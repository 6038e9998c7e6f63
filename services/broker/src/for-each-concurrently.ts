/**
 * Runs `task` over `items` in order of start, at most `limit` at a time: the broker's one bounded
 * worker pool (opening and closing thousands of logs, applying thousands of partition
 * assignments), so that their file work overlaps on libuv's pool without queueing all at once.
 * A task's rejection rejects the whole run once the running tasks settle; callers that must go on
 * catch inside the task.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
