import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import type { TransformSettings } from './custom-fields/transform-runner.js';
import { ConfigError } from './errors.js';
import { unknownSettingWarnings } from './setting-names.js';
import { settingsSchema, type LogLevel, type MetricsFormat } from './config-schema.js';

/**
 * The raw settings: the `.env` file of the working directory overlaid by the real environment
 * (the real environment wins, as the contract says). Modules with settings of their own
 * (Snowflake) validate their part of this map themselves.
 */
export function loadEnvironment(cwd: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return mergeSettings(readEnvFile(cwd).values, env);
}

function mergeSettings(fileValues: Record<string, string> | undefined, env: NodeJS.ProcessEnv) {
  const merged: Record<string, string> = { ...fileValues };
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined) merged[key] = value;
  }
  // An empty value means "not set": `FOO=` in .env must not count as a setting.
  for (const [key, value] of Object.entries(merged)) {
    if (value.trim() === '') delete merged[key];
  }
  return merged;
}

/** The `.env` file of `cwd`: where it is looked for, and its settings when it exists. */
export function readEnvFile(cwd: string): { path: string; values?: Record<string, string> } {
  const file = path.join(cwd, '.env');
  try {
    return { path: file, values: parseDotenv(readFileSync(file, 'utf8')) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path: file };
    throw new ConfigError(
      `Cannot read ${file}: ${(err as Error).message}. Fix its permissions or remove it.`,
    );
  }
}

export interface SpotifySettings {
  clientId?: string;
  clientSecret?: string;
  redirectUri: string;
  refreshToken?: string;
  apiBaseUrl: string;
  accountsBaseUrl: string;
  rateLimitPerMinute: number;
  maxRetryAfterSeconds: number;
  maxRetries: number;
  timeoutMs: number;
}

export interface StorageSettings {
  /** When set, the lake is s3://bucket/, else the local folder dataDir. */
  bucket?: string;
  region?: string;
  endpointUrl?: string;
  /** Absolute path of the local lake root. */
  dataDir: string;
  /** Dataset prefix of the listening history inside the lake, ending in "/". */
  prefix: string;
}

/** Where the pipeline's state lives (STATE_URL): a local folder, or a prefix of an S3 bucket. */
export type StateLocation = { kind: 'local'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

export interface LeaseSettings {
  /** How long a writer's lease on the lake lasts without renewal (a killed writer's is taken over after it). */
  ttlMs: number;
  /** How long a run waits for another writer's lease before it gives up (0: refuse at once). */
  waitMs: number;
}

/** The token store in AWS Secrets Manager (SPOTIFY_TOKEN_SECRET_ID); absent: tokens live in STATE_DIR. */
export interface TokenSecretSettings {
  /** The secret's name or ARN. */
  secretId: string;
  /** The ARN's region when the id is an ARN, else AWS_REGION (else the SDK's own chain). */
  region?: string;
  /** SECRETS_MANAGER_ENDPOINT_URL: a Secrets Manager-compatible endpoint (tests, VPC endpoints). */
  endpointUrl?: string;
}

export interface Config {
  cwd: string;
  /** The `.env` file looked for (in cwd), and whether it was there: said wherever a setting seems missing. */
  envFile: { path: string; found: boolean };
  /** Warnings about the settings themselves (an unknown key in `.env`): printed once before the command runs. */
  warnings: string[];
  spotify: SpotifySettings;
  storage: StorageSettings;
  /**
   * Absolute path of the local state folder: the state itself unless STATE_URL points elsewhere, and always
   * the home of local caches (the DuckDB warehouse file).
   */
  stateDir: string;
  /** Where the state store is (STATE_URL; default the folder stateDir). */
  state: StateLocation;
  lease: LeaseSettings;
  tokenSecret?: TokenSecretSettings;
  fetchIntervalMinutes: number;
  batchSize: number;
  logLevel: LogLevel;
  /** METRICS_FORMAT and METRICS_NAMESPACE (src/runs/emf.ts). */
  metrics: { format: MetricsFormat; namespace: string };
  /** TRANSFORM_MODULE and its settings (src/custom-fields/); absent when no module is set. */
  transform?: TransformSettings;
  /** The merged raw settings, for modules that validate settings of their own. */
  raw: Record<string, string>;
}

/** Setting names a flag may override (flags win over the environment and .env). */
export type SettingOverrides = Partial<Record<keyof z.input<typeof settingsSchema>, string>>;

export function loadConfig(
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    overrides?: SettingOverrides;
  } = {},
): Config {
  const cwd = options.cwd ?? process.cwd();
  const envFile = readEnvFile(cwd);
  const raw = mergeSettings(envFile.values, options.env ?? process.env);
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) raw[key] = value;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'setting');
      const shown = name in raw && !/SECRET|TOKEN/.test(name) ? ` (got "${raw[name]}")` : '';
      return `  ${name}${shown} ${issue.message}`;
    });
    throw new ConfigError(
      `Invalid configuration:\n${lines.join('\n')}\nFix it in your environment or in ${path.join(cwd, '.env')}.`,
    );
  }
  const s = parsed.data;
  const stateDir = path.resolve(cwd, s.STATE_DIR);
  const state = parseStateUrl(s.STATE_URL, cwd) ?? { kind: 'local', dir: stateDir };
  // S3_ENDPOINT_URL serves an S3 lake, an s3:// state and `state migrate --to s3://…` alike.
  if (s.SECRETS_MANAGER_ENDPOINT_URL && !s.SPOTIFY_TOKEN_SECRET_ID) {
    throw new ConfigError(
      'SECRETS_MANAGER_ENDPOINT_URL is set but SPOTIFY_TOKEN_SECRET_ID is not: set SPOTIFY_TOKEN_SECRET_ID to the secret that holds the Spotify tokens, or remove SECRETS_MANAGER_ENDPOINT_URL to keep them in STATE_DIR.',
    );
  }
  const transformModule = s.TRANSFORM_MODULE ? path.resolve(cwd, s.TRANSFORM_MODULE) : undefined;
  // Checked here, not when the first play reaches the transform: under run-continuous a wrong path would
  // look healthy until the next song.
  if (transformModule && !statSync(transformModule, { throwIfNoEntry: false })?.isFile()) {
    throw new ConfigError(
      `TRANSFORM_MODULE (--transform) ${transformModule} is not a file: give the path of an .mjs or .js module (a relative path is taken from ${cwd}), or unset TRANSFORM_MODULE.`,
    );
  }
  return {
    cwd,
    envFile: { path: envFile.path, found: envFile.values !== undefined },
    warnings: unknownSettingWarnings(Object.keys(envFile.values ?? {}), envFile.path),
    spotify: {
      clientId: s.SPOTIFY_CLIENT_ID,
      clientSecret: s.SPOTIFY_CLIENT_SECRET,
      redirectUri: s.SPOTIFY_REDIRECT_URI,
      refreshToken: s.SPOTIFY_REFRESH_TOKEN,
      apiBaseUrl: s.SPOTIFY_API_BASE_URL.replace(/\/+$/, ''),
      accountsBaseUrl: s.SPOTIFY_ACCOUNTS_BASE_URL.replace(/\/+$/, ''),
      rateLimitPerMinute: s.SPOTIFY_RATE_LIMIT_PER_MINUTE,
      maxRetryAfterSeconds: s.SPOTIFY_MAX_RETRY_AFTER_SECONDS,
      maxRetries: s.SPOTIFY_MAX_RETRIES,
      timeoutMs: s.SPOTIFY_HTTP_TIMEOUT_SECONDS * 1000,
    },
    storage: {
      bucket: s.S3_BUCKET_NAME,
      region: s.AWS_REGION,
      endpointUrl: s.S3_ENDPOINT_URL,
      dataDir: path.resolve(cwd, s.DATA_DIR),
      prefix: s.SNOWFLAKE_STAGE_PREFIX,
    },
    stateDir,
    state,
    lease: { ttlMs: s.LEASE_TTL_SECONDS * 1000, waitMs: s.LEASE_WAIT_SECONDS * 1000 },
    ...(s.SPOTIFY_TOKEN_SECRET_ID
      ? {
          tokenSecret: {
            secretId: s.SPOTIFY_TOKEN_SECRET_ID,
            region: /^arn:[^:]+:secretsmanager:([^:]+):/.exec(s.SPOTIFY_TOKEN_SECRET_ID)?.[1] ?? s.AWS_REGION,
            endpointUrl: s.SECRETS_MANAGER_ENDPOINT_URL,
          },
        }
      : {}),
    fetchIntervalMinutes: s.FETCH_INTERVAL_MINUTES,
    batchSize: s.BATCH_SIZE,
    logLevel: s.LOG_LEVEL,
    metrics: { format: s.METRICS_FORMAT, namespace: s.METRICS_NAMESPACE },
    ...(transformModule
      ? {
          transform: {
            module: transformModule,
            timeoutMs: s.TRANSFORM_TIMEOUT_SECONDS * 1000,
            timeZone: s.TRANSFORM_TIMEZONE,
          },
        }
      : {}),
    raw,
  };
}

/** Where the lake is, in words a user recognises. */
export function describeLake(storage: StorageSettings): string {
  if (storage.bucket) {
    const at = storage.endpointUrl ? ` at ${storage.endpointUrl}` : '';
    return `s3://${storage.bucket}/${storage.prefix}${at}`;
  }
  return path.join(storage.dataDir, storage.prefix);
}

/** STATE_URL: `s3://bucket/prefix/` (the prefix may be empty), `file:///abs/path`, or a folder path. */
export function parseStateUrl(url: string | undefined, cwd: string): StateLocation | undefined {
  if (url === undefined) return undefined;
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (s3) {
    const prefix = s3[2]!.replace(/^\/+/, '');
    return {
      kind: 's3',
      bucket: s3[1]!,
      prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    };
  }
  if (url.startsWith('file://')) return { kind: 'local', dir: path.resolve(new URL(url).pathname) };
  return { kind: 'local', dir: path.resolve(cwd, url) };
}

/** Where the state is, in words a user recognises. */
export function describeState(state: StateLocation): string {
  return state.kind === 's3' ? `s3://${state.bucket}/${state.prefix}` : state.dir;
}
