import { sqlString } from '../warehouse/columns.js';

/** What a play counts as, the same in every figure: time listened (the export knows how long a play lasted, the
 * API only the track length), the track (by id, else by name) and the artist. */
export const PLAY_MS_SQL = 'coalesce(ms_played, track_duration_ms, 0)';
export const TRACK_KEY_SQL = 'coalesce(track_id, track_name)';
export const ARTIST_SQL = "coalesce(primary_artist_name, artist_names[1], '(unknown artist)')";

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
 * A temp table `local_plays` of the listening history in the user's timezone (see localPlaysSelectSql). A table
 * rather than a view: the figures of a period run about ten queries over it, and the timezone conversion is the
 * costly part, so it is done once. Over all of a long history, storing every play is itself the cost (seconds at
 * 10 million): all-time figures aggregate the same SELECT instead (all-time-rollup.ts).
 */
export function localPlaysViewSql(scope: LocalPlaysScope): string {
  return `CREATE OR REPLACE TEMP TABLE local_plays AS\n${localPlaysSelectSql(scope)}`;
}

/**
 * The listening history in the user's timezone: one row per play with its local time `lt`, local `day`, time
 * listened (`ms`, and `minutes`), and display names. Every listening figure is computed from it, so "which hour"
 * and "which day" mean the same thing everywhere (DuckDB's ICU does the DST arithmetic).
 *
 * Even once, ICU's conversion costs 0.35-0.6 s per million rows on two cores, seconds at 10 million. So the UTC
 * offset is looked up per UTC day instead (ICU at 00:00, 12:00 and 24:00 of each day with plays, a few
 * thousand conversions): on a day where it holds all day (`steady`, dayOffsetsSql), which is every day without a
 * DST change, local time is `played_at` plus that offset; only the plays of the other days go through ICU one by one.
 */
export function localPlaysSelectSql(scope: LocalPlaysScope): string {
  const scoped = scopedHistorySql(scope);
  const lt = 'lt';
  const range: string[] = [];
  if (scope.from) range.push(`${lt} >= DATE ${sqlString(scope.from)}`);
  if (scope.to) range.push(`${lt} < DATE ${sqlString(scope.to)} + INTERVAL 1 DAY`);
  const icu = icuSql(scope.tz);
  // The history is named twice rather than through one CTE: DuckDB materialises a CTE used twice, every column.
  return `WITH offsets AS (${dayOffsetsSql(scope.tz, `SELECT DISTINCT CAST(played_at AS DATE) AS utc_day FROM ${scoped}`)}
), converted AS (
  SELECT p.*,
    CASE WHEN o.steady THEN p.played_at + o.at_start
         ELSE ${icu('p.played_at')} END AS lt
  FROM (SELECT * FROM ${scoped}) p LEFT JOIN offsets o ON o.utc_day = CAST(p.played_at AS DATE)
)
SELECT
  lt,
  CAST(lt AS DATE) AS day,
  ${PLAY_MS_SQL} AS ms,
  ${PLAY_MS_SQL} / 60000.0 AS minutes,
  ${TRACK_KEY_SQL} AS track_key,
  track_name,
  track_id,
  ${ARTIST_SQL} AS artist,
  album_name,
  album_id,
  user_id,
  -- Export-only fields behind the skip and completion rates (null for API plays).
  skipped,
  reason_end,
  ms_played,
  track_duration_ms
FROM converted
${range.length ? `WHERE ${range.join(' AND ')}` : ''}`;
}

/** The plays in scope: one account's or all, and a period cut in UTC with a day of margin either side. */
export function scopedHistorySql(scope: LocalPlaysScope): string {
  const where: string[] = [];
  if (scope.account) where.push(`user_id = ${sqlString(scope.account)}`);
  // A period is cut in UTC first, with a day of margin for the offset, so that only its plays are converted and
  // stored (the report's year out of 15); the exact local bounds are applied on local time.
  if (scope.from) where.push(`played_at >= DATE ${sqlString(scope.from)} - INTERVAL 1 DAY`);
  if (scope.to) where.push(`played_at < DATE ${sqlString(scope.to)} + INTERVAL 2 DAY`);
  return `spotify_listening_history${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
}

/** A UTC timestamp expression in local time, by ICU. */
export function icuSql(tz: string): (ts: string) => string {
  const zone = sqlString(tz);
  return (ts) => `(((${ts}) AT TIME ZONE 'UTC') AT TIME ZONE ${zone})`;
}

/**
 * The UTC offset (local minus UTC, an INTERVAL) at the start of each UTC day (`utc_day`) of `daysSql`, and
 * whether it holds all day (`steady`): the same at the day's start, noon and end, and a multiple of 15 minutes
 * (every offset in use is; a bucket of 15 minutes of UTC then lies in one local hour). On the other days, the
 * DST changes, local time is ICU's, play by play.
 */
export function dayOffsetsSql(tz: string, daysSql: string): string {
  const icu = icuSql(tz);
  const offset = (ts: string) => `(${icu(ts)} - (${ts}))`;
  return `
  SELECT utc_day, at_start, at_start = at_noon AND at_noon = at_end AND epoch(at_start) % 900 = 0 AS steady
  FROM (SELECT utc_day,
      ${offset('utc_day::TIMESTAMP')} AS at_start,
      ${offset('utc_day::TIMESTAMP + INTERVAL 12 HOUR')} AS at_noon,
      ${offset('utc_day::TIMESTAMP + INTERVAL 1 DAY')} AS at_end
    FROM (${daysSql}))`;
}
