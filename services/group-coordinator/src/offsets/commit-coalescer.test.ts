import { ManualClock } from '../clock';
import { CommitCoalescer } from './commit-coalescer';

/** A writer whose writes the test completes by hand. */
function manualWriter() {
  const writes: { entries: string[]; resolve: () => void; reject: (err: Error) => void }[] = [];
  const write = (entries: readonly string[]) =>
    new Promise<void>((resolve, reject) => writes.push({ entries: [...entries], resolve, reject }));
  return { writes, write };
}

const flushMicrotasks = () => new Promise((r) => setImmediate(r));
const entries = (...pairs: [string, string][]) => new Map(pairs);

describe('CommitCoalescer', () => {
  it('writes every commit of a window in one write and answers only after it succeeds', async () => {
    const clock = new ManualClock();
    const { writes, write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 5, write);
    const answered: number[] = [];
    const a = coalescer.commit(entries(['t/0', 'a@1'])).then(() => answered.push(1));
    clock.advance(3);
    const b = coalescer.commit(entries(['t/1', 'b@1'], ['t/2', 'b@2'])).then(() => answered.push(2));
    await flushMicrotasks();
    expect(writes).toHaveLength(0);
    clock.advance(2);
    await flushMicrotasks();
    expect(writes.map((w) => w.entries)).toEqual([['a@1', 'b@1', 'b@2']]);
    expect(answered).toEqual([]);
    writes[0]!.resolve();
    await Promise.all([a, b]);
    expect(answered).toEqual([1, 2]);
    expect(coalescer.windows).toBe(1);
    expect(coalescer.commits).toBe(2);
  });

  it('keeps the latest commit of a partition within a window', async () => {
    const clock = new ManualClock();
    const { writes, write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 5, write);
    const first = coalescer.commit(entries(['t/0', 'offset 10']));
    const second = coalescer.commit(entries(['t/0', 'offset 12']));
    clock.advance(5);
    await flushMicrotasks();
    expect(writes.map((w) => w.entries)).toEqual([['offset 12']]);
    writes[0]!.resolve();
    await expect(Promise.all([first, second])).resolves.toBeDefined();
  });

  it('fails every commit of the window when the write fails', async () => {
    const clock = new ManualClock();
    const { writes, write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 5, write);
    const a = coalescer.commit(entries(['t/0', 'a']));
    const b = coalescer.commit(entries(['t/1', 'b']));
    clock.advance(5);
    await flushMicrotasks();
    writes[0]!.reject(new Error('fenced'));
    await expect(a).rejects.toThrow('fenced');
    await expect(b).rejects.toThrow('fenced');
  });

  it('keeps one write in flight; commits arriving meanwhile form the next window, written right after', async () => {
    const clock = new ManualClock();
    const { writes, write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 5, write);
    const a = coalescer.commit(entries(['t/0', 'a']));
    clock.advance(5);
    await flushMicrotasks();
    const b = coalescer.commit(entries(['t/0', 'b']));
    clock.advance(10);
    await flushMicrotasks();
    expect(writes).toHaveLength(1);
    writes[0]!.resolve();
    await a;
    await flushMicrotasks();
    clock.advance(0);
    await flushMicrotasks();
    expect(writes.map((w) => w.entries)).toEqual([['a'], ['b']]);
    writes[1]!.resolve();
    await b;
  });

  it('drains at once without waiting for the window', async () => {
    const clock = new ManualClock();
    const { writes, write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 1000, write);
    const a = coalescer.commit(entries(['t/0', 'a']));
    const drained = coalescer.drain();
    await flushMicrotasks();
    expect(writes).toHaveLength(1);
    writes[0]!.resolve();
    await Promise.all([a, drained]);
    await expect(coalescer.drain()).resolves.toBeUndefined();
  });

  it('drains only what was accepted before: a busy group cannot hold a drain forever', async () => {
    const clock = new ManualClock();
    const { writes, write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 5, write);
    const a = coalescer.commit(entries(['t/0', 'a']));
    clock.advance(5);
    await flushMicrotasks();
    const b = coalescer.commit(entries(['t/1', 'b']));
    let drained = false;
    const drain = coalescer.drain().then(() => {
      drained = true;
    });
    writes[0]!.resolve();
    await a;
    await flushMicrotasks();
    clock.advance(0);
    await flushMicrotasks();
    expect(writes.map((w) => w.entries)).toEqual([['a'], ['b']]);
    const c = coalescer.commit(entries(['t/2', 'c']));
    writes[1]!.resolve();
    await Promise.all([b, drain]);
    expect(drained).toBe(true);
    clock.advance(5);
    await flushMicrotasks();
    writes[2]!.resolve();
    await c;
  });

  it('pipelines up to maxInFlight writes, never two holding the same key', async () => {
    const clock = new ManualClock();
    const { writes, write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 0, write, 2);
    const a = coalescer.commit(entries(['t/0', 'a@1']));
    clock.advance(0);
    await flushMicrotasks();
    // t/1 goes at once beside the first write; t/0's next offset waits for the write holding t/0.
    const b = coalescer.commit(entries(['t/0', 'a@2'], ['t/1', 'b@1']));
    clock.advance(0);
    await flushMicrotasks();
    expect(writes.map((w) => w.entries)).toEqual([['a@1'], ['b@1']]);
    const c = coalescer.commit(entries(['t/2', 'c@1']));
    clock.advance(0);
    await flushMicrotasks();
    expect(writes).toHaveLength(2); // both slots busy
    let bAnswered = false;
    void b.then(() => {
      bAnswered = true;
    });
    writes[1]!.resolve();
    await flushMicrotasks();
    clock.advance(0);
    await flushMicrotasks();
    expect(writes.map((w) => w.entries)[2]).toEqual(['c@1']); // a@2 still behind a@1
    expect(bAnswered).toBe(false); // its t/0 entry is not written yet
    writes[0]!.resolve();
    await a;
    await flushMicrotasks();
    clock.advance(0);
    await flushMicrotasks();
    expect(writes.map((w) => w.entries)[3]).toEqual(['a@2']);
    writes[3]!.resolve();
    writes[2]!.resolve();
    await Promise.all([b, c]);
    expect(coalescer.windows).toBe(4);
  });

  it('fails a commit whose entries span writes when one of them fails', async () => {
    const clock = new ManualClock();
    const { writes, write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 0, write, 2);
    const a = coalescer.commit(entries(['t/0', 'a']));
    clock.advance(0);
    await flushMicrotasks();
    const b = coalescer.commit(entries(['t/0', 'b0'], ['t/1', 'b1']));
    clock.advance(0);
    await flushMicrotasks();
    writes[1]!.reject(new Error('etcd unavailable'));
    writes[0]!.resolve();
    await a;
    await flushMicrotasks();
    clock.advance(0);
    await flushMicrotasks();
    writes[2]!.resolve();
    await expect(b).rejects.toThrow('etcd unavailable');
  });

  it('drains every write in flight and everything pending', async () => {
    const clock = new ManualClock();
    const { writes, write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 1000, write, 2);
    const a = coalescer.commit(entries(['t/0', 'a']));
    const drained1 = coalescer.drain();
    await flushMicrotasks();
    const b = coalescer.commit(entries(['t/1', 'b']));
    const drained2 = coalescer.drain();
    await flushMicrotasks();
    expect(writes.map((w) => w.entries)).toEqual([['a'], ['b']]);
    let done = false;
    void drained2.then(() => {
      done = true;
    });
    writes[1]!.resolve();
    await b;
    await flushMicrotasks();
    expect(done).toBe(false);
    writes[0]!.resolve();
    await Promise.all([a, drained1, drained2]);
  });

  it('fails pending commits and refuses new ones once closed', async () => {
    const clock = new ManualClock();
    const { write } = manualWriter();
    const coalescer = new CommitCoalescer(clock, 5, write);
    const a = coalescer.commit(entries(['t/0', 'a']));
    coalescer.close(new Error('not the coordinator'));
    await expect(a).rejects.toThrow('not the coordinator');
    await expect(coalescer.commit(entries(['t/0', 'b']))).rejects.toThrow('not the coordinator');
    expect(clock.pending).toBe(0);
  });
});
