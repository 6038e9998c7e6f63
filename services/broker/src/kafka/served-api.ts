/** An API the listener serves: its schema and the function that answers it. */
import type { KafkaApi } from './api';
import type { RequestHeader } from './protocol/request-header';
import type { Message } from './protocol/schema';

export interface RequestContext {
  readonly header: RequestHeader;
  /** The request's API version (the response is encoded at the same version). */
  readonly version: number;
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
