import * as net from 'node:net';

/**
 * A TCP proxy in front of one server whose path can go dead silently, as a cut link or a
 * blackhole route makes it: `cut()` makes every connection, open or new, swallow what either
 * side sends, with no reset and no close, so nothing tells the client its calls will never be
 * answered. `restore()` forwards new connections again; connections opened before the cut stay
 * dead, the worst case of a path whose TCP retransmissions have backed off for minutes.
 */
export class BlackholeProxy {
  private cutOff = false;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    /** `host:port` clients connect to. */
    readonly address: string,
  ) {}

  static async start(target: { host: string; port: number }): Promise<BlackholeProxy> {
    let proxy: BlackholeProxy | undefined;
    const server = net.createServer((client) => proxy?.accept(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    proxy = new BlackholeProxy(server, `127.0.0.1:${port}`);
    return proxy;
  }

  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) swallow(s);
  }

  restore(): void {
    this.cutOff = false;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, target: { host: string; port: number }): void {
    this.track(client);
    if (this.cutOff) {
      swallow(client);
      return;
    }
    const upstream = net.connect(target.port, target.host);
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }
}

/** Stops forwarding and reads (and drops) whatever arrives; the socket stays open. */
function swallow(socket: net.Socket): void {
  socket.unpipe();
  socket.removeAllListeners('data');
  socket.on('data', () => undefined);
  socket.resume();
}
