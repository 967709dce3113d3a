import { parseRedirectUri } from '../auth/authorize.js';
import { errorMessage } from '../errors.js';

const STORAGE_KINDS = ['local', 's3', 's3-compatible'] as const;
export type StorageKind = (typeof STORAGE_KINDS)[number];

/** What `setup` asks; every answer also has a flag. */
export interface SetupAnswers {
  clientId: string;
  /** Undefined: no secret, Authorization Code with PKCE. */
  clientSecret?: string;
  redirectUri: string;
  storage: StorageKind;
  dataDir: string;
  bucket?: string;
  region?: string;
  endpointUrl?: string;
  intervalMinutes: string;
}

/** Each validator returns an error message, or undefined when the answer is fine. */
export const validate = {
  clientId(v: string | undefined): string | undefined {
    if (!v?.trim())
      return 'the client id is required: copy it from your app at developer.spotify.com/dashboard';
    if (/\s/.test(v.trim())) return 'a client id has no spaces';
    return undefined;
  },
  redirectUri(v: string | undefined): string | undefined {
    try {
      parseRedirectUri((v ?? '').trim());
      return undefined;
    } catch (err) {
      return errorMessage(err);
    }
  },
  storage(v: string | undefined): string | undefined {
    return STORAGE_KINDS.includes(v as StorageKind)
      ? undefined
      : `must be one of ${STORAGE_KINDS.join(', ')}`;
  },
  dataDir(v: string | undefined): string | undefined {
    return v?.trim() ? undefined : 'a folder is required, for example ./data';
  },
  bucket(v: string | undefined): string | undefined {
    return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v?.trim() ?? '')
      ? undefined
      : 'must be a bucket name (3-63 lowercase letters, digits, dots, hyphens)';
  },
  region(v: string | undefined): string | undefined {
    return !v?.trim() || /^[a-z0-9-]+$/.test(v.trim())
      ? undefined
      : 'must be a region such as eu-west-1 (or empty for the AWS config chain)';
  },
  endpointUrl(v: string | undefined): string | undefined {
    try {
      const u = new URL((v ?? '').trim());
      return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'must be an http(s) URL';
    } catch {
      return 'must be an http(s) URL, for example http://127.0.0.1:9000';
    }
  },
  intervalMinutes(v: string | undefined): string | undefined {
    return intervalInMinutes(v) === undefined
      ? 'must be a positive number of minutes (30), or with a unit as run-continuous --interval takes it (10m, 1h)'
      : undefined;
  },
};

/**
 * The interval answer in minutes, as FETCH_INTERVAL_MINUTES holds it: `30` is minutes, and `90s`, `10m`, `1h`
 * are taken too, the units `run-continuous --interval` knows. Undefined when it is none of these or not > 0.
 */
export function intervalInMinutes(v: string | undefined): string | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smh]?)$/.exec(v?.trim() ?? '');
  if (!m || Number(m[1]) <= 0) return undefined;
  const factor = { s: 1 / 60, m: 1, h: 60, '': 1 }[m[2] as 's' | 'm' | 'h' | ''];
  return String(Number((Number(m[1]) * factor).toFixed(4)));
}

/** The settings the answers stand for; undefined removes a setting (say, the bucket when going local). */
export function answersToEnv(a: SetupAnswers): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    SPOTIFY_CLIENT_ID: a.clientId.trim(),
    SPOTIFY_CLIENT_SECRET: a.clientSecret?.trim() || undefined,
    SPOTIFY_REDIRECT_URI: a.redirectUri.trim(),
  };
  if (a.storage === 'local') {
    // A bucket left in .env would win over the folder: remove it. AWS_REGION may serve others: kept.
    Object.assign(env, { S3_BUCKET_NAME: undefined, S3_ENDPOINT_URL: undefined, DATA_DIR: a.dataDir.trim() });
  } else {
    Object.assign(env, {
      S3_BUCKET_NAME: a.bucket?.trim(),
      AWS_REGION: a.region?.trim() || undefined,
      S3_ENDPOINT_URL: a.storage === 's3-compatible' ? a.endpointUrl?.trim() : undefined,
    });
  }
  env.FETCH_INTERVAL_MINUTES = intervalInMinutes(a.intervalMinutes) ?? a.intervalMinutes.trim();
  return env;
}

/** The current settings (.env and environment) as answers, for defaults. */
export function currentAnswers(raw: Record<string, string>): SetupAnswers {
  return {
    clientId: raw.SPOTIFY_CLIENT_ID ?? '',
    clientSecret: raw.SPOTIFY_CLIENT_SECRET,
    redirectUri: raw.SPOTIFY_REDIRECT_URI ?? 'http://127.0.0.1:8888/callback',
    storage: raw.S3_ENDPOINT_URL ? 's3-compatible' : raw.S3_BUCKET_NAME ? 's3' : 'local',
    dataDir: raw.DATA_DIR ?? './data',
    bucket: raw.S3_BUCKET_NAME,
    region: raw.AWS_REGION,
    endpointUrl: raw.S3_ENDPOINT_URL,
    intervalMinutes: raw.FETCH_INTERVAL_MINUTES ?? '30',
  };
}
