// One pass of the library consumer over a topic: a new consumer assigned every partition from
// the earliest offset, `eachBatch` reading each value's length, until `records` have arrived.
// bench:client's warm case and bench:client-ab's warm-consume process both measure with it.
export async function warmConsumePass(tributary, topic, ranges, records) {
  const consumer = tributary.consumer({
    maxBytes: 8 << 20,
    partitionMaxBytes: 4 << 20,
    maxPrefetchBytes: 64 << 20,
  });
  await consumer.assign(ranges.map((r) => ({ topic, partition: r.partition, offset: r.earliest })));
  let n = 0;
  let bytes = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await new Promise((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
          n += batch.messages.length;
          if (n >= records) resolve();
        },
      })
      .catch(reject);
  });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await consumer.disconnect();
  return { records: n, bytes, seconds, cpuMicros: used.user + used.system };
}
