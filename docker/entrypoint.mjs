// The image's entrypoint: `<command> [args...]` runs one part of Tributary in this same Node
// process (PID 1), so SIGTERM from the container runtime reaches the service's own handler and
// its controlled shutdown runs. Commands:
//   broker | controller | group-coordinator   a service (its flags and TRIBUTARY_* variables as usual)
//   tributary | cli                            the command line
//   node-zone                                  writes this pod's node zone label to a file (see node-zone.mjs)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';

const require = createRequire(import.meta.url);
const services = {
  broker: '../services/broker/dist/main.js',
  controller: '../services/controller/dist/main.js',
  'group-coordinator': '../services/group-coordinator/dist/main.js',
};
const usage =
  'usage: <broker|controller|group-coordinator|tributary|node-zone> [args...] (see docs/kubernetes.md)';

const [command, ...args] = process.argv.slice(2);
// Every part reads its arguments from process.argv.slice(2), as if started directly.
process.argv = [process.argv[0], command ?? '', ...args];

if (command in services) {
  // The broker's rack can come from a file an init container wrote (the node's zone, which the
  // downward API cannot read). An explicit TRIBUTARY_RACK or --rack still wins.
  const rackFile = process.env.BROKER_RACK_FILE;
  if (command === 'broker' && rackFile && !process.env.TRIBUTARY_RACK) {
    const rack = readFileSync(rackFile, 'utf8').trim();
    if (rack) process.env.TRIBUTARY_RACK = rack;
  }
  // External access gives each broker of a StatefulSet its own address, while every pod shares
  // one template: the chart passes the whole list, and each pod takes the entry at its ordinal.
  if (command === 'broker') {
    pickByOrdinal('BROKER_ADVERTISED_HOSTS', 'TRIBUTARY_ADVERTISED_HOST');
    pickByOrdinal('BROKER_ADVERTISED_PORTS', 'TRIBUTARY_ADVERTISED_PORT');
    // The Kafka listener is advertised at the same external host, at its own (per-broker) port.
    pickByOrdinal('BROKER_KAFKA_ADVERTISED_PORTS', 'BROKER_KAFKA_ADVERTISED_PORT');
    const kafkaPort = process.env.BROKER_KAFKA_ADVERTISED_PORT;
    const host = process.env.TRIBUTARY_ADVERTISED_HOST;
    if (kafkaPort && host && !process.env.TRIBUTARY_KAFKA_ADVERTISED_LISTENER) {
      process.env.TRIBUTARY_KAFKA_ADVERTISED_LISTENER = `${host}:${kafkaPort}`;
    }
  }
  require(services[command]);
} else if (command === 'tributary' || command === 'cli') {
  require('../clients/ts/bin/tributary.js');
} else if (command === 'node-zone') {
  const { writeNodeZone } = await import('./node-zone.mjs');
  process.exitCode = await writeNodeZone(args);
} else {
  process.stderr.write(`tributary image: unknown command ${JSON.stringify(command ?? '')}\n${usage}\n`);
  process.exitCode = 2;
}

/** Sets `target` to the entry of the comma list in `source` at this pod's host name ordinal. */
function pickByOrdinal(source, target) {
  const list = process.env[source];
  if (!list) return;
  const ordinal = /-(\d+)$/.exec(hostname());
  const entry = ordinal ? list.split(',')[Number(ordinal[1])]?.trim() : undefined;
  if (!entry) {
    process.stderr.write(
      `tributary image: ${source} has no entry for host ${hostname()} (ordinal ${ordinal?.[1] ?? 'none'})\n`,
    );
    process.exit(2);
  }
  process.env[target] = entry;
}
