/** An API the listener serves: its schema and the function that answers it. */
import type { KafkaApi } from './api';
import type { RequestHeader } from './protocol/request-header';
import type { Message } from './protocol/schema';
import type { KafkaSession } from './sasl/kafka-session';

export interface RequestContext {
  readonly header: RequestHeader;
  /** The request's API version (the response is encoded at the same version). */
  readonly version: number;
  /** The connection's authentication state (its principal, once authenticated). */
  readonly session: KafkaSession;
  /** `address:port` of the client, for logs. */
  readonly peer: string;
}

/** Answers a decoded request; `undefined` = send no response (Produce with acks 0). */
export type KafkaHandler = (
  body: Message,
  ctx: RequestContext,
) => Promise<Message | undefined> | Message | undefined;

export interface ServedApi {
  readonly api: KafkaApi;
  readonly handle: KafkaHandler;
}
