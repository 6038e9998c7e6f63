import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionOffsetsCheckpoint } from './partition-offsets-checkpoint';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partition-offsets-checkpoint-'));
  file = path.join(dir, 'replication-offset-checkpoint');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('writes Kafka’s text layout and reads it back by partition directory name', () => {
  const checkpoint = new PartitionOffsetsCheckpoint(file);
  checkpoint.write(
    [
      { topic: 'orders.eu-1', partition: 0, offset: 1200 },
      { topic: 'orders.eu-1', partition: 11, offset: 0 },
      { topic: '_internal', partition: 3, offset: 2 ** 53 - 1 },
    ],
    true,
  );
  expect(fs.readFileSync(file, 'utf8')).toBe(
    `0\n3\norders.eu-1 0 1200\norders.eu-1 11 0\n_internal 3 ${2 ** 53 - 1}\n`,
  );
  expect(checkpoint.read()).toEqual(
    new Map([
      ['orders.eu-1-0', 1200],
      ['orders.eu-1-11', 0],
      ['_internal-3', 2 ** 53 - 1],
    ]),
  );
  expect(fs.readdirSync(dir)).toEqual(['replication-offset-checkpoint']);
});

test('a write cut short by a crash leaves the former file whole', () => {
  const checkpoint = new PartitionOffsetsCheckpoint(file);
  checkpoint.write([{ topic: 't', partition: 0, offset: 7 }], true);
  // kill -9 after the temporary file was partly written, before the rename
  fs.writeFileSync(`${file}.tmp`, '0\n2\nt 0 9\nt 1');
  expect(checkpoint.read()).toEqual(new Map([['t-0', 7]]));
  checkpoint.write([{ topic: 't', partition: 0, offset: 9 }], true);
  expect(checkpoint.read()).toEqual(new Map([['t-0', 9]]));
  expect(fs.readdirSync(dir)).toEqual(['replication-offset-checkpoint']);
});

test('an empty checkpoint and an absent file', () => {
  const checkpoint = new PartitionOffsetsCheckpoint(file);
  expect(checkpoint.read()).toBeUndefined();
  checkpoint.write([], true);
  expect(fs.readFileSync(file, 'utf8')).toBe('0\n0\n');
  expect(checkpoint.read()).toEqual(new Map());
});

test.each([
  ['another version', '1\n1\nt 0 5\n'],
  ['a count that does not match', '0\n2\nt 0 5\n'],
  ['a missing field', '0\n1\nt 5\n'],
  ['an extra field', '0\n1\nt 0 5 6\n'],
  ['a negative offset', '0\n1\nt 0 -5\n'],
  ['a non-integer', '0\n1\nt 0 5.5\n'],
  ['an empty partition', '0\n1\nt  5\n'],
  ['an offset beyond 2^53', '0\n1\nt 0 9007199254740993\n'],
  ['a cut-off file', '0\n'],
])('%s reads as absent', (_, text) => {
  fs.writeFileSync(file, text);
  expect(new PartitionOffsetsCheckpoint(file).read()).toBeUndefined();
});

test('a topic name with white space is refused (it would not read back)', () => {
  expect(() =>
    new PartitionOffsetsCheckpoint(file).write([{ topic: 'a b', partition: 0, offset: 1 }], false),
  ).toThrow(RangeError);
  expect(fs.existsSync(file)).toBe(false);
});
