/**
 * ProduceStream: many produce requests in flight on one stream, answered by correlation id.
 * Requests are appended in arrival order. A response may overtake an earlier request's only if
 * the two share no topic-partition, so for every partition the client sees results in the order
 * it sent the requests (broker.proto) while a slow acks=all partition does not hold back others.
 */
import { TributaryError, toItemError } from '@tributary/errors';
import type {
  ProduceResponse,
  ProduceStreamRequest__Output,
  ProduceStreamResponse,
  ProtoErrorCode__Output,
} from '@tributary/proto';
import { type ProduceDeps, prepareProduce } from '../produce/produce';

interface InFlight {
  readonly correlationId: string;
  readonly keys: ReadonlySet<string>;
  result: ProduceStreamResponse | undefined;
}

export class ProduceStreamSession {
  #inFlight: InFlight[] = [];

  constructor(
    private readonly deps: ProduceDeps,
    private readonly send: (res: ProduceStreamResponse) => void,
  ) {}

  onRequest(msg: ProduceStreamRequest__Output): void {
    const correlationId = msg.correlationId;
    let entry: InFlight;
    try {
      if (msg.request === null || msg.request === undefined)
        throw new TributaryError('INVALID_REQUEST', 'ProduceStreamRequest without a request');
      const prepared = prepareProduce(msg.request, this.deps);
      entry = { correlationId, keys: new Set(prepared.keys), result: undefined };
      this.#inFlight.push(entry);
      prepared.run().then(
        (response: ProduceResponse) =>
          this.#complete(entry, { correlationId, response, errorCode: 0, errorMessage: '' }),
        (err: unknown) => this.#complete(entry, this.#error(correlationId, err)),
      );
    } catch (err) {
      entry = { correlationId, keys: new Set(), result: this.#error(correlationId, err) };
      this.#inFlight.push(entry);
      this.#flush();
    }
  }

  #error(correlationId: string, err: unknown): ProduceStreamResponse {
    return { correlationId, ...toItemError<ProtoErrorCode__Output>(err) };
  }

  #complete(entry: InFlight, result: ProduceStreamResponse): void {
    entry.result = result;
    this.#flush();
  }

  #flush(): void {
    const blocked = new Set<string>();
    const rest: InFlight[] = [];
    for (const e of this.#inFlight) {
      const conflicts = [...e.keys].some((k) => blocked.has(k));
      if (e.result !== undefined && !conflicts) {
        this.send(e.result);
        continue;
      }
      for (const k of e.keys) blocked.add(k);
      rest.push(e);
    }
    this.#inFlight = rest;
  }
}
