/**
 * The "consumer" embedded protocol of Kafka's classic groups: the subscription a member puts in
 * JoinGroup's protocol metadata and the assignment SyncGroup hands back, both in classic
 * (non-flexible) encoding with a leading version. Every version starts with the fields read here
 * (version, topics or topic-partitions, user data); later versions only append, so a reader of
 * version 0's fields reads any version, and version 0 written here is read by every client.
 */
import type { TopicPartitions__Output } from '@tributary/proto';
import { WireReader, WireWriter } from '../protocol/wire';

/** The topics of a ConsumerProtocolSubscription (any version). */
export function decodeSubscriptionTopics(metadata: Buffer): string[] {
  const r = new WireReader(metadata);
  r.int16();
  const n = r.arrayLength(false);
  const topics: string[] = [];
  for (let i = 0; i < n; i++) topics.push(r.nullableString(false) ?? '');
  return topics;
}

/** A ConsumerProtocolSubscription v0 (for DescribeGroups' member metadata). */
export function encodeSubscription(topics: readonly string[]): Buffer {
  const w = new WireWriter().int16(0).arrayLength(topics.length, false);
  for (const t of topics) w.nullableString(t, false);
  w.nullableBytes(null, false);
  return Buffer.from(w.bytes());
}

/** A ConsumerProtocolAssignment v0 of these partitions. */
export function encodeAssignment(partitions: readonly TopicPartitions__Output[]): Buffer {
  const w = new WireWriter().int16(0).arrayLength(partitions.length, false);
  for (const tp of partitions) {
    w.nullableString(tp.topic, false).arrayLength(tp.partitions.length, false);
    for (const p of tp.partitions) w.int32(p);
  }
  w.nullableBytes(Buffer.alloc(0), false);
  return Buffer.from(w.bytes());
}
