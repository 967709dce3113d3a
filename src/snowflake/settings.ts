import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { EPISODE_DATASET_PREFIX } from '../record/episode-schema.js';
import { parseAccountIdentifier } from './account.js';
import { ROLE_ARN } from '../aws/partition.js';

/** An unquoted Snowflake identifier: the generated SQL interpolates it, so nothing else is accepted. */
const identifier = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/, 'must be a plain identifier (letters, digits, _ and $)')
  .transform((v) => v.toUpperCase());

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) URL, for example https://xy12345.snowflakecomputing.com');

const schema = z.object({
  // The identifier's rules (and the host and JWT account it gives) live in account.ts.
  SNOWFLAKE_ACCOUNT: z.string().trim().optional(),
  SNOWFLAKE_USER: z.string().trim().min(1).optional(),
  SNOWFLAKE_PRIVATE_KEY_PATH: z.string().trim().optional(),
  SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: z.string().optional(),
  SNOWFLAKE_ROLE: identifier.optional(),
  SNOWFLAKE_ADMIN_ROLE: identifier.optional(),
  SNOWFLAKE_MONITOR_ROLE: identifier.optional(),
  SNOWFLAKE_ERROR_INTEGRATION: identifier.optional(),
  SNOWFLAKE_WAREHOUSE: identifier.optional(),
  SNOWFLAKE_DATABASE: identifier.default('SPOTIFY'),
  SNOWFLAKE_SCHEMA: identifier.default('LISTENING'),
  SNOWFLAKE_STORAGE_INTEGRATION: identifier.default('SPOTIFY_LAKE_INTEGRATION'),
  SNOWFLAKE_AWS_ROLE_ARN: z
    .string()
    .trim()
    .regex(
      ROLE_ARN,
      'must be an IAM role ARN, arn:aws:iam::123456789012:role/NAME (arn:aws-us-gov:… or arn:aws-cn:… in those partitions)',
    )
    .optional(),
  SNOWFLAKE_API_BASE_URL: httpUrl.optional(),
  SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().int().min(1).max(604_800))
    .default(600),
  SNOWPIPE_MODE: z
    .enum(['auto', 'rest'], 'must be auto (S3 event notifications) or rest (Snowpipe REST API)')
    .default('auto'),
});

/** Fixed object names inside SNOWFLAKE_DATABASE.SNOWFLAKE_SCHEMA (documented in docs/snowflake.md). */
export const OBJECT_NAMES = {
  tracksTable: 'SPOTIFY_LISTENING_HISTORY',
  episodesTable: 'SPOTIFY_EPISODE_HISTORY',
  fileFormat: 'SPOTIFY_JSON_GZ',
  tracksStage: 'SPOTIFY_TRACKS_STAGE',
  episodesStage: 'SPOTIFY_EPISODES_STAGE',
  tracksPipe: 'SPOTIFY_TRACKS_PIPE',
  episodesPipe: 'SPOTIFY_EPISODES_PIPE',
  dailyView: 'DAILY_LISTENING_SUMMARY',
  topArtistsView: 'TOP_ARTISTS_THIS_MONTH',
} as const;

/** What the generated SQL needs: names and where the lake is. No credentials. */
export interface SnowflakeObjects {
  database: string;
  schema: string;
  integration: string;
  awsRoleArn?: string;
  bucket?: string;
  /** Listening-history prefix inside the bucket (SNOWFLAKE_STAGE_PREFIX), ending in "/". */
  tracksPrefix: string;
  episodesPrefix: string;
  mode: 'auto' | 'rest';
  /** Notification integration the pipes send load errors to (SNOWFLAKE_ERROR_INTEGRATION), opt-in. */
  errorIntegration?: string;
  /** The roles as configured (see roles.ts): none set means one role, SNOWFLAKE_ROLE or the user's default. */
  roles: RoleNames;
  /** Names the generated role grants mention (SNOWFLAKE_USER, SNOWFLAKE_WAREHOUSE); no credentials. */
  user?: string;
  warehouse?: string;
}

/** SNOWFLAKE_ADMIN_ROLE (integrations, database), SNOWFLAKE_ROLE (owner of the objects, loads), SNOWFLAKE_MONITOR_ROLE. */
export interface RoleNames {
  admin?: string;
  owner?: string;
  monitor?: string;
}

/** How to reach Snowflake (only needed by commands that talk to it). */
export interface SnowflakeConnection {
  account: string;
  user: string;
  privateKeyPath: string;
  passphrase?: string;
  role?: string;
  /** SNOWFLAKE_MONITOR_ROLE: the role of `status` and `test` (default: role). */
  monitorRole?: string;
  warehouse?: string;
  database: string;
  schema: string;
  baseUrl: string;
  statementTimeoutSeconds: number;
}

export interface SnowflakeSettings {
  objects: SnowflakeObjects;
  /** Undefined when SNOWFLAKE_ACCOUNT is not set: Snowflake is not configured. */
  connection?: SnowflakeConnection;
  /** Connection settings that are missing although SNOWFLAKE_ACCOUNT is set. */
  missing: string[];
}

/** True when the user configured a Snowflake connection at all (SNOWFLAKE_ACCOUNT set). */
export function snowflakeConfigured(config: Config): boolean {
  return Boolean(config.raw.SNOWFLAKE_ACCOUNT?.trim());
}

/** Validates the Snowflake settings of `config.raw`, naming each bad variable and the fix. */
export function loadSnowflakeSettings(config: Config): SnowflakeSettings {
  const parsed = schema.safeParse(config.raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'setting');
      const shown = name in config.raw && !/PASSPHRASE/.test(name) ? ` (got "${config.raw[name]}")` : '';
      return `  ${name}${shown} ${issue.message}`;
    });
    throw new ConfigError(
      `Invalid Snowflake configuration:\n${lines.join('\n')}\nFix it in your environment or in ${path.join(config.cwd, '.env')}.`,
    );
  }
  const s = parsed.data;
  const objects: SnowflakeObjects = {
    database: s.SNOWFLAKE_DATABASE,
    schema: s.SNOWFLAKE_SCHEMA,
    integration: s.SNOWFLAKE_STORAGE_INTEGRATION,
    awsRoleArn: s.SNOWFLAKE_AWS_ROLE_ARN,
    bucket: config.storage.bucket,
    tracksPrefix: config.storage.prefix,
    episodesPrefix: EPISODE_DATASET_PREFIX,
    mode: s.SNOWPIPE_MODE,
    errorIntegration: s.SNOWFLAKE_ERROR_INTEGRATION,
    roles: { admin: s.SNOWFLAKE_ADMIN_ROLE, owner: s.SNOWFLAKE_ROLE, monitor: s.SNOWFLAKE_MONITOR_ROLE },
    user: s.SNOWFLAKE_USER?.toUpperCase(),
    warehouse: s.SNOWFLAKE_WAREHOUSE,
  };
  if (!s.SNOWFLAKE_ACCOUNT) return { objects, missing: [] };
  const missing = [
    ['SNOWFLAKE_USER', s.SNOWFLAKE_USER],
    ['SNOWFLAKE_PRIVATE_KEY_PATH', s.SNOWFLAKE_PRIVATE_KEY_PATH],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k as string);
  if (missing.length) return { objects, missing };
  const account = parseAccountIdentifier(s.SNOWFLAKE_ACCOUNT);
  return {
    objects,
    missing,
    connection: {
      account: account.identifier,
      user: s.SNOWFLAKE_USER!,
      privateKeyPath: path.resolve(config.cwd, s.SNOWFLAKE_PRIVATE_KEY_PATH!),
      passphrase: s.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE,
      role: s.SNOWFLAKE_ROLE,
      monitorRole: s.SNOWFLAKE_MONITOR_ROLE,
      warehouse: s.SNOWFLAKE_WAREHOUSE,
      database: s.SNOWFLAKE_DATABASE,
      schema: s.SNOWFLAKE_SCHEMA,
      baseUrl: (s.SNOWFLAKE_API_BASE_URL ?? `https://${account.host}`).replace(/\/+$/, ''),
      statementTimeoutSeconds: s.SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS,
    },
  };
}

/** The connection, or a ConfigError naming what to set. */
export function requireConnection(settings: SnowflakeSettings): SnowflakeConnection {
  if (settings.connection) return settings.connection;
  const missing = settings.missing.length
    ? settings.missing
    : ['SNOWFLAKE_ACCOUNT', 'SNOWFLAKE_USER', 'SNOWFLAKE_PRIVATE_KEY_PATH'];
  throw new ConfigError(
    `Snowflake is not fully configured: set ${missing.join(', ')} (see docs/snowflake.md, "Settings"). \`snowflake sql\` works without a connection.`,
  );
}

/** The lake must be an S3 bucket for Snowflake to read it. */
export function requireBucket(objects: SnowflakeObjects): string {
  if (objects.bucket) return objects.bucket;
  throw new ConfigError(
    'Snowflake loads the lake from S3, but S3_BUCKET_NAME is not set (the lake is the local folder DATA_DIR): set S3_BUCKET_NAME to the bucket the collector writes to.',
  );
}

/** Fully qualified name of an object of ours. */
export function qualified(objects: Pick<SnowflakeObjects, 'database' | 'schema'>, name: string): string {
  return `${objects.database}.${objects.schema}.${name}`;
}
