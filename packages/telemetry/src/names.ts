/**
 * Every span name and attribute key Tributary emits, in one place (STYLE: observability names
 * are enumerated, not invented inline). Messaging names follow the OpenTelemetry messaging
 * semantic conventions (Kafka flavour); `tributary.*` keys are our own.
 */

/** Attribute keys. */
export const Attr = {
  messagingSystem: 'messaging.system',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  destinationName: 'messaging.destination.name',
  partitionId: 'messaging.destination.partition.id',
  consumerGroup: 'messaging.consumer.group.name',
  kafkaOffset: 'messaging.kafka.offset',
  kafkaMessageKey: 'messaging.kafka.message.key',
  batchMessageCount: 'messaging.batch.message_count',
  messageBodySize: 'messaging.message.body.size',
  clientId: 'messaging.client.id',
  clusterId: 'tributary.cluster.id',
  acks: 'tributary.produce.acks',
  highWatermark: 'tributary.high_watermark',
  fetchPartitions: 'tributary.fetch.partitions',
  fetchBytes: 'tributary.fetch.bytes',
  groupGenerationId: 'tributary.group.generation_id',
  groupMemberId: 'tributary.group.member_id',
  groupJoinReason: 'tributary.group.join_reason',
  groupAssignedPartitions: 'tributary.group.assigned_partitions',
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcMethod: 'rpc.method',
  rpcGrpcStatusCode: 'rpc.grpc.status_code',
  errorType: 'error.type',
  serviceName: 'service.name',
  serviceInstanceId: 'service.instance.id',
} as const;

/** `messaging.system` of every messaging span: we speak Kafka's model. */
export const MESSAGING_SYSTEM = 'kafka';

/** Span names. Per-topic names are built by these functions only. */
export const SpanName = {
  /** Producer: one per record sent (PRODUCER). */
  send: (topic: string) => `send ${topic}`,
  /** Consumer: one per delivered batch of records of a partition (CLIENT). */
  poll: (topic: string) => `poll ${topic}`,
  /** Consumer: the application's handling of a record or a batch (CONSUMER). */
  process: (topic: string) => `process ${topic}`,
  /** Broker: one produce request carrying at least one sampled record (SERVER). */
  produce: 'produce',
  /** Broker: validate and append one partition's batches to its log (INTERNAL). */
  append: (topic: string) => `append ${topic}`,
  /** Broker: acks=all, wait until the high watermark covers the appended batches (INTERNAL). */
  replicationWait: (topic: string) => `replication wait ${topic}`,
  /**
   * Client: a consumer's membership change on its GroupSession stream, from the join it writes
   * (or the revoke a rebalance starts with) until the new assignment is applied (CLIENT).
   */
  join: (group: string) => `join ${group}`,
  /**
   * Group coordinator: one `join` on a GroupSession stream, from its receipt (the group claimed
   * or found) until the member is told it joined (SERVER), child of the member's `join <group>`.
   * Named after Kafka's JoinGroup request, which this message replaces.
   */
  coordinatorJoin: (group: string) => `JoinGroup ${group}`,
  /**
   * Group coordinator: the rest of that membership change, from `joined` until the member's
   * assignment is sent (the rebalance: other members' joins and revocations, the assignment, its
   * fenced registry write) (SERVER, sibling of JoinGroup). Kafka's SyncGroup.
   */
  coordinatorSync: (group: string) => `SyncGroup ${group}`,
  /**
   * Broker: one response on a FetchStream, from the moment records were ready (the min_bytes /
   * max_wait_ms wait included) until it is written (SERVER), named like the unary call's span.
   */
  fetchStreamResponse: 'tributary.v1.BrokerService/FetchStream',
  /**
   * Client: one admin or group call routed to the active controller or to a group's coordinator
   * (CLIENT), retries included; the service's `rpc` span is its child.
   */
  clientCall: (target: 'controller' | 'group coordinator') => `call ${target}`,
  /** Any service: one unary gRPC call it serves (SERVER), `<package.Service>/<Method>`. */
  rpc: (service: string, method: string) => `${service}/${method}`,
} as const;

/** Record header that carries the W3C trace context, as Kafka's instrumentations do. */
export const TRACEPARENT_HEADER = 'traceparent';
/** Companion W3C header, present only when the context has trace state. */
export const TRACESTATE_HEADER = 'tracestate';

/**
 * The producer's OpenTelemetry metric instruments (clients/ts/src/telemetry/producer-metrics.ts).
 * `messaging.client.sent.messages` is the messaging conventions' name; the other two are ours.
 */
export const ClientMetricName = {
  /** Counter, records the brokers acknowledged (or that failed, with `error.type`): send rate. */
  sentMessages: 'messaging.client.sent.messages',
  /** Histogram, bytes of each record batch as first sent (encoded, compressed). */
  batchSize: 'tributary.producer.batch.size',
  /** Histogram, records in each batch as first sent. */
  batchRecords: 'tributary.producer.batch.records',
  /** Counter, batch re-sends after a retriable error, by `error.type`. */
  retries: 'tributary.producer.retries',
} as const;
