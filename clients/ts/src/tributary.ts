/**
 * The entry point: `new Tributary({ bootstrap })`, then `.producer()`, `.consumer()`,
 * `.admin()`. One Tributary shares its gRPC connections and metadata among everything it
 * creates; `close()` disconnects them all.
 */
import { Admin } from './admin/admin';
import { Consumer } from './consumer/consumer';
import { consumerWithDefaults } from './consumer/consumer-options';
import { Fetcher } from './consumer/fetcher';
import type { ConsumerOptions } from './consumer/types';
import { type ClientOptions, type ResolvedClientOptions, withDefaults } from './options';
import { Producer } from './producer/producer';
import type { ProducerOptions } from './producer/types';
import { Cluster } from './rpc/cluster';

export class Tributary {
  /** The options in effect, defaults filled in. */
  readonly options: ResolvedClientOptions;
  private readonly cluster: Cluster;
  private readonly consumers = new Set<Consumer<unknown, unknown>>();
  private readonly producers = new Set<Producer>();

  constructor(options: ClientOptions = {}) {
    this.options = withDefaults(options);
    this.cluster = new Cluster(this.options);
  }

  /** The admin client (topics, configs, cluster, groups). */
  admin(): Admin {
    return new Admin(this.cluster);
  }

  /** A producer sharing this client's metadata and controller routing. */
  producer(options: ProducerOptions = {}): Producer {
    const producer = new Producer({
      clientId: this.options.clientId,
      ...(this.options.meterProvider === undefined ? {} : { meterProvider: this.options.meterProvider }),
      ...options,
      credentials: this.options.credentials,
      metadata: (topics) => this.cluster.metadata(topics),
      controller: (call) => this.cluster.controller(call),
      ...(this.options.token ? { token: this.options.token } : {}),
    });
    this.producers.add(producer);
    return producer;
  }

  /** A consumer; `K` and `V` follow the deserializers (Buffer by default). */
  consumer<K = Buffer, V = Buffer>(options: ConsumerOptions<K, V> = {}): Consumer<K, V> {
    const resolved = consumerWithDefaults(options);
    const consumer = new Consumer<K, V>(
      this.cluster,
      this.options.clientId,
      resolved,
      () =>
        new Fetcher({
          metadata: (topics) => this.cluster.metadata(topics),
          settings: resolved,
          requestTimeoutMs: this.options.requestTimeoutMs,
          credentials: this.options.credentials,
          ...(this.options.token ? { token: this.options.token } : {}),
        }),
    );
    this.consumers.add(consumer as Consumer<unknown, unknown>);
    return consumer;
  }

  /** Disconnects every consumer created here and closes the connections. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    await Promise.allSettled([...this.producers].map((p) => p.disconnect()));
    this.consumers.clear();
    this.producers.clear();
    this.cluster.close();
  }
}
