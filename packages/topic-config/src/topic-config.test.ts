import { InvalidConfigError } from '@tributary/errors';
import { describeTopicConfig, parseTopicConfig, TOPIC_CONFIG_NAMES } from './topic-config';

describe('topic config', () => {
  it('parses log and replication settings together, filling defaults', () => {
    const config = parseTopicConfig({ 'retention.ms': '1000', 'min.insync.replicas': '2' });
    expect(config.log.retentionMs).toBe(1000);
    expect(config.log.segmentBytes).toBe(1024 * 1024 * 1024);
    expect(config.replication).toEqual({
      minInsyncReplicas: 2,
      uncleanLeaderElection: false,
      cleanupPolicy: 'delete',
    });
  });

  it.each([
    [{ 'no.such.setting': '1' }, /no\.such\.setting: unknown topic configuration/],
    [{ 'min.insync.replicas': '0' }, /min\.insync\.replicas/],
    [{ 'unclean.leader.election.enable': 'yes' }, /must be true or false/],
    [{ 'cleanup.policy': 'compact' }, /not supported/],
    [{ 'retention.ms': 'soon' }, /retention\.ms.*not an integer/],
  ])('refuses %j naming the setting', (map, message) => {
    expect(() => parseTopicConfig(map)).toThrow(InvalidConfigError);
    expect(() => parseTopicConfig(map)).toThrow(message);
  });

  it('describes every setting with its source', () => {
    const entries = describeTopicConfig({ 'retention.ms': '1000' });
    expect(entries.map((e) => e.name)).toEqual(TOPIC_CONFIG_NAMES);
    expect(entries.find((e) => e.name === 'retention.ms')).toMatchObject({ value: '1000', isDefault: false });
    expect(entries.find((e) => e.name === 'min.insync.replicas')).toMatchObject({
      value: '1',
      isDefault: true,
    });
  });
});
