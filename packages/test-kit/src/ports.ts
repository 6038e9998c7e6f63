import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports this process has handed out already: two nodes of one cluster never get the same one. */
const handedOut = new Set<number>();
const LOWEST = 20000;

/**
 * A TCP port on 127.0.0.1 that is free now, for a process about to listen on it. Chosen below the
 * kernel's ephemeral range (`net.ipv4.ip_local_port_range`), as HashiCorp's freeport does: a port
 * the OS picks for `listen(0)` comes from the range it also gives to the local end of outgoing
 * connections, so between the choice and the service's bind any process's connection could take
 * it ("already in use"; seen in a CI run while a benchmark opened connections). Below that range
 * only a listener can hold a port, and the check sees listeners. Where the range cannot be read,
 * the OS picks.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralLow();
  if (below === undefined || below - LOWEST < 1000) return osPickedPort();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (below - LOWEST));
    if (handedOut.has(port)) continue;
    if (await isPortFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return osPickedPort();
}

function ephemeralLow(): number | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : undefined;
  } catch {
    return undefined;
  }
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on host:port. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
