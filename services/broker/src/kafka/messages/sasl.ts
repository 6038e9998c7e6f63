/**
 * SaslHandshake (key 17), version 1 only, and SaslAuthenticate (key 36), versions 0-2 (KIP-152):
 * the handshake picks a mechanism, then SaslAuthenticate carries the mechanism's bytes inside
 * ordinary Kafka requests. Handshake v0 (raw SASL frames outside the Kafka framing) is not
 * served; every current client (kafkajs, librdkafka, the Java client) uses v1 when offered.
 */
import type { KafkaApi } from '../api';
import { arrayOf, field } from '../protocol/schema';

export const SASL_HANDSHAKE: KafkaApi = {
  key: 17,
  name: 'SaslHandshake',
  minVersion: 1,
  maxVersion: 1,
  flexibleFrom: Number.MAX_SAFE_INTEGER,
  request: [field('mechanism', 'string', '0+')],
  response: [field('errorCode', 'int16', '0+'), field('mechanisms', arrayOf('string'), '0+')],
};

export const SASL_AUTHENTICATE: KafkaApi = {
  key: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [field('authBytes', 'bytes', '0+')],
  response: [
    field('errorCode', 'int16', '0+'),
    field('errorMessage', 'string', '0+', { nullable: true }),
    field('authBytes', 'bytes', '0+'),
    field('sessionLifetimeMs', 'int64', '1+'),
  ],
};
