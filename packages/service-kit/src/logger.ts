import { traceLogFields } from '@tributary/telemetry';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs to stdout, one object a line, with the service name and instance id on
 * every line, and `trace_id`/`span_id` on lines written inside a span; components log through
 * namespaced children (`logger.child({ component })`).
 */
export function createLogger(options: { service: string; instance: string; level: string }): Logger {
  return pino({
    level: options.level,
    base: { service: options.service, instance: options.instance, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceLogFields,
  });
}
