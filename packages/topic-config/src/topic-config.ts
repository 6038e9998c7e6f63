import { InvalidConfigError } from '@tributary/errors';
import { DEFAULT_LOG_CONFIG, LOG_CONFIG_DEFS, type LogConfig, parseLogConfig } from './log-config';
import {
  DEFAULT_REPLICATION_CONFIG,
  REPLICATION_CONFIG_DEFS,
  type ReplicationConfig,
} from './replication-config';

/** Every topic-level setting: what the controller accepts in CreateTopics and AlterConfigs. */
export interface TopicConfig {
  readonly log: LogConfig;
  readonly replication: ReplicationConfig;
}

/** One setting as DescribeConfigs shows it. */
export interface TopicConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly isDefault: boolean;
  readonly type: string;
  readonly doc: string;
}

const logKeys = new Set<string>(LOG_CONFIG_DEFS.map((d) => d.key));
const replicationDefs = new Map(REPLICATION_CONFIG_DEFS.map((d) => [d.key, d]));

/** Every topic setting name, in documentation order. */
export const TOPIC_CONFIG_NAMES: readonly string[] = [...logKeys, ...replicationDefs.keys()];

/**
 * Parses a topic config map (Kafka names, string values), filling defaults. Throws
 * InvalidConfigError naming the key for an unknown key or a bad value, so the controller refuses
 * the request before anything is written.
 */
export function parseTopicConfig(map: Readonly<Record<string, string>>): TopicConfig {
  const logPart: Record<string, string> = {};
  const replication: Record<string, unknown> = { ...DEFAULT_REPLICATION_CONFIG };
  for (const [key, text] of Object.entries(map)) {
    if (logKeys.has(key)) {
      logPart[key] = text;
      continue;
    }
    const d = replicationDefs.get(key);
    if (d === undefined) throw new InvalidConfigError(key, 'unknown topic configuration');
    replication[d.property] = d.parse(text);
  }
  return {
    log: parseLogConfig(logPart),
    replication: Object.freeze(replication) as unknown as ReplicationConfig,
  };
}

/** Every setting with its effective value, for DescribeConfigs. Assumes `map` passed parseTopicConfig. */
export function describeTopicConfig(map: Readonly<Record<string, string>>): TopicConfigEntry[] {
  const entries: TopicConfigEntry[] = [];
  for (const d of LOG_CONFIG_DEFS) {
    const override = map[d.key];
    entries.push({
      name: d.key,
      value: override ?? String(DEFAULT_LOG_CONFIG[d.property]),
      isDefault: override === undefined,
      type: d.type,
      doc: d.doc,
    });
  }
  for (const d of REPLICATION_CONFIG_DEFS) {
    const override = map[d.key];
    entries.push({
      name: d.key,
      value: override ?? String(d.default),
      isDefault: override === undefined,
      type: d.type,
      doc: d.doc,
    });
  }
  return entries;
}
