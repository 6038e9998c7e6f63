import { setting } from '@tributary/service-kit';

/** The group coordinator's own settings (the common ones are added by the service kit). */
export const coordinatorSettings = {
  'coordinator.id': setting.string({
    doc: 'Unique id of this coordinator replica (defaults to the host name); its trailing number (coordinator-2) is the coordinator_id clients see.',
    default: '',
  }),
  port: setting.port({ doc: 'gRPC port of the GroupCoordinatorService.', default: 9290 }),
  'group.min.session.timeout.ms': setting.int({
    doc: 'Smallest session_timeout_ms a member may ask for (else INVALID_SESSION_TIMEOUT).',
    default: 1000,
    min: 100,
  }),
  'group.max.session.timeout.ms': setting.int({
    doc: 'Largest session_timeout_ms a member may ask for (else INVALID_SESSION_TIMEOUT).',
    default: 300_000,
    min: 100,
  }),
  'group.session.timeout.ms': setting.int({
    doc: 'Session timeout of a member that asks for 0: without a heartbeat for this long it is removed.',
    default: 10_000,
    min: 100,
  }),
  'group.rebalance.timeout.ms': setting.int({
    doc: 'Rebalance timeout of a member that asks for 0: how long it may take to confirm a revoke.',
    default: 60_000,
    min: 100,
  }),
  'group.max.poll.interval.ms': setting.int({
    doc: 'Processing timeout of a member that asks for 0: without poll_progress for this long it is removed.',
    default: 300_000,
    min: 100,
  }),
  'group.initial.rebalance.delay.ms': setting.int({
    doc: 'How long a group without members (new, or just taken over) waits for more members before its first assignment.',
    default: 1000,
    min: 0,
  }),
  'offsets.commit.window.ms': setting.int({
    doc: "How long a group's commits are gathered before they go to etcd in one txn.",
    default: 5,
    min: 0,
    max: 1000,
  }),
  'offsets.commit.max.in.flight': setting.int({
    doc: "A group's coalesced offset writes in flight to etcd at once (never two holding the same partition); 1 writes one window at a time.",
    default: 1,
    min: 1,
    max: 64,
  }),
  'offsets.metadata.max.bytes': setting.int({
    doc: 'Largest metadata string stored with a committed offset (else OFFSET_METADATA_TOO_LARGE).',
    default: 4096,
    min: 0,
  }),
  'etcd.max.txn.ops': setting.int({
    doc: "Most operations per etcd txn (etcd's --max-txn-ops); larger writes are split into several guarded txns.",
    default: 128,
    min: 2,
  }),
  'broker.request.timeout.ms': setting.int({
    doc: 'Deadline of ListOffsets calls to brokers (DescribeGroups lag, AlterGroupOffsets).',
    default: 3000,
    min: 100,
  }),
};
