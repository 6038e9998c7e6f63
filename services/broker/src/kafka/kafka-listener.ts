/**
 * The broker's Kafka listener (ARCHITECTURE §8c): a TCP server speaking Kafka's binary protocol,
 * a second front door onto the same partition logs, controller metadata and group coordinator as
 * the gRPC services. Each accepted socket is a KafkaConnection; this only accepts and closes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket, type Server as TlsServer } from 'node:tls';
import { type ServerTlsOptions, watchServerTls } from '@tributary/service-kit';
import { type ConnectionLogger, KafkaConnection, type KafkaConnectionObserver } from './kafka-connection';
import { type KafkaAuthentication, KafkaSession } from './sasl/kafka-session';
import type { ServedApi } from './served-api';

export interface KafkaListenerOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly served: ReadonlyMap<number, ServedApi>;
  readonly maxFrameBytes: number;
  readonly logger: ConnectionLogger;
  /** Told of every response written (request duration and bytes by API). */
  readonly observer?: KafkaConnectionObserver;
  /** Serve over TLS from these files (the broker's gRPC listener's), following their changes. */
  readonly tls?: ServerTlsOptions;
  /** Require every connection to authenticate (SASL, or a verified client certificate). */
  readonly authentication?: KafkaAuthentication;
}

export class KafkaListener {
  #server: Server | undefined;
  #stopWatching: (() => void) | undefined;
  readonly #connections = new Set<KafkaConnection>();

  constructor(private readonly options: KafkaListenerOptions) {}

  /** Binds and starts accepting; resolves with the bound port. */
  async start(): Promise<number> {
    const accept = (socket: Socket) => {
      const connection = new KafkaConnection({
        socket,
        served: this.options.served,
        maxFrameBytes: this.options.maxFrameBytes,
        logger: this.options.logger,
        observer: this.options.observer,
        session: new KafkaSession(this.options.authentication, certificatePrincipal(socket)),
      });
      this.#connections.add(connection);
      socket.on('close', () => this.#connections.delete(connection));
    };
    let server: Server;
    if (this.options.tls) {
      let tlsServer: TlsServer | undefined;
      const watch = watchServerTls(this.options.tls, (context) => tlsServer?.setSecureContext(context));
      this.#stopWatching = watch.stop;
      tlsServer = createTlsServer(watch.options, accept);
      // A failed handshake (a plaintext client, a refused certificate) ends that socket only.
      tlsServer.on('tlsClientError', (err) =>
        this.options.logger.debug({ err: err.message }, 'kafka TLS handshake failed'),
      );
      server = tlsServer;
    } else server = createServer(accept);
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
    this.#stopWatching?.();
    for (const c of this.#connections) c.close();
    this.#connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** `User:<CN>` of a verified TLS client certificate (mutual TLS), as the gRPC listener names it. */
function certificatePrincipal(socket: Socket): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return typeof name === 'string' && name.length > 0 ? `User:${name}` : undefined;
}
