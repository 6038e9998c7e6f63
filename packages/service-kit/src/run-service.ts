import { InvalidConfigError } from '@tributary/errors';
import { commonSettings } from './common-settings';
import { type ConfigOf, loadConfig, type Settings } from './config';
import { type Step, startSteps } from './lifecycle';
import { createLogger, type Logger } from './logger';

export type CommonSettings = typeof commonSettings;

/** What a service's composition root hands to `runService`. */
export interface ServiceSpec<S extends Settings> {
  /** `broker`, `controller` or `group-coordinator`. */
  readonly service: string;
  /** The service's own settings; the common ones (etcd, cluster, host, logging) are added. */
  readonly settings: S;
  /** The instance id logged on every line (broker id, controller id, ...). */
  instanceId(config: ConfigOf<S & CommonSettings>): string;
  /** The ordered start-up steps. */
  steps(context: ServiceContext<S>): readonly Step[] | Promise<readonly Step[]>;
}

export interface ServiceContext<S extends Settings> {
  readonly config: ConfigOf<S & CommonSettings>;
  readonly logger: Logger;
  /** Ends the process through the same orderly shutdown as SIGTERM (e.g. after losing a lease for good). */
  shutdown(reason: string, exitCode: number): void;
}

/**
 * The one bootstrap of every service: parse configuration once, start the steps in order, stop
 * them in reverse on SIGTERM/SIGINT and exit 0. A configuration error exits 2 and a start-up
 * failure exits 1, each with a one-line reason on stderr.
 */
export async function runService<S extends Settings>(
  spec: ServiceSpec<S>,
  argv: readonly string[] = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const settings = { ...commonSettings, ...spec.settings } as S & CommonSettings;
  let config: ConfigOf<S & CommonSettings>;
  try {
    config = loadConfig(settings, { argv, env });
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err;
    process.stderr.write(`tributary-${spec.service}: ${err.message}\n`);
    process.exit(2);
  }
  const logger = createLogger({
    service: spec.service,
    instance: spec.instanceId(config),
    level: config['log.level'] as string,
  });

  let stopAll: (() => Promise<void>) | undefined;
  let pending: { reason: string; exitCode: number } | undefined;
  let exiting = false;
  const finish = (reason: string, exitCode: number, stop: () => Promise<void>) => {
    if (exiting) return;
    exiting = true;
    logger.info({ reason }, 'shutting down');
    void stop().then(() => {
      logger.info({ exitCode }, 'stopped');
      process.exit(exitCode);
    });
  };
  // A signal during start-up waits until the steps have started, then stops them all.
  const shutdown = (reason: string, exitCode: number) => {
    if (stopAll) finish(reason, exitCode, stopAll);
    else pending ??= { reason, exitCode };
  };
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));

  try {
    const steps = await spec.steps({ config, logger, shutdown });
    const started = await startSteps(steps, logger, config['shutdown.timeout.ms'] as number);
    stopAll = started.stop;
  } catch (err) {
    process.stderr.write(`tributary-${spec.service}: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  logger.info('started');
  if (pending) finish(pending.reason, pending.exitCode, stopAll);
}
