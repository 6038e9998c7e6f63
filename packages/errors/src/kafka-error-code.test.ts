import { ERROR_TABLE } from './error-table';
import {
  KAFKA_SASL_AUTHENTICATION_FAILED,
  KAFKA_UNKNOWN_SERVER_ERROR,
  KAFKA_UNSUPPORTED_VERSION,
  kafkaErrorCode,
} from './kafka-error-code';

describe('kafkaErrorCode', () => {
  it('passes through every code Kafka shares and maps the Tributary-only ones', () => {
    for (const e of ERROR_TABLE) {
      if (e.code < 1000) expect(kafkaErrorCode(e.code)).toBe(e.code);
      else
        expect([
          KAFKA_UNKNOWN_SERVER_ERROR,
          KAFKA_UNSUPPORTED_VERSION,
          KAFKA_SASL_AUTHENTICATION_FAILED,
        ]).toContain(kafkaErrorCode(e.code));
    }
  });

  it('maps codes outside the table to UNKNOWN_SERVER_ERROR', () => {
    expect(kafkaErrorCode(4242)).toBe(KAFKA_UNKNOWN_SERVER_ERROR);
  });
});
