/**
 * SaslHandshake (key 17), versions 0-1, and SaslAuthenticate (key 36), versions 0-2 (KIP-152):
 * the handshake picks a mechanism, then SaslAuthenticate carries the mechanism's bytes inside
 * ordinary Kafka requests (v1), or the next frame carries them raw (v0, KIP-43). Every current
 * client (kafkajs, librdkafka, the Java client) uses v1 when offered; librdkafka only enables SASL
 * when v0 is advertised too.
 */
import type { KafkaApi } from '../api';
import { arrayOf, field } from '../protocol/schema';

export const SASL_HANDSHAKE: KafkaApi = {
  key: 17,
  name: 'SaslHandshake',
  minVersion: 0,
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
