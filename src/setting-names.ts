/**
 * Every setting this tool reads, by name: a key in `.env` that is none of these is most likely a typo
 * (`SPOTIFY_CLIENTID`), and loading the settings says so with the closest name instead of ignoring it.
 * test/config/setting-names.test.ts fails when the source reads a setting missing from this list.
 */
export const SETTING_NAMES: readonly string[] = [
  // Spotify
  'SPOTIFY_CLIENT_ID',
  'SPOTIFY_CLIENT_SECRET',
  'SPOTIFY_REDIRECT_URI',
  'SPOTIFY_REFRESH_TOKEN',
  'SPOTIFY_API_BASE_URL',
  'SPOTIFY_ACCOUNTS_BASE_URL',
  'SPOTIFY_RATE_LIMIT_PER_MINUTE',
  'SPOTIFY_MAX_RETRY_AFTER_SECONDS',
  'SPOTIFY_MAX_RETRIES',
  'SPOTIFY_HTTP_TIMEOUT_SECONDS',
  'SPOTIFY_LOGIN_TIMEOUT_SECONDS',
  'SPOTIFY_TOKEN_SECRET_ID',
  'SECRETS_MANAGER_ENDPOINT_URL',
  // Storage and state
  'S3_BUCKET_NAME',
  'S3_ENDPOINT_URL',
  'AWS_REGION',
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'DATA_DIR',
  'STATE_DIR',
  'STATE_URL',
  'LEASE_TTL_SECONDS',
  'LEASE_WAIT_SECONDS',
  'SNOWFLAKE_STAGE_PREFIX',
  // Collection
  'FETCH_INTERVAL_MINUTES',
  'MIN_FETCH_INTERVAL',
  'BATCH_SIZE',
  'MIN_MS_PLAYED',
  'PLAYER_POLL_SECONDS',
  // Output, metrics, warehouse
  'LOG_LEVEL',
  'NO_COLOR',
  'METRICS_FORMAT',
  'METRICS_NAMESPACE',
  'METRICS_HOST',
  'METRICS_PORT',
  'WAREHOUSE_MEMORY_LIMIT',
  'WAREHOUSE_THREADS',
  // Custom fields
  'TRANSFORM_MODULE',
  'TRANSFORM_TIMEOUT_SECONDS',
  'TRANSFORM_TIMEZONE',
  // Snowflake
  'SNOWFLAKE_ACCOUNT',
  'SNOWFLAKE_USER',
  'SNOWFLAKE_ROLE',
  'SNOWFLAKE_ADMIN_ROLE',
  'SNOWFLAKE_MONITOR_ROLE',
  'SNOWFLAKE_WAREHOUSE',
  'SNOWFLAKE_DATABASE',
  'SNOWFLAKE_SCHEMA',
  'SNOWFLAKE_PRIVATE_KEY_PATH',
  'SNOWFLAKE_PRIVATE_KEY_PASSPHRASE',
  'SNOWFLAKE_STORAGE_INTEGRATION',
  'SNOWFLAKE_AWS_ROLE_ARN',
  'SNOWFLAKE_ERROR_INTEGRATION',
  'SNOWFLAKE_API_BASE_URL',
  'SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS',
  'SNOWPIPE_MODE',
];

/**
 * Prefixes of variables read by the libraries underneath (the AWS SDK's credential chain reads many
 * AWS_* names, Node reads NODE_*): not ours to list, so reported only when they are one slip from one of ours.
 */
const FOREIGN_PREFIXES = ['AWS_', 'NODE_', 'npm_'];

/** Edit distance (insertions, deletions, substitutions), for suggesting the setting a typo meant. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The known setting a mistyped name most likely meant, if one is close enough to be worth suggesting. */
export function closestSetting(name: string): string | undefined {
  const upper = name.toUpperCase();
  const squash = (s: string) => s.replace(/_/g, '');
  let best: { name: string; d: number } | undefined;
  for (const known of SETTING_NAMES) {
    // A dropped or extra underscore, or lower case, is the commonest typo: it counts as no distance.
    const d = squash(known) === squash(upper) ? 0 : distance(upper, known);
    if (!best || d < best.d) best = { name: known, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 6)) ? best.name : undefined;
}

/** One line for each key of the `.env` file at `file` that is not a setting of this tool. */
export function unknownSettingWarnings(keys: readonly string[], file: string): string[] {
  const warnings: string[] = [];
  for (const key of keys) {
    if (SETTING_NAMES.includes(key)) continue;
    const guess = closestSetting(key);
    if (!guess && FOREIGN_PREFIXES.some((p) => key.startsWith(p))) continue;
    const hint = guess ? `did you mean ${guess}?` : 'docs/configuration.md lists the settings';
    warnings.push(`warning: ${key} in ${file} is not a setting of spotify-pipeline and is ignored (${hint})`);
  }
  return warnings;
}
