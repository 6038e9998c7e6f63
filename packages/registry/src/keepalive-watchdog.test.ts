import { KeepaliveWatchdog } from './keepalive-watchdog';

describe('KeepaliveWatchdog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('stays quiet while keep-alives are answered within twice the TTL', () => {
    const onSilent = jest.fn();
    const dog = new KeepaliveWatchdog(2, onSilent);
    for (let i = 0; i < 20; i++) {
      jest.advanceTimersByTime(1500);
      dog.answered();
    }
    expect(onSilent).not.toHaveBeenCalled();
    dog.stop();
  });

  it('reports once when no keep-alive was answered for more than twice the TTL', () => {
    const onSilent = jest.fn();
    const dog = new KeepaliveWatchdog(2, onSilent);
    dog.answered();
    jest.advanceTimersByTime(4000);
    expect(onSilent).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1000);
    expect(onSilent).toHaveBeenCalledTimes(1);
    expect(onSilent.mock.calls[0]![0]).toBeGreaterThan(4000);
    jest.advanceTimersByTime(60_000);
    expect(onSilent).toHaveBeenCalledTimes(1);
  });

  it('reports nothing once stopped', () => {
    const onSilent = jest.fn();
    const dog = new KeepaliveWatchdog(1, onSilent);
    dog.stop();
    jest.advanceTimersByTime(60_000);
    expect(onSilent).not.toHaveBeenCalled();
  });
});
