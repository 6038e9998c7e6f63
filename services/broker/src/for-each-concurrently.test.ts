import { forEachConcurrently } from './for-each-concurrently';

test('every item once, in order of start, never more than the limit at a time', async () => {
  const started: number[] = [];
  let running = 0;
  let most = 0;
  await forEachConcurrently([0, 1, 2, 3, 4, 5, 6], 3, async (item) => {
    started.push(item);
    most = Math.max(most, ++running);
    await new Promise((resolve) => setTimeout(resolve, 7 - item));
    running--;
  });
  expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(most).toBe(3);
});

test('no items, no workers; a failing task rejects the run', async () => {
  await expect(forEachConcurrently([], 4, async () => undefined)).resolves.toBeUndefined();
  await expect(
    forEachConcurrently([1, 2], 2, async (item) => {
      if (item === 2) throw new Error('two');
    }),
  ).rejects.toThrow('two');
});
