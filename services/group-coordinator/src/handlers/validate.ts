import { TributaryError } from '@tributary/errors';
import { type Int64Value, int64ToNumber, type ProtoErrorCode__Output } from '@tributary/proto';

/** Group ids: 1-249 characters (Kafka's limit for names that end up in keys and paths). */
export function checkGroupId(groupId: string): void {
  if (groupId.length === 0 || groupId.length > 249) {
    throw new TributaryError(
      'INVALID_GROUP_ID',
      `Group id must be 1-249 characters, got ${groupId.length === 0 ? 'an empty one' : `${groupId.length}`}`,
    );
  }
}

/** An int64 from the wire as a safe integer (INVALID_REQUEST otherwise). */
export const int64 = (value: Int64Value | undefined, field: string, fallback = 0): number =>
  value === undefined ? fallback : int64ToNumber(value, field);

/** The address part of a grpc-js peer string (`127.0.0.1:5000`, `[::1]:5000`, `ipv4:...`). */
export function peerHost(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  if (bare.startsWith('[')) return bare.slice(1, bare.indexOf(']'));
  const colon = bare.lastIndexOf(':');
  return colon > 0 ? bare.slice(0, colon) : bare;
}

/** An error code number (the error table's, equal to the proto enum's) as the generated enum type. */
export const wireCode = (code: number): ProtoErrorCode__Output => code as ProtoErrorCode__Output;
