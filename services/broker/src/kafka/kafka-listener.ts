/**
 * The broker's Kafka listener (ARCHITECTURE §8c): a TCP server speaking Kafka's binary protocol,
 * a second front door onto the same partition logs, controller metadata and group coordinator as
 * the gRPC services. Each accepted socket is a KafkaConnection; this only accepts and closes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { type ConnectionLogger, KafkaConnection } from './kafka-connection';
import type { ServedApi } from './served-api';

export interface KafkaListenerOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly served: ReadonlyMap<number, ServedApi>;
  readonly maxFrameBytes: number;
  readonly logger: ConnectionLogger;
}

export class KafkaListener {
  #server: Server | undefined;
  readonly #connections = new Set<KafkaConnection>();

  constructor(private readonly options: KafkaListenerOptions) {}

  /** Binds and starts accepting; resolves with the bound port. */
  async start(): Promise<number> {
    const server = createServer((socket: Socket) => {
      const connection = new KafkaConnection({
        socket,
        served: this.options.served,
        maxFrameBytes: this.options.maxFrameBytes,
        logger: this.options.logger,
      });
      this.#connections.add(connection);
      socket.on('close', () => this.#connections.delete(connection));
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  /** Stops accepting and closes every connection. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const c of this.#connections) c.close();
    this.#connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
