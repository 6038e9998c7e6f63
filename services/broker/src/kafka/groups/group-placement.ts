/**
 * Which broker acts as a group's Kafka coordinator. Every broker must give the same answer, since
 * a member's GroupSession lives on the broker it joined through: the group id's hash picks one of
 * the live brokers with a Kafka listener, as Kafka hashes a group to an offsets-topic partition.
 * When that broker goes, the groups it held move to the others and their members rejoin.
 */
import { createHash } from 'node:crypto';
import type { ClusterMetadata } from '../../cluster';
import { type KafkaBroker, kafkaBrokers } from '../handlers/kafka-brokers';

export function groupBroker(metadata: ClusterMetadata, groupId: string): KafkaBroker | undefined {
  const brokers = kafkaBrokers(metadata);
  if (brokers.length === 0) return undefined;
  const hash = createHash('sha1').update(groupId).digest().readUInt32BE(0);
  return brokers[hash % brokers.length];
}
