/**
 * Flag parsing shared by every command of the table (commands/): node:util's parseArgs with the
 * flags every command takes, and the value parsers (integers, acks, compression, key=value
 * configs, timestamps) whose errors are UsageErrors the CLI prints as one line, exit status 2.
 */
import { parseArgs } from 'node:util';
import type { ClientTlsOptions } from '@tributary/proto';
import { DEFAULT_BOOTSTRAP } from '../options';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` on a sub-command. */
export class HelpRequested extends Error {
  constructor(readonly command: string) {
    super(`help for ${command}`);
  }
}

export type Acks = 0 | 1 | -1;
export type Compression = 'none' | 'gzip' | 'lz4' | 'zstd';

/** Flags every command takes. */
export interface Common {
  bootstrap: string[];
  json: boolean;
  /** From --tls / --tls-ca-file / --tls-cert-file / --tls-key-file; absent when none is given. */
  tls?: ClientTlsOptions;
  /** From --token: the bearer token of every call (else TRIBUTARY_TOKEN); absent when none is given. */
  token?: string;
}

/** A command's own flags, as parseArgs takes them. */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** Flags every command takes (completion lists them too). */
export const COMMON_FLAGS: FlagSpec = {
  bootstrap: { type: 'string', multiple: true },
  'bootstrap-server': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  tls: { type: 'boolean' },
  'tls-ca-file': { type: 'string' },
  'tls-cert-file': { type: 'string' },
  'tls-key-file': { type: 'string' },
  'tls-server-name': { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * The client's TLS from --tls (public roots), --tls-ca-file, --tls-cert-file, --tls-key-file and
 * --tls-server-name, or from TRIBUTARY_TLS_CA_FILE / _CERT_FILE / _KEY_FILE / _SERVER_NAME;
 * undefined when none is set (plaintext).
 */
export function tlsOptions(values: {
  tls?: boolean;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  serverName?: string | undefined;
}): ClientTlsOptions | undefined {
  const files = {
    ...(values.serverName ? { serverName: values.serverName } : {}),
    ...(values.caFile ? { caFile: values.caFile } : {}),
    ...(values.certFile ? { certFile: values.certFile } : {}),
    ...(values.keyFile ? { keyFile: values.keyFile } : {}),
  };
  return values.tls === true || Object.keys(files).length > 0 ? files : undefined;
}

/** The parsed flags and positionals of one command line. */
export interface ParsedFlags {
  readonly common: Common;
  readonly positionals: string[];
  str(name: string): string | undefined;
  bool(name: string): boolean;
  list(name: string): string[] | undefined;
  /** Whether stderr is a terminal (progress bars). */
  readonly isTTY: boolean;
}

/** `--shift-by -3` -> `--shift-by=-3`: parseArgs would take a negative number for a flag. */
function joinNegativeValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * Parses the arguments of command `name` against its flags and the common ones; without
 * --bootstrap, the bootstrap list is `defaultBootstrap` (TRIBUTARY_BOOTSTRAP, else 127.0.0.1:9092).
 */
export function parseFlags(
  name: string,
  args: readonly string[],
  flags: FlagSpec,
  isTTY: boolean,
  defaultBootstrap: readonly string[] = [DEFAULT_BOOTSTRAP],
): ParsedFlags {
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(args),
      options: { ...COMMON_FLAGS, ...flags },
      allowPositionals: true,
      strict: true,
    });
    const v = values as Record<string, string | boolean | string[] | undefined>;
    if (v['help'] === true) throw new HelpRequested(name);
    const bootstrap = [
      ...((v['bootstrap'] as string[] | undefined) ?? []),
      ...((v['bootstrap-server'] as string[] | undefined) ?? []),
    ].flatMap((b) => b.split(','));
    const tls = tlsOptions({
      tls: v['tls'] === true,
      caFile: v['tls-ca-file'] as string | undefined,
      certFile: v['tls-cert-file'] as string | undefined,
      keyFile: v['tls-key-file'] as string | undefined,
      serverName: v['tls-server-name'] as string | undefined,
    });
    return {
      common: {
        bootstrap: bootstrap.length > 0 ? bootstrap : [...defaultBootstrap],
        json: v['json'] === true,
        ...(tls === undefined ? {} : { tls }),
        ...(typeof v['token'] === 'string' ? { token: v['token'] } : {}),
      },
      positionals,
      str: (k) => v[k] as string | undefined,
      bool: (k) => v[k] === true,
      list: (k) => v[k] as string[] | undefined,
      isTTY,
    };
  } catch (err) {
    if (err instanceof HelpRequested) throw err;
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see: tributary ${name} --help)`);
  }
}

export function int(
  name: string,
  text: string | undefined,
  min = Number.MIN_SAFE_INTEGER,
): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${name} must be an integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got ${text}`);
  return n;
}

export function acks(text: string | undefined): Acks {
  if (text === undefined || text === 'all' || text === '-1') return -1;
  if (text === '0') return 0;
  if (text === '1') return 1;
  throw new UsageError(`--acks must be 0, 1 or all, got "${text}"`);
}

export function compression(text: string | undefined): Compression {
  const c = text ?? 'none';
  if (c === 'none' || c === 'gzip' || c === 'lz4' || c === 'zstd') return c;
  throw new UsageError(`--compression must be none, gzip, lz4 or zstd, got "${c}"`);
}

export function configs(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--config takes key=value, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export function timestamp(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new UsageError(`--${name} must be an ISO date-time or ms since the epoch, got "${text}"`);
  return ms;
}

/** The one positional argument, or a UsageError quoting `usage`. */
export function one(positionals: string[], what: string, usage: string): string {
  const [first, ...rest] = positionals;
  if (first === undefined) throw new UsageError(`missing ${what}: ${usage}`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}": ${usage}`);
  return first;
}

/** `{ [key]: value }`, or `{}` when value is undefined (for optional fields under exactOptionalPropertyTypes). */
export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
