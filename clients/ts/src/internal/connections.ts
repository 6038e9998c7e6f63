/**
 * gRPC clients of brokers' BrokerService, one per address, with GRPC_CHANNEL_OPTIONS (8 MiB
 * HTTP/2 window, 64 MiB messages): the producer's ProduceStreams and the fetcher's fetches
 * share them. grpc-js shares one connection per address and options anyway.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { TributaryError } from '@tributary/errors';
import { type BrokerServiceClient, createClient, type TokenSource } from '@tributary/proto';

export class BrokerConnections {
  readonly #clients = new Map<string, BrokerServiceClient>();
  #closed = false;

  /** `credentials`: the client's transport (`ResolvedClientOptions.credentials`); `token`: the bearer token of every call, if any. */
  constructor(
    private readonly credentials: ChannelCredentials,
    private readonly token?: TokenSource,
  ) {}

  get(address: string): BrokerServiceClient {
    if (this.#closed) throw new TributaryError('BROKER_NOT_AVAILABLE', 'the client is closed');
    let c = this.#clients.get(address);
    if (c === undefined) {
      c = createClient('BrokerService', address, {
        credentials: this.credentials,
        ...(this.token ? { token: this.token } : {}),
      });
      this.#clients.set(address, c);
    }
    return c;
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
