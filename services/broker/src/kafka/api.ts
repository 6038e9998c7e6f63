/**
 * What the listener serves of one Kafka API: its key, the versions it answers (advertised in
 * ApiVersions; anything else is UNSUPPORTED_VERSION), the first flexible version, and the request
 * and response schemas. An API Tributary does not serve has no entry and is left out of
 * ApiVersions, so clients fall back or fail clearly.
 */
import type { Field } from './protocol/schema';

export interface KafkaApi {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The first version using compact types and tagged fields (request header v2, response header v1). */
  readonly flexibleFrom: number;
  readonly request: readonly Field[];
  readonly response: readonly Field[];
}
