/**
 * Topic-level configuration, declared once and shared by the controller (validation, describe)
 * and the broker (storage and replication behaviour).
 */
export {
  DEFAULT_LOG_CONFIG,
  LOG_CONFIG_DEFS,
  type LogConfig,
  type LogConfigDef,
  logConfig,
  logConfigToMap,
  parseLogConfig,
  type TimestampTypeName,
} from './log-config';
export {
  DEFAULT_REPLICATION_CONFIG,
  REPLICATION_CONFIG_DEFS,
  type ReplicationConfig,
  type ReplicationConfigDef,
} from './replication-config';
export {
  describeTopicConfig,
  parseTopicConfig,
  TOPIC_CONFIG_NAMES,
  type TopicConfig,
  type TopicConfigEntry,
} from './topic-config';
