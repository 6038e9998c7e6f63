import type { Cluster } from '../rpc/cluster';
import { ConsumerCore } from './consumer-core';
import { consumerWithDefaults } from './consumer-options';

const core = () => new ConsumerCore({} as Cluster, consumerWithDefaults({ groupId: 'g' }));

describe('ConsumerCore.inCommitOrder', () => {
  it('starts each commit only after every earlier one has finished, failed ones included', async () => {
    const c = core();
    const events: string[] = [];
    let releaseFirst!: () => void;
    const first = c.inCommitOrder(async () => {
      events.push('first start');
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      events.push('first end');
      throw new Error('refused');
    });
    const second = c.inCommitOrder(async () => {
      events.push('second start');
      return 2;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first start']);
    releaseFirst();
    await expect(first).rejects.toThrow('refused');
    await expect(second).resolves.toBe(2);
    expect(events).toEqual(['first start', 'first end', 'second start']);
  });
});
