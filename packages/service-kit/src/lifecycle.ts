import type { Logger } from './logger';

/**
 * One start-up step of a service's composition root (proglog's agent): started in order,
 * stopped in reverse. `stop` must be safe to call once after a successful `start`.
 */
export interface Step {
  readonly name: string;
  start(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

/**
 * Starts `steps` in order. If one fails, the ones already started are stopped in reverse and the
 * error is rethrown. Returns how long each step took to start (ms, by name; the service logs
 * them with its `started` line, so a slow start says which step it spent its time in) and an
 * idempotent `stop` that stops every started step in reverse, each
 * bounded by `timeoutMs` in total, logging (not throwing) failures so every step gets its turn.
 */
export async function startSteps(
  steps: readonly Step[],
  logger: Logger,
  timeoutMs: number,
): Promise<{ stop: () => Promise<void>; stepMs: Record<string, number> }> {
  const started: Step[] = [];
  const stepMs: Record<string, number> = {};
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopInReverse(started, logger, timeoutMs);
    return stopping;
  };
  for (const step of steps) {
    const t0 = performance.now();
    try {
      await step.start();
    } catch (err) {
      logger.error({ step: step.name, err }, 'start-up step failed');
      await stop();
      throw err;
    }
    started.push(step);
    stepMs[step.name] = Math.round(performance.now() - t0);
    logger.debug({ step: step.name, ms: stepMs[step.name] }, 'started');
  }
  return { stop, stepMs };
}

async function stopInReverse(started: readonly Step[], logger: Logger, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const step of [...started].reverse()) {
    if (!step.stop) continue;
    const remaining = Math.max(0, deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), remaining);
    });
    try {
      const outcome = await Promise.race([
        Promise.resolve(step.stop()).then(() => 'done' as const),
        timedOut,
      ]);
      if (outcome === 'timeout') logger.warn({ step: step.name }, 'stop timed out');
    } catch (err) {
      logger.error({ step: step.name, err }, 'stop failed');
    } finally {
      clearTimeout(timer);
    }
  }
}
