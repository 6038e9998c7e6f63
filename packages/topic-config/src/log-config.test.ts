import { InvalidConfigError } from '@tributary/errors';
import { DEFAULT_LOG_CONFIG, LOG_CONFIG_DEFS, logConfig, logConfigToMap, parseLogConfig } from './log-config';

test("defaults are Kafka's", () => {
  expect(DEFAULT_LOG_CONFIG).toMatchObject({
    segmentBytes: 1 << 30,
    segmentMs: 604_800_000,
    retentionMs: 604_800_000,
    retentionBytes: -1,
    maxMessageBytes: 1_048_588,
    indexIntervalBytes: 4096,
    segmentIndexBytes: 10 * 1024 * 1024,
    messageTimestampType: 'CreateTime',
  });
  expect(LOG_CONFIG_DEFS.every((d) => d.doc.length > 20)).toBe(true);
});

test('parses Kafka names, round-trips, and names the key of a bad entry', () => {
  const config = parseLogConfig({ 'retention.ms': '-1', 'message.timestamp.type': 'LogAppendTime' });
  expect(config).toMatchObject({
    retentionMs: -1,
    messageTimestampType: 'LogAppendTime',
    segmentBytes: 1 << 30,
  });
  expect(parseLogConfig(logConfigToMap(config))).toEqual(config);
  const bad = (map: Record<string, string>) => {
    try {
      parseLogConfig(map);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidConfigError);
      return (err as InvalidConfigError).setting;
    }
    throw new Error('accepted');
  };
  expect(bad({ 'retention.bytes': 'lots' })).toBe('retention.bytes');
  expect(bad({ 'segment.bytes': '3000000000' })).toBe('segment.bytes');
  expect(bad({ 'retention.ms': '-2' })).toBe('retention.ms');
  expect(bad({ 'message.timestamp.type': 'Now' })).toBe('message.timestamp.type');
  expect(bad({ 'cleanup.policy.typo': 'delete' })).toBe('cleanup.policy.typo');
  expect(() => logConfig({ flushMessages: 0 })).toThrow(InvalidConfigError);
});
