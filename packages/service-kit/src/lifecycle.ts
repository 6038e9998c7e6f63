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
 * error is rethrown. Returns an idempotent `stop` that stops every started step in reverse, each
 * bounded by `timeoutMs` in total, logging (not throwing) failures so every step gets its turn.
 */
export async function startSteps(
  steps: readonly Step[],
  logger: Logger,
  timeoutMs: number,
): Promise<{ stop: () => Promise<void> }> {
  const started: Step[] = [];
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
    logger.debug({ step: step.name, ms: Math.round(performance.now() - t0) }, 'started');
  }
  return { stop };
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
