// The cases of bench:vs-kafka, the same list for both systems, and how one system runs them:
// throughput with one and with four producers (100 B and 1 KiB records; RF=1 acks=1 and
// RF=3 acks=all), consuming what was just written (from the page cache), and end-to-end latency
// at a fixed rate. Each case also records the CPU seconds and peak RSS of the system's servers
// and of its client processes.
import { machineCpu, serverUsage, sumUsage } from './proc-usage.mjs';

export const SETUPS = [
  { name: 'RF=1 acks=1', replicationFactor: 1, acks: '1' },
  { name: 'RF=3 acks=all', replicationFactor: 3, acks: 'all' },
];

/**
 * The case list. `recordsFor(size)` is the record count of a one-producer run; four producers
 * send half that each (so each runs about as long as the single one, and their start-up skew
 * matters little); the consume case reads the RF=1 one-producer topic back.
 */
export function planCases({ sizes, recordsFor, partitions, rate, e2eSeconds, warmup }) {
  const cases = [];
  for (const recordSize of sizes) {
    const records = recordsFor(recordSize);
    for (const setup of SETUPS) {
      const common = { recordSize, setup, partitions };
      cases.push({
        ...common,
        kind: 'produce',
        producers: 1,
        records,
        name: `produce ${recordSize} B, ${setup.name}, 1 producer`,
      });
      cases.push({
        ...common,
        kind: 'produce',
        producers: 4,
        records: Math.ceil(records / 2),
        name: `produce ${recordSize} B, ${setup.name}, 4 producers`,
      });
      cases.push({
        ...common,
        kind: 'end-to-end',
        partitions: 1,
        records: rate * e2eSeconds,
        rate,
        warmup,
        name: `end-to-end ${recordSize} B, ${setup.name}, ${rate} records/s`,
      });
    }
    cases.push({
      kind: 'consume',
      recordSize,
      records,
      readsFrom: `produce ${recordSize} B, ${SETUPS[0].name}, 1 producer`,
      name: `consume ${recordSize} B from page cache`,
    });
  }
  return cases;
}

const topicName = (c, run) => `vsk-${run}-${c.name.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-$/, '')}`;

/**
 * Runs every case on one system (`tools`: kafka-perf.mjs or tributary-perf.mjs) whose server
 * processes are `serverPids`; `onCase(c)` before each. Returns figures by case name.
 */
export async function runCases({ tools, serverPids, cases, onCase }) {
  const run = Date.now().toString(36);
  const results = new Map();
  const topics = new Map();
  for (const c of cases) {
    onCase(c);
    let topic = topics.get(c.readsFrom);
    if (c.kind !== 'consume') {
      topic = topicName(c, run);
      await tools.createTopic(topic, c.partitions, c.setup.replicationFactor);
      topics.set(c.name, topic);
    }
    const servers = serverUsage(serverPids);
    const machine = machineCpu();
    servers.start();
    machine.start();
    let figures;
    if (c.kind === 'produce') {
      const runs = await Promise.all(
        Array.from({ length: c.producers }, () =>
          tools.produce({ topic, records: c.records, recordSize: c.recordSize, acks: c.setup.acks }),
        ),
      );
      // Four producers: the sum of their own rates (each times only its sending).
      const recordsPerSec = runs.reduce((s, r) => s + r.recordsPerSec, 0);
      figures = {
        records: runs.reduce((s, r) => s + r.records, 0),
        recordsPerSec,
        mbPerSec: (recordsPerSec * c.recordSize) / 1e6,
        clients: sumUsage(runs),
      };
    } else if (c.kind === 'consume') {
      const r = await tools.consume({ topic, records: c.records });
      figures = {
        records: r.records,
        recordsPerSec: r.recordsPerSec,
        mbPerSec: (r.recordsPerSec * c.recordSize) / 1e6,
        clients: sumUsage([r]),
      };
    } else {
      const r = await tools.endToEnd({
        topic,
        records: c.records,
        recordSize: c.recordSize,
        rate: c.rate,
        acks: c.setup.acks,
        warmup: c.warmup,
      });
      figures = {
        samples: r.records,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        p999Ms: r.p999Ms,
        clients: sumUsage([r]),
      };
    }
    const server = servers.finish();
    const { busySeconds, stealSeconds, coreSeconds } = machine.finish();
    const { clients, ...rest } = figures;
    results.set(c.name, {
      ...rest,
      cpuSeconds: {
        servers: server.cpuSeconds,
        clients: clients.cpuSeconds,
        total: server.cpuSeconds + clients.cpuSeconds,
        // The whole machine over the case: what ran beside it is busy - total; stolen is the
        // hypervisor's (a VM's vCPUs waiting for a host core).
        machineBusy: busySeconds,
        machineStolen: stealSeconds,
        machineCoreSeconds: coreSeconds,
      },
      peakRssMiB: { servers: server.peakRssBytes / 2 ** 20, clients: clients.peakRssBytes / 2 ** 20 },
    });
  }
  return results;
}
