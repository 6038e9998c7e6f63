/**
 * Topic settings the controller and the replication layer read (the log's own settings are in
 * log-config.ts). Same declaration style: Kafka's name, type, default, validator, doc.
 */
import { InvalidConfigError } from '@tributary/errors';

/** Replication-side configuration of one topic. */
export interface ReplicationConfig {
  /** `min.insync.replicas`: acks=all writes fail with NOT_ENOUGH_REPLICAS below this ISR size. */
  readonly minInsyncReplicas: number;
  /** `unclean.leader.election.enable`: elect an out-of-sync replica rather than stay offline (may lose data). */
  readonly uncleanLeaderElection: boolean;
  /** `cleanup.policy`: only `delete` (retention by time and size); compaction is not supported. */
  readonly cleanupPolicy: 'delete';
}

/** The declaration of one replication setting. */
export interface ReplicationConfigDef {
  readonly key: string;
  readonly property: keyof ReplicationConfig;
  readonly type: 'int' | 'boolean' | 'string';
  readonly default: ReplicationConfig[keyof ReplicationConfig];
  readonly doc: string;
  parse(text: string): ReplicationConfig[keyof ReplicationConfig];
}

export const REPLICATION_CONFIG_DEFS: readonly ReplicationConfigDef[] = [
  {
    key: 'min.insync.replicas',
    property: 'minInsyncReplicas',
    type: 'int',
    default: 1,
    doc: 'With acks=all, a write succeeds only while at least this many replicas are in sync; otherwise it fails with NOT_ENOUGH_REPLICAS.',
    parse(text) {
      const n = Number(text.trim());
      if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
        throw new InvalidConfigError('min.insync.replicas', `"${text}" must be an integer of at least 1`);
      }
      return n;
    },
  },
  {
    key: 'unclean.leader.election.enable',
    property: 'uncleanLeaderElection',
    type: 'boolean',
    default: false,
    doc: 'When no in-sync replica is alive, elect an out-of-sync one (availability over durability: acknowledged records may be lost).',
    parse(text) {
      const t = text.trim().toLowerCase();
      if (t !== 'true' && t !== 'false') {
        throw new InvalidConfigError('unclean.leader.election.enable', `"${text}" must be true or false`);
      }
      return t === 'true';
    },
  },
  {
    key: 'cleanup.policy',
    property: 'cleanupPolicy',
    type: 'string',
    default: 'delete',
    doc: 'How old data goes: `delete` removes closed segments by retention.ms and retention.bytes. (`compact` is not supported yet.)',
    parse(text) {
      if (text.trim() !== 'delete') {
        throw new InvalidConfigError('cleanup.policy', `"${text}" is not supported (only delete)`);
      }
      return 'delete';
    },
  },
];

export const DEFAULT_REPLICATION_CONFIG: ReplicationConfig = Object.freeze({
  minInsyncReplicas: 1,
  uncleanLeaderElection: false,
  cleanupPolicy: 'delete',
});
