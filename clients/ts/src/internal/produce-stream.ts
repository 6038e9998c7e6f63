/**
 * One ProduceStream to one broker: requests pipelined with correlation ids (a counter), at most
 * `maxInFlight` outstanding. A per-request error (`error_code`) rejects that request only; a
 * broken stream rejects every outstanding request with BROKER_NOT_AVAILABLE (retriable) and the
 * stream is not used again (the producer opens a new one).
 */
import type * as grpc from '@grpc/grpc-js';
import { TributaryError } from '@tributary/errors';
import type {
  BrokerServiceClient,
  ProduceRequest,
  ProduceResponse__Output,
  ProduceStreamRequest,
  ProduceStreamResponse__Output,
} from '@tributary/proto';

interface Pending {
  resolve(r: ProduceResponse__Output): void;
  reject(e: TributaryError): void;
}

export class ProduceStreamConnection {
  readonly #call: grpc.ClientDuplexStream<ProduceStreamRequest, ProduceStreamResponse__Output>;
  readonly #pending = new Map<string, Pending>();
  #next = 1;
  #broken = false;

  constructor(
    client: BrokerServiceClient,
    readonly address: string,
    private readonly maxInFlight: number,
    private readonly onSettled: () => void,
  ) {
    this.#call = client.produceStream();
    this.#call.on('data', (res: ProduceStreamResponse__Output) => {
      const p = this.#pending.get(res.correlationId);
      if (p === undefined) return;
      this.#pending.delete(res.correlationId);
      if (res.errorCode !== 0) p.reject(TributaryError.fromCode(res.errorCode, res.errorMessage));
      else p.resolve(res.response ?? { topics: [] });
      this.onSettled();
    });
    const broken = (why: string) => {
      if (this.#broken) return;
      this.#broken = true;
      const err = new TributaryError('BROKER_NOT_AVAILABLE', `produce stream to ${address} broke: ${why}`);
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const p of pending) p.reject(err);
      this.onSettled();
    };
    this.#call.on('error', (e: Error) => broken(e.message));
    this.#call.on('end', () => broken('ended by the broker'));
  }

  get broken(): boolean {
    return this.#broken;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Requests that can be sent now. */
  get room(): number {
    return this.#broken ? 0 : Math.max(0, this.maxInFlight - this.#pending.size);
  }

  canSend(): boolean {
    return !this.#broken && this.#pending.size < this.maxInFlight;
  }

  send(request: ProduceRequest): Promise<ProduceResponse__Output> {
    if (this.#broken)
      return Promise.reject(
        new TributaryError('BROKER_NOT_AVAILABLE', `produce stream to ${this.address} is broken`),
      );
    const id = String(this.#next++);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#call.write({ correlationId: id, request });
    });
  }

  close(): void {
    if (!this.#broken) {
      this.#broken = true;
      this.#call.end();
      this.#call.cancel();
    }
  }
}
