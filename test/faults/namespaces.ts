/**
 * Network namespaces for the fault suite (iproute2, as root). Every service gets its own
 * namespace with one veth whose other end sits on a bridge in the root namespace; the suite's
 * clients (producers, consumers, admin) run in the root namespace and reach every service
 * through the bridge, as clients on another machine would.
 *
 *   root ns: bridge trf-br0 10.231.0.1/24 ── veth trf-v<name> ══ eth0 10.231.0.<n> in ns trf-<name>
 *
 * Faults on links use what this kernel has (checked: no netem, no u32/matchall classifiers):
 * a link is cut with `ip link set down` on its host-side veth, one path is cut with a blackhole
 * route inside a namespace, and a slow, lossy link is a token bucket (tbf) with a short queue,
 * which delays what it queues and drops what overflows.
 */
import { execFileSync } from 'node:child_process';

/** Every name this suite creates starts with this, so leftovers can be found and removed. */
export const PREFIX = 'trf-';
export const BRIDGE = 'trf-br0';
export const SUBNET_PREFIX = '10.231.0';
export const HOST_ADDRESS = `${SUBNET_PREFIX}.1`;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function tc(...args: string[]): string {
  return execFileSync('tc', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function quietly(run: () => unknown): void {
  try {
    run();
  } catch {
    // already gone
  }
}

/** Stops with the exact reason when the suite cannot create namespaces here. */
export function checkNamespacesAvailable(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the fault suite creates network namespaces and mounts tmpfs: run it as root');
  }
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    execFileSync('tc', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('iproute2 is missing. Run: apt-get install -y iproute2');
  }
}

/** Removes namespaces and links with this suite's prefix left by an earlier run. */
export function removeLeftovers(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0];
    if (name?.startsWith(PREFIX)) quietly(() => ip('netns', 'del', name));
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name?.startsWith(PREFIX)) quietly(() => ip('link', 'del', name));
  }
}

/** Creates the bridge the namespaces hang off, with the host's address on it. */
export function createBridge(): void {
  ip('link', 'add', BRIDGE, 'type', 'bridge');
  ip('addr', 'add', `${HOST_ADDRESS}/24`, 'dev', BRIDGE);
  ip('link', 'set', BRIDGE, 'up');
}

/** One service's namespace: its name, its address and the host-side end of its link. */
export class Namespace {
  readonly ns: string;
  readonly hostVeth: string;
  readonly address: string;

  constructor(
    readonly name: string,
    hostNumber: number,
  ) {
    this.ns = `${PREFIX}${name}`;
    this.hostVeth = `trf-v${name}`.slice(0, 15);
    this.address = `${SUBNET_PREFIX}.${hostNumber}`;
  }

  create(): void {
    ip('netns', 'add', this.ns);
    ip('link', 'add', this.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns);
    ip('link', 'set', this.hostVeth, 'master', BRIDGE);
    ip('link', 'set', this.hostVeth, 'up');
    this.exec('ip', 'link', 'set', 'lo', 'up');
    this.exec('ip', 'addr', 'add', `${this.address}/24`, 'dev', 'eth0');
    this.exec('ip', 'link', 'set', 'eth0', 'up');
  }

  /** The argv prefix that runs a command inside this namespace. */
  wrap(command: string, args: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.ns, command, ...args]];
  }

  exec(command: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.ns, command, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Cuts or restores this service's only link (to everyone). */
  setLink(up: boolean): void {
    ip('link', 'set', this.hostVeth, up ? 'up' : 'down');
  }

  /** Drops everything this service sends to `addresses` (a one-sided cut: replies never leave). */
  blackhole(addresses: readonly string[]): void {
    for (const a of addresses) this.exec('ip', 'route', 'replace', 'blackhole', `${a}/32`);
  }

  /** Removes every blackhole route added here. */
  clearBlackholes(): void {
    for (const line of this.exec('ip', 'route', 'show', 'type', 'blackhole').split('\n')) {
      const target = line.trim().split(/\s+/)[1];
      if (target) quietly(() => this.exec('ip', 'route', 'del', 'blackhole', target));
    }
  }

  destroy(): void {
    quietly(() => ip('link', 'del', this.hostVeth));
    quietly(() => ip('netns', 'del', this.ns));
  }
}

/**
 * Makes the link from the clients (the root namespace) to every service slow and lossy: a token
 * bucket on the bridge's egress, the path every client packet takes. `rate` and `latency` are
 * tc's units (e.g. '2mbit', '40ms'): packets wait up to `latency` in the queue and drop beyond it.
 */
export function degradeClientLink(rate: string, latency: string): void {
  tc('qdisc', 'replace', 'dev', BRIDGE, 'root', 'tbf', 'rate', rate, 'burst', '16kb', 'latency', latency);
}

export function restoreClientLink(): void {
  quietly(() => tc('qdisc', 'del', 'dev', BRIDGE, 'root'));
}

/** Tears down the bridge (namespaces are destroyed one by one by their owners). */
export function removeBridge(): void {
  quietly(() => ip('link', 'del', BRIDGE));
}
