import { ReplicationThrottle, ReplicationThrottles } from './replication-throttle';

describe('ReplicationThrottle', () => {
  it('allows a second of bytes, then refills at the rate, paying debts first', () => {
    let now = 0;
    const t = new ReplicationThrottle(1000, () => now);
    expect(t.available()).toBe(1000);
    t.consume(1500); // one whole batch may overshoot
    expect(t.available()).toBe(-500);
    now = 250;
    expect(t.available()).toBe(-250);
    now = 1000;
    expect(t.available()).toBe(500);
    now = 10_000;
    expect(t.available()).toBe(1000); // capped at one second's worth
  });

  it('shares one bucket per rate', () => {
    const throttles = new ReplicationThrottles(() => 0);
    expect(throttles.get(10)).toBe(throttles.get(10));
    expect(throttles.get(10)).not.toBe(throttles.get(20));
  });
});
