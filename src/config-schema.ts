import { z } from 'zod';
import { DIRECTORY_BUCKET_MESSAGE, isDirectoryBucket } from './aws/directory-bucket.js';

/** The settings as the environment and `.env` give them, validated and defaulted; src/config.ts shapes them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** prometheus: /metrics of run-continuous only; emf: also one CloudWatch EMF line per run on stderr. */
const METRICS_FORMATS = ['prometheus', 'emf'] as const;
export type MetricsFormat = (typeof METRICS_FORMATS)[number];

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

export const settingsSchema = z.object({
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
