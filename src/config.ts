import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import type { TransformSettings } from './custom-fields/transform-runner.js';
import { ConfigError } from './errors.js';
import { DIRECTORY_BUCKET_MESSAGE, isDirectoryBucket } from './aws/directory-bucket.js';
import { unknownSettingWarnings } from './setting-names.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** prometheus: /metrics of run-continuous only; emf: also one CloudWatch EMF line per run on stderr. */
const METRICS_FORMATS = ['prometheus', 'emf'] as const;
export type MetricsFormat = (typeof METRICS_FORMATS)[number];

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

/**
 * `S3://bucket` or `ftp://host` given where a folder is allowed would silently become a local folder named
 * `S3:` or `ftp:`: a value that starts like a URL must be one of the schemes the setting takes. Two letters at
 * least, so a Windows drive (`C:\data`) stays a folder.
 */
function localFolder(fix: string) {
  return z
    .string()
    .trim()
    .refine((v) => !/^[A-Za-z][A-Za-z0-9+.-]+:/.test(v), `is a URL, not a folder: ${fix}`);
}

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL, for example https://example.com');

function intInRange(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

const positiveNumber = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?$/, 'must be a positive number')
  .transform(Number)
  .pipe(z.number().positive('must be greater than 0'));

/** A Secrets Manager secret name, or its (full or partial) ARN. */
const SECRET_ID =
  /^(?:[A-Za-z0-9/_+=.@-]{1,512}|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512})$/;

const settingsSchema = z.object({
  SPOTIFY_CLIENT_ID: z.string().trim().optional(),
  SPOTIFY_CLIENT_SECRET: z.string().trim().optional(),
  SPOTIFY_REDIRECT_URI: httpUrl.default('http://127.0.0.1:8888/callback'),
  SPOTIFY_REFRESH_TOKEN: z.string().trim().optional(),
  SPOTIFY_API_BASE_URL: httpUrl.default('https://api.spotify.com/v1'),
  SPOTIFY_ACCOUNTS_BASE_URL: httpUrl.default('https://accounts.spotify.com'),
  SPOTIFY_RATE_LIMIT_PER_MINUTE: intInRange(1, 6000).default(60),
  SPOTIFY_MAX_RETRY_AFTER_SECONDS: intInRange(0, 86_400).default(300),
  SPOTIFY_MAX_RETRIES: intInRange(0, 20).default(5),
  SPOTIFY_HTTP_TIMEOUT_SECONDS: intInRange(1, 600).default(30),
  S3_BUCKET_NAME: z
    .string()
    .trim()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'must be a bucket name (3-63 lowercase letters, digits, dots, hyphens)',
    )
    .refine((v) => !isDirectoryBucket(v), DIRECTORY_BUCKET_MESSAGE)
    .optional(),
  AWS_REGION: z.string().trim().optional(),
  S3_ENDPOINT_URL: httpUrl.optional(),
  DATA_DIR: localFolder(
    'DATA_DIR is a local folder; for a lake in S3 set S3_BUCKET_NAME (and S3_ENDPOINT_URL for another S3 service)',
  ).default('./data'),
  STATE_DIR: localFolder(
    'STATE_DIR is a local folder; for a state in S3 set STATE_URL=s3://bucket/prefix/',
  ).default('./.pipeline'),
  STATE_URL: z
    .string()
    .trim()
    .refine((v) => {
      const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(v)?.[1];
      if (scheme === undefined || scheme === 'file') return true;
      return scheme === 's3' && /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v);
    }, 'must be s3://bucket/prefix/ (lower-case s3, then a bucket name), file:///absolute/folder or a local folder')
    .refine((v) => !isDirectoryBucket(/^s3:\/\/([^/]+)/.exec(v)?.[1] ?? ''), DIRECTORY_BUCKET_MESSAGE)
    .optional(),
  LEASE_TTL_SECONDS: intInRange(10, 3600).default(60),
  LEASE_WAIT_SECONDS: intInRange(0, 3600).default(0),
  FETCH_INTERVAL_MINUTES: positiveNumber.default(30),
  BATCH_SIZE: intInRange(1, 50).default(50),
  SNOWFLAKE_STAGE_PREFIX: z
    .string()
    .trim()
    .regex(
      /^([A-Za-z0-9_.=-]+\/)+$/,
      'must be a relative folder ending in "/" (letters, digits, _ . = -), for example spotify_listening_history/',
    )
    .default('spotify_listening_history/'),
  LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
  METRICS_FORMAT: z
    .enum(METRICS_FORMATS, `must be one of ${METRICS_FORMATS.join(', ')}`)
    .default('prometheus'),
  METRICS_NAMESPACE: z
    .string()
    .trim()
    .regex(
      /^(?!AWS\/)[A-Za-z0-9._\-/#: ]{1,255}$/,
      'must be a CloudWatch namespace: 1-255 letters, digits and . - _ / # : or spaces, not starting with AWS/',
    )
    .default('SpotifyPipeline'),
  SPOTIFY_TOKEN_SECRET_ID: z
    .string()
    .trim()
    .regex(
      SECRET_ID,
      'must be a Secrets Manager secret name (letters, digits and /_+=.@-, up to 512) or its ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)',
    )
    .optional(),
  SECRETS_MANAGER_ENDPOINT_URL: httpUrl.optional(),
  TRANSFORM_MODULE: z.string().trim().optional(),
  TRANSFORM_TIMEOUT_SECONDS: intInRange(1, 3600).default(30),
  TRANSFORM_TIMEZONE: z
    .string()
    .trim()
    .refine((v) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: v });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA timezone such as Europe/Berlin, America/New_York or UTC')
    .default('UTC'),
});

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
  /** METRICS_FORMAT and METRICS_NAMESPACE (src/metrics/emf.ts). */
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
