import { InvalidConfigError } from '@tributary/errors';

/**
 * Declared configuration (Kafka's ConfigDef, liftbridge's config.go): every setting has a key,
 * a type, a default, a validator and a doc line; it is read from `--key value` / `--key=value`
 * flags or the environment variable `TRIBUTARY_<KEY>` (dots and dashes become underscores),
 * flags winning. Unknown flags, unknown `TRIBUTARY_*` variables and bad values stop start-up
 * with a message naming the setting. `docs/configuration.md` is generated from these
 * declarations (`npm run docs:config`).
 */
export interface SettingSpec<T> {
  readonly type: string;
  readonly doc: string;
  /** Absent: the setting is required. */
  readonly default?: T;
  parse(raw: string): T;
  /** Returns a problem description, or undefined when the value is fine. */
  validate?(value: T): string | undefined;
}

export type Settings = Readonly<Record<string, SettingSpec<unknown>>>;
export type ConfigOf<S extends Settings> = {
  readonly [K in keyof S]: S[K] extends SettingSpec<infer T> ? T : never;
};

type Options<T> = { doc: string; default?: T; validate?: (value: T) => string | undefined };

function integer(raw: string): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`"${raw}" is not an integer`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`"${raw}" is out of range`);
  return value;
}

/** Builders for settings of each type. */
export const setting = {
  string: (o: Options<string>): SettingSpec<string> => ({ type: 'string', ...o, parse: (raw) => raw }),
  int: (o: Options<number> & { min?: number; max?: number }): SettingSpec<number> => ({
    type: 'int',
    ...o,
    parse: integer,
    validate: (v) => {
      if (o.min !== undefined && v < o.min) return `must be at least ${o.min}`;
      if (o.max !== undefined && v > o.max) return `must be at most ${o.max}`;
      return o.validate?.(v);
    },
  }),
  port: (o: Options<number>): SettingSpec<number> => ({
    type: 'port',
    ...o,
    parse: integer,
    validate: (v) => (v >= 0 && v <= 65535 ? undefined : `${v} is not a TCP port (0-65535)`),
  }),
  boolean: (o: Options<boolean>): SettingSpec<boolean> => ({
    type: 'boolean',
    ...o,
    parse: (raw) => {
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new Error(`"${raw}" is not a boolean (true or false)`);
    },
  }),
  list: (o: Options<string[]>): SettingSpec<string[]> => ({
    type: 'list',
    ...o,
    parse: (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
  }),
  oneOf: <C extends string>(choices: readonly C[], o: Options<C>): SettingSpec<C> => ({
    type: choices.join('|'),
    ...o,
    parse: (raw) => {
      if (!(choices as readonly string[]).includes(raw))
        throw new Error(`"${raw}" is not one of ${choices.join(', ')}`);
      return raw as C;
    },
  }),
};

/** `broker.id` → `TRIBUTARY_BROKER_ID`. */
export const envName = (key: string): string => `TRIBUTARY_${key.toUpperCase().replace(/[.-]/g, '_')}`;

const describe = (key: string): string => `${key} (--${key} / ${envName(key)})`;

/**
 * Reads every declared setting from flags and environment, or throws InvalidConfigError naming
 * the first setting that is unknown, missing or malformed.
 */
export function loadConfig<S extends Settings>(
  settings: S,
  sources: { argv: readonly string[]; env: Readonly<Record<string, string | undefined>> },
): ConfigOf<S> {
  const flags = parseFlags(sources.argv, settings);
  const knownEnv = new Map(Object.keys(settings).map((key) => [envName(key), key]));
  for (const name of Object.keys(sources.env)) {
    if (name.startsWith('TRIBUTARY_') && !knownEnv.has(name)) {
      throw new InvalidConfigError(name, 'unknown setting (no such environment variable is read)');
    }
  }
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(settings)) {
    const raw = flags.get(key) ?? sources.env[envName(key)];
    if (raw === undefined) {
      if (!('default' in spec) || spec.default === undefined) {
        throw new InvalidConfigError(describe(key), 'is required');
      }
      config[key] = spec.default;
      continue;
    }
    let value: unknown;
    try {
      value = spec.parse(raw);
    } catch (err) {
      throw new InvalidConfigError(describe(key), (err as Error).message);
    }
    const problem = spec.validate?.(value);
    if (problem !== undefined) throw new InvalidConfigError(describe(key), problem);
    config[key] = value;
  }
  return config as ConfigOf<S>;
}

function parseFlags(argv: readonly string[], settings: Settings): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--'))
      throw new InvalidConfigError(arg, 'unexpected argument (settings are --key value)');
    const eq = arg.indexOf('=');
    const key = arg.slice(2, eq === -1 ? undefined : eq);
    if (!(key in settings)) throw new InvalidConfigError(`--${key}`, 'unknown setting');
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (
      settings[key]!.type === 'boolean' &&
      (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))
    ) {
      value = 'true';
    } else {
      value = argv[++i];
      if (value === undefined) throw new InvalidConfigError(describe(key), 'flag given without a value');
    }
    flags.set(key, value);
  }
  return flags;
}

/** Markdown reference of a service's settings, for docs/configuration.md. */
export function renderSettingsMarkdown(title: string, settings: Settings): string {
  const rows = Object.entries(settings).map(([key, spec]) => {
    const fallback = spec.default === undefined ? '*(required)*' : `\`${JSON.stringify(spec.default)}\``;
    return `| \`${key}\` | \`${envName(key)}\` | ${spec.type} | ${fallback} | ${spec.doc} |`;
  });
  return [
    `## ${title}`,
    '',
    '| setting | environment | type | default | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
