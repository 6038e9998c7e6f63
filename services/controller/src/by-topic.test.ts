import { byTopic } from './by-topic';

test('groups by topic, topics in order of first appearance, items in their order', () => {
  const items = [
    { topic: 'b', partition: 2 },
    { topic: 'a', partition: 0 },
    { topic: 'b', partition: 1 },
  ];
  expect([...byTopic(items, (i) => i.topic)]).toEqual([
    ['b', [items[0], items[2]]],
    ['a', [items[1]]],
  ]);
});
