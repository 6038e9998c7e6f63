/**
 * `tributary`: the command line. `main(argv)` returns the exit status: 0 on success, 1 on an
 * error (one line on stderr: what failed and what to do), 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientTlsOptions } from '@tributary/proto';
import { describeError } from '../errors';
import { DEFAULT_BOOTSTRAP } from '../options';
import { startClientTracing } from '../telemetry';
import { Tributary } from '../tributary';
import { type Command, HelpRequested, type Invocation, parseInvocation, UsageError } from './args';
import { completionScript } from './completion';
import { tlsOptions } from './flags';
import { HELP } from './help';
import type { MainIO } from './main-io';
import { stdio } from './output';

export type { MainIO } from './main-io';

/** The version of the installed package (the whole set shares one version). */
const VERSION: string = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version;

/** TRIBUTARY_BOOTSTRAP (`host:port[,host:port]`) as the default bootstrap list, else 127.0.0.1:9092. */
function bootstrapFromEnv(value: string | undefined): string[] {
  const list = (value ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  return list.length > 0 ? list : [DEFAULT_BOOTSTRAP];
}

/** How long a command without --timeout-ms keeps retrying retriable errors. */
const CLI_RETRY_TIMEOUT_MS = 15_000;

/** The client's bearer token when the command line gives none. */
type TokenEnv = { readonly TRIBUTARY_TOKEN?: string | undefined };

/** The client's TLS when the command line gives none: TRIBUTARY_TLS_CA_FILE, _CERT_FILE, _KEY_FILE. */
type TlsEnv = {
  readonly TRIBUTARY_TLS_CA_FILE?: string | undefined;
  readonly TRIBUTARY_TLS_CERT_FILE?: string | undefined;
  readonly TRIBUTARY_TLS_KEY_FILE?: string | undefined;
  readonly TRIBUTARY_TLS_SERVER_NAME?: string | undefined;
};

async function run({ command: c, spec }: Invocation, io: MainIO, env: TlsEnv & TokenEnv): Promise<void> {
  if (spec === undefined || c.kind === 'help' || c.kind === 'version' || c.kind === 'completion') return;
  // OpenTelemetry from the standard OTEL_* variables: off unless an exporter is named.
  const tracing = startClientTracing('tributary-cli', process.env);
  const t = new Tributary({
    bootstrap: c.bootstrap,
    clientId: 'tributary-cli',
    // Ride through a leader failover or a dead bootstrap broker for as long as the command
    // waits anyway (its --timeout-ms), else 15 s: then fail with one line.
    retry: { timeoutMs: 'timeoutMs' in c && c.timeoutMs !== undefined ? c.timeoutMs : CLI_RETRY_TIMEOUT_MS },
    requestTimeoutMs: 15_000,
    ...tlsFrom(c.tls, env),
    ...tokenFrom(c.token, env),
  });
  try {
    await spec.run(t, c, io);
  } finally {
    await t.close();
    await tracing.shutdown();
  }
}

function tlsFrom(flags: ClientTlsOptions | undefined, env: TlsEnv): { tls?: ClientTlsOptions } {
  const tls =
    flags ??
    tlsOptions({
      caFile: env.TRIBUTARY_TLS_CA_FILE,
      certFile: env.TRIBUTARY_TLS_CERT_FILE,
      keyFile: env.TRIBUTARY_TLS_KEY_FILE,
      serverName: env.TRIBUTARY_TLS_SERVER_NAME,
    });
  return tls === undefined ? {} : { tls };
}

/** The bearer token: --token, else TRIBUTARY_TOKEN, else none (a cluster without authentication). */
function tokenFrom(flag: string | undefined, env: TokenEnv): { token?: string } {
  const token = (flag ?? env.TRIBUTARY_TOKEN ?? '').trim();
  return token === '' ? {} : { token };
}

/** Runs the CLI; resolves to the exit status. */
export async function main(
  argv: readonly string[],
  io: MainIO = { ...stdio, stdin: process.stdin, isTTY: process.stderr.isTTY === true },
  env: { readonly TRIBUTARY_BOOTSTRAP?: string | undefined } & TlsEnv & TokenEnv = process.env,
): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseInvocation(argv, io.isTTY, bootstrapFromEnv(env.TRIBUTARY_BOOTSTRAP));
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.out(HELP);
      return 0;
    }
    io.err(`tributary: ${(err as Error).message}`);
    return 2;
  }
  const command: Command = invocation.command;
  if (command.kind === 'help') {
    io.out(HELP);
    return 0;
  }
  if (command.kind === 'version') {
    io.out(`tributary ${VERSION}`);
    return 0;
  }
  if (command.kind === 'completion') {
    io.out(completionScript(command.shell));
    return 0;
  }
  try {
    await run(invocation, io, env);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`tributary: ${err.message}`);
      return 2;
    }
    io.err(`tributary: ${describeError(err)}`);
    return 1;
  }
}
