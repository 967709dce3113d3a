import { sqlString } from '../warehouse/columns.js';

export interface LocalPlaysScope {
  /** IANA timezone (validated by resolveTimeZone). */
  tz: string;
  /** Only this Spotify user id. */
  account?: string;
  /** Local dates, inclusive. */
  from?: string;
  to?: string;
}

/**
 * A temp table `local_plays` of the listening history in the user's timezone: one row per play with its
 * local time `lt`, minutes listened, and display names. Every listening figure is computed from it, so
 * "which hour" and "which day" mean the same thing everywhere (DuckDB's ICU does the DST arithmetic).
 * A table rather than a view: the figures run about ten queries over it, and the timezone conversion
 * is the costly part, so it is done once.
 */
export function localPlaysViewSql(scope: LocalPlaysScope): string {
  const where: string[] = [];
  if (scope.account) where.push(`user_id = ${sqlString(scope.account)}`);
  const lt = `((played_at AT TIME ZONE 'UTC') AT TIME ZONE ${sqlString(scope.tz)})`;
  if (scope.from) where.push(`${lt} >= DATE ${sqlString(scope.from)}`);
  if (scope.to) where.push(`${lt} < DATE ${sqlString(scope.to)} + INTERVAL 1 DAY`);
  return `CREATE OR REPLACE TEMP TABLE local_plays AS
SELECT
  ${lt} AS lt,
  CAST(${lt} AS DATE) AS day,
  -- The export knows how long a play lasted; the API only the track length.
  coalesce(ms_played, track_duration_ms, 0) / 60000.0 AS minutes,
  coalesce(track_id, track_name) AS track_key,
  track_name,
  coalesce(primary_artist_name, artist_names[1], '(unknown artist)') AS artist,
  -- Export-only fields behind the skip and completion rates (null for API plays).
  skipped,
  reason_end,
  ms_played,
  track_duration_ms
FROM spotify_listening_history
${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
}
