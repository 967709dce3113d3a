import { localPlaysSelectSql, type LocalPlaysScope } from './local-plays.js';

/**
 * A temp table `play_rollup` with everything the all-time figures need, made in one pass over the plays in local
 * time without storing them (at 10 million plays, writing them to a temp table took longer than every figure
 * read from it). Two kinds of rows, told apart by `by_hour`:
 * - `by_hour`: one row per local hour with plays (`hour_start`), with the counts behind the totals, the rates,
 *   the hour and weekday charts, the days listened and the streaks;
 * - otherwise one row per artist and track (`artist`, `track_key`), with the counts behind the top lists, the
 *   unique tracks and artists, and each artist's first day (new artists per month).
 * Every figure is then a small query over some 100,000 rows instead of ten over every play. Time listened is
 * summed in whole milliseconds (`ms`), so adding up the rows changes nothing.
 */
export function allTimeRollupSql(scope: Pick<LocalPlaysScope, 'tz' | 'account'>): string {
  const known = 'ms_played IS NOT NULL AND track_duration_ms > 0';
  return `CREATE OR REPLACE TEMP TABLE play_rollup AS
SELECT
  GROUPING(hour_start) = 0 AS by_hour,
  hour_start, artist, track_key,
  count(*) AS plays,
  sum(ms) AS ms,
  min(lt) AS first_lt,
  max(lt) AS last_lt,
  arg_max(track_name, lt) AS track_name,
  count(skipped) AS skip_known,
  count(*) FILTER (WHERE skipped) AS skipped,
  count(reason_end) AS end_known,
  count(*) FILTER (WHERE reason_end = 'trackdone') AS completed,
  count(*) FILTER (WHERE ${known}) AS share_known,
  sum(least(1.0, ms_played / track_duration_ms)) FILTER (WHERE ${known}) AS share_sum
FROM (SELECT *, date_trunc('hour', lt) AS hour_start FROM (${localPlaysSelectSql(scope)}))
GROUP BY GROUPING SETS ((hour_start), (artist, track_key))`;
}

const hours = 'FROM play_rollup WHERE by_hour';
const tracks = 'FROM play_rollup WHERE NOT by_hour';
const minutes = 'sum(ms) / 60000.0';

/** Plays, time, days listened, first and last play (local time), unique tracks and artists. */
export const ROLLUP_TOTALS_SQL = `SELECT h.*, t.* FROM
  (SELECT sum(plays) AS plays, ${minutes} AS minutes, count(DISTINCT CAST(hour_start AS DATE)) AS days,
     strftime(min(first_lt), '%Y-%m-%dT%H:%M:%S') AS first, strftime(max(last_lt), '%Y-%m-%dT%H:%M:%S') AS last
   ${hours}) h,
  (SELECT count(DISTINCT track_key) AS tracks, count(DISTINCT artist) AS artists ${tracks}) t`;

/** The same columns as the period's top-artists query (artist, plays, minutes, tracks). */
export const rollupTopArtistsSql = (top: number) =>
  `SELECT artist, sum(plays) AS plays, ${minutes} AS minutes, count(track_key) AS tracks
  ${tracks} GROUP BY artist ORDER BY plays DESC, minutes DESC, artist LIMIT ${top}`;

/** A track is named as it was at its latest play, the same as arg_max over the plays. */
export const rollupTopTracksSql = (top: number) =>
  `SELECT arg_max(track_name, last_lt) AS track, arg_max(artist, last_lt) AS artist,
    sum(plays) AS plays, ${minutes} AS minutes
  ${tracks} GROUP BY track_key ORDER BY plays DESC, minutes DESC, track LIMIT ${top}`;

/** The same columns as the period's rates query. */
export const ROLLUP_RATES_SQL = `SELECT sum(skip_known) AS skip_known, sum(skipped) AS skipped,
    sum(end_known) AS end_known, sum(completed) AS completed,
    sum(share_known) AS share_known, sum(share_sum) / nullif(sum(share_known), 0) AS share
  ${hours}`;

export const ROLLUP_BY_HOUR_SQL = `SELECT hour(hour_start) AS h, sum(plays) AS plays, ${minutes} AS minutes ${hours} GROUP BY 1`;
export const ROLLUP_BY_WEEKDAY_SQL = `SELECT isodow(hour_start) AS d, sum(plays) AS plays, ${minutes} AS minutes ${hours} GROUP BY 1`;

/** Artists by the local month of their first play. */
export const ROLLUP_DISCOVERY_SQL = `SELECT strftime(first_day, '%Y-%m') AS month, count(*) AS artists
  FROM (SELECT artist, min(CAST(first_lt AS DATE)) AS first_day ${tracks} GROUP BY artist) GROUP BY 1 ORDER BY 1`;

/** Runs of consecutive local days with plays, longest first. */
export const ROLLUP_STREAKS_SQL = `WITH d AS (SELECT DISTINCT CAST(hour_start AS DATE) AS day ${hours}),
    g AS (SELECT day, day - CAST(row_number() OVER (ORDER BY day) AS INTEGER) AS grp FROM d)
  SELECT strftime(min(day), '%Y-%m-%d') AS "from", strftime(max(day), '%Y-%m-%d') AS "to", count(*) AS days
  FROM g GROUP BY grp ORDER BY days DESC, "from" DESC`;
