/**
 * The broker's storage engine: partition logs of RecordBatch v2 bytes in segment files.
 * Layering (bottom-up): OffsetIndex / TimeIndex -> Segment -> PartitionLog (+ loader, retention)
 * -> LogManager. Formats and choices: docs/storage.md.
 *
 * Storage takes encoded batch bytes and offsets; it knows nothing of gRPC, etcd or generated types.
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
} from '@tributary/topic-config';
export { type Clock, ManualClock, systemClock } from './clock';
export { DataDirInUseError, DataDirOwner, type Predecessor } from './data-dir-owner';
export { parsePartitionDirName, partitionDirName } from './file-names';
export {
  type EpochEndOffset,
  type EpochEntry,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
} from './leader-epoch-cache';
export type { RecoveryReport } from './log-loader';
export {
  LogManager,
  type LogManagerOptions,
  type LogStartup,
  type StartupReport,
  type TopicPartition,
} from './log-manager';
export { UnexpectedAppendOffsetError, type ValidatedBatches } from './log-validator';
export { PartitionLog, type PartitionLogOptions } from './partition-log';
export type { AppendInfo, PartitionReader, ReadBatches } from './partition-reader';
export { MAX_CACHED_BATCHES, ProducerStateManager, type SequenceCheck } from './producer-state';
export type { ProducerStateLoad } from './producer-state-loader';
