/**
 * Turns one request frame (without its 4-byte size) into a header and a decoded body, or says
 * why it cannot: an API Tributary does not serve, a version outside what it serves, or bytes that
 * do not parse. What Kafka's broker does with each is the connection's business; this only
 * decides. Pure, so fuzzed by a unit test.
 */
import type { KafkaApi } from './api';
import { type RequestHeader, readRequestHeader, skipHeaderTaggedFields } from './protocol/request-header';
import { type Message, readStruct } from './protocol/schema';
import { KafkaDecodeError, WireReader } from './protocol/wire';

export type DecodedRequest =
  | { readonly kind: 'ok'; readonly header: RequestHeader; readonly api: KafkaApi; readonly body: Message }
  /** The header parsed but the API or version is not served. */
  | { readonly kind: 'unsupported'; readonly header: RequestHeader; readonly api?: KafkaApi }
  /** The frame does not parse; `header` when at least that did. */
  | { readonly kind: 'malformed'; readonly header?: RequestHeader; readonly reason: string };

export function decodeRequest(frame: Buffer, apis: ReadonlyMap<number, KafkaApi>): DecodedRequest {
  const r = new WireReader(frame);
  let header: RequestHeader;
  try {
    header = readRequestHeader(r);
  } catch (err) {
    return { kind: 'malformed', reason: `bad request header: ${(err as Error).message}` };
  }
  const api = apis.get(header.apiKey);
  if (api === undefined) return { kind: 'unsupported', header };
  if (header.apiVersion < api.minVersion || header.apiVersion > api.maxVersion)
    return { kind: 'unsupported', header, api };
  const flexible = header.apiVersion >= api.flexibleFrom;
  try {
    if (flexible) skipHeaderTaggedFields(r);
    const body = readStruct(r, api.request, header.apiVersion, flexible);
    return { kind: 'ok', header, api, body };
  } catch (err) {
    if (err instanceof KafkaDecodeError || err instanceof RangeError)
      return { kind: 'malformed', header, reason: `${api.name} v${header.apiVersion}: ${err.message}` };
    throw err;
  }
}
