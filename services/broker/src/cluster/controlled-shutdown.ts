/**
 * Controlled shutdown (Kafka's): before a broker stops serving, it asks the active controller to
 * move leadership of every partition it leads to another in-sync replica, then waits until it
 * has itself stepped down from those partitions (so producers get NOT_LEADER_OR_FOLLOWER with the
 * new leader, not a dropped connection), all bounded by `timeoutMs`. A partition with no other
 * in-sync replica (RF=1) stays led until the broker stops, as before. Any failure (no controller,
 * the controller unreachable, the time up) only makes the stop an uncontrolled one: the lease
 * revoke that follows still moves leadership, a few hundred milliseconds later.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { fromGrpcError, TributaryError } from '@tributary/errors';
import { type ControlledShutdownResponse__Output, createClient } from '@tributary/proto';

export interface ControlledShutdownOptions {
  readonly brokerId: number;
  /** `host:port` of the active controller, if one is known. */
  controllerAddress(): string | undefined;
  /** Partitions this broker leads right now (its replica manager's view). */
  ledPartitions(): { topic: string; partition: number }[];
  readonly timeoutMs: number;
  /** Transport of the link to the controller (`ServiceContext.transport.links`). */
  readonly credentials: ChannelCredentials;
  readonly logger: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
}

/** Runs a controlled shutdown; never throws (a failed one is logged and the stop goes on). */
export async function controlledShutdown(options: ControlledShutdownOptions): Promise<void> {
  const t0 = Date.now();
  const deadline = t0 + options.timeoutMs;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, Math.min(ms, deadline - Date.now())));
  const led = options.ledPartitions();
  if (led.length === 0 || options.timeoutMs <= 0) return;
  let answer: ControlledShutdownResponse__Output | undefined;
  let lastError = 'no active controller known';
  while (!answer && Date.now() < deadline) {
    const address = options.controllerAddress();
    if (!address) {
      await pause(100);
      continue;
    }
    const client = createClient('ControllerService', address, { credentials: options.credentials });
    try {
      answer = await new Promise<ControlledShutdownResponse__Output>((resolve, reject) =>
        client.ControlledShutdown(
          { brokerId: options.brokerId },
          { deadline: new Date(deadline) },
          (err, res) => (err ? reject(fromGrpcError(err)) : resolve(res!)),
        ),
      );
    } catch (err) {
      lastError = (err as Error).message;
      if (err instanceof TributaryError && err.errorName === 'BROKER_NOT_AVAILABLE') break;
      await pause(200);
    } finally {
      client.close();
    }
  }
  if (!answer) {
    options.logger.warn(
      { partitions: led.length, ms: Date.now() - t0, err: lastError },
      'controlled shutdown failed; stopping anyway',
    );
    return;
  }
  const kept = new Set(answer.remaining.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p}`)));
  const stillLeading = () =>
    options.ledPartitions().filter(({ topic, partition }) => !kept.has(`${topic}/${partition}`));
  // The controller's writes reach this broker through its metadata watch: step down first.
  while (stillLeading().length > 0 && Date.now() < deadline) await pause(20);
  options.logger.info(
    {
      moved: answer.moved,
      kept: kept.size,
      stillLeading: stillLeading().length,
      ms: Date.now() - t0,
    },
    'controlled shutdown done',
  );
}
