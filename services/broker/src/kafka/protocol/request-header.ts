/**
 * Kafka request and response headers. A request header is v1 (api key, api version,
 * correlation id, nullable client id) or, for a flexible version of its API, v2 (v1 plus tagged
 * fields); the client id stays a classic int16-length string even in v2. A response header is the
 * correlation id, plus tagged fields when the request was flexible, except for ApiVersions,
 * whose response header is always v0 so a client can read it before it knows what we speak.
 */
import { type WireReader, WireWriter } from './wire';

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** Reads the fixed part of a request header (key, version, correlation id, client id). */
export function readRequestHeader(r: WireReader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString(false);
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Skips the tagged-field section that ends a v2 request header. */
export function skipHeaderTaggedFields(r: WireReader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.raw(r.uvarint());
  }
}

/** The API key of ApiVersions, whose response header is always v0. */
export const API_VERSIONS_KEY = 18;

/**
 * A response frame: 4-byte size, header, then the body `writeBody` writes, as pieces for one
 * gathered socket write (record batches of a Fetch response are not copied; see WireWriter).
 */
export function frameResponse(
  header: RequestHeader,
  flexible: boolean,
  writeBody: (w: WireWriter) => void,
): Buffer[] {
  const w = new WireWriter();
  w.int32(0).int32(header.correlationId);
  if (flexible && header.apiKey !== API_VERSIONS_KEY) w.uvarint(0);
  writeBody(w);
  const size = w.length - 4;
  const pieces = w.chunks();
  // The size prefix is in the first piece: nothing is referenced before the header is written.
  pieces[0]!.writeInt32BE(size, 0);
  return pieces;
}
