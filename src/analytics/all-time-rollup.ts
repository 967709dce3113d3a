import {
  ARTIST_SQL,
  PLAY_MS_SQL,
  TRACK_KEY_SQL,
  dayOffsetsSql,
  icuSql,
  scopedHistorySql,
  type LocalPlaysScope,
} from './local-plays.js';

type AllTimeScope = Pick<LocalPlaysScope, 'tz' | 'account'>;

const known = 'ms_played IS NOT NULL AND track_duration_ms > 0';
/**
 * Whether a play was skipped: `skipped` where the play carries it (the export's "the user skipped to the next
 * song", and the player's observation); where an export leaves it null (older years of a history) but gives
 * `reason_end`, a play ended by the forward button (`fwdbtn`) is a skip and any other end is not. Null (not
 * known) for plays with neither: recently-played API plays. docs/warehouse.md, "Skips and completion".
 */
export const SKIP_SQL = "coalesce(skipped, reason_end = 'fwdbtn')";
/** The counts behind the skip, completion and share rates, as aggregates of plays (the history, local_plays)... */
export const RATE_COUNTS_SQL = `count(${SKIP_SQL}) AS skip_known, count(*) FILTER (WHERE ${SKIP_SQL}) AS skipped,
    count(reason_end) AS end_known, count(*) FILTER (WHERE reason_end = 'trackdone') AS completed,
    count(*) FILTER (WHERE ${known}) AS share_known,
    sum(least(1.0, ms_played / track_duration_ms)) FILTER (WHERE ${known}) AS share_sum`;
/** ...and of rows that already hold such counts. */
const RATE_SUMS = `sum(skip_known) AS skip_known, sum(skipped) AS skipped, sum(end_known) AS end_known,
    sum(completed) AS completed, sum(share_known) AS share_known, sum(share_sum) AS share_sum`;

/**
 * The all-time figures come from two small temp tables, made without storing every play in local time (at 10
 * million plays, writing them to a temp table took longer than all the figures read from it):
 *
 * `play_hours`, one row per local hour with plays (`hour_start`): plays, time, first and last play, the counts
 * behind the rates. Behind the totals, rates, hour and weekday charts, days listened and streaks. Plays are
 * first counted per 15 minutes of UTC, and only those buckets are moved to local time: every UTC offset in use
 * is a multiple of 15 minutes, so a bucket lies in one local hour. That holds on a day whose offset is the same
 * at its start, noon and end and a multiple of 15 minutes (dayOffsetsSql's `steady`); the plays of the other days
 * (the DST changes, a handful a year) are converted one by one by ICU, as local-plays.ts does.
 *
 * `play_tracks`, one row per account, artist and track: plays, time, first and last play (UTC: time zones do
 * not change the order of plays), the track's name at its last play, its id, and its album (name and id). Behind
 * the top lists (artists, tracks, albums), unique tracks and artists, each artist's first play (new artists per
 * month) and the figures of each account. The account and album cost a column each in the same pass; a track
 * is on one album, so the album adds no rows, and the account only where several accounts play one track.
 *
 * Time listened is summed in whole milliseconds (`ms`), so adding rows up changes nothing.
 */
export function allTimeRollupSql(scope: AllTimeScope): string[] {
  const scoped = scopedHistorySql(scope);
  const icu = icuSql(scope.tz);
  const hours = `CREATE OR REPLACE TEMP TABLE play_hours AS
WITH buckets AS (
  -- Integer division of the epoch: a third of time_bucket's cost over 10 million plays.
  SELECT make_timestamp(epoch_us(played_at) // 900000000 * 900000000) AS bucket, count(*) AS plays, sum(${PLAY_MS_SQL}) AS ms,
    min(played_at) AS first_at, max(played_at) AS last_at, ${RATE_COUNTS_SQL}
  FROM ${scoped} GROUP BY 1
), offsets AS (${dayOffsetsSql(scope.tz, 'SELECT DISTINCT CAST(bucket AS DATE) AS utc_day FROM buckets')}
), local AS (
  SELECT b.bucket + o.at_start AS lt_bucket, b.plays, b.ms, b.first_at + o.at_start AS first_lt,
    b.last_at + o.at_start AS last_lt, b.skip_known, b.skipped, b.end_known, b.completed, b.share_known, b.share_sum
  FROM buckets b JOIN offsets o ON o.utc_day = CAST(b.bucket AS DATE) AND o.steady
  UNION ALL
  SELECT lt, count(*), sum(${PLAY_MS_SQL}), lt, lt, ${RATE_COUNTS_SQL}
  FROM (SELECT *, ${icu('played_at')} AS lt FROM (SELECT * FROM ${scoped})
        WHERE CAST(played_at AS DATE) IN (SELECT utc_day FROM offsets WHERE NOT steady))
  GROUP BY lt
)
SELECT date_trunc('hour', lt_bucket) AS hour_start, sum(plays) AS plays, sum(ms) AS ms,
  min(first_lt) AS first_lt, max(last_lt) AS last_lt, ${RATE_SUMS}
FROM local GROUP BY 1`;
  const tracks = `CREATE OR REPLACE TEMP TABLE play_tracks AS
SELECT user_id, ${ARTIST_SQL} AS artist, ${TRACK_KEY_SQL} AS track_key, count(*) AS plays, sum(${PLAY_MS_SQL}) AS ms,
  min(played_at) AS first_at, max(played_at) AS last_at, arg_max(track_name, played_at) AS track_name,
  max(track_id) AS track_id, max(album_name) AS album_name, max(album_id) AS album_id
FROM ${scoped} GROUP BY 1, 2, 3`;
  return [hours, tracks];
}

const minutes = 'sum(ms) / 60000.0';

/** Plays, time, days listened, first and last play (local time), unique tracks and artists. */
export const ROLLUP_TOTALS_SQL = `SELECT h.*, t.* FROM
  (SELECT sum(plays) AS plays, ${minutes} AS minutes, count(DISTINCT CAST(hour_start AS DATE)) AS days,
     strftime(min(first_lt), '%Y-%m-%dT%H:%M:%S') AS first, strftime(max(last_lt), '%Y-%m-%dT%H:%M:%S') AS last
   FROM play_hours) h,
  (SELECT count(DISTINCT track_key) AS tracks, count(DISTINCT artist) AS artists FROM play_tracks) t`;

/** The same columns as the period's top-artists query (artist, plays, minutes, tracks). */
export const rollupTopArtistsSql = (top: number) =>
  `SELECT artist, sum(plays) AS plays, ${minutes} AS minutes, count(DISTINCT track_key) AS tracks
  FROM play_tracks GROUP BY artist ORDER BY plays DESC, minutes DESC, artist LIMIT ${top}`;

/** A track is named as it was at its latest play. */
export const rollupTopTracksSql = (top: number) =>
  `SELECT arg_max(track_name, last_at) AS track, arg_max(artist, last_at) AS artist, max(track_id) AS track_id,
    sum(plays) AS plays, ${minutes} AS minutes
  FROM play_tracks GROUP BY track_key ORDER BY plays DESC, minutes DESC, track LIMIT ${top}`;

/** The same columns as the period's top-albums query (albumsSql). */
export const rollupTopAlbumsSql = (top: number) =>
  albumsOfTracksSql(
    'SELECT artist, track_key, album_name, album_id, plays, ms / 60000.0 AS minutes FROM play_tracks',
    top,
  );

/** Top albums of plays (`local_plays`, with its WHERE if any): each account's track first, as in play_tracks. */
export const albumsSql = (plays: string, top: number) =>
  albumsOfTracksSql(
    `SELECT artist, track_key, max(album_name) AS album_name, max(album_id) AS album_id, count(*) AS plays, sum(minutes) AS minutes FROM ${plays} GROUP BY user_id, artist, track_key`,
    top,
  );

/**
 * Top albums from rows of tracks (artist, track_key, album_name, album_id, plays, minutes). An album is its
 * artist and name, so the plays of an export (which names albums but gives no id) and of the API (which gives
 * one) meet. A track is on one album, so all its plays count for it; where its plays name it differently (a
 * re-release) the last name in alphabetical order is taken: max() costs less than arg_max() by time of play
 * in the all-time rollup's pass (measured in docs/warehouse.md).
 */
function albumsOfTracksSql(tracks: string, top: number): string {
  return `SELECT album_name AS album, artist, max(album_id) AS album_id, sum(plays) AS plays, sum(minutes) AS minutes,
    count(DISTINCT track_key) AS tracks
  FROM (${tracks}) WHERE album_name IS NOT NULL
  GROUP BY artist, album_name ORDER BY plays DESC, minutes DESC, album, artist LIMIT ${top}`;
}

/**
 * Each account's figures over all time, most plays first: from play_tracks, so no pass over the plays of its
 * own. First and last play in local time, as the totals give them (days listened would need an account in
 * play_hours too: left out).
 */
export const rollupAccountsSql = (tz: string) => {
  const local = (ts: string) => `strftime(${icuSql(tz)(ts)}, '%Y-%m-%dT%H:%M:%S')`;
  return `SELECT user_id AS account, sum(plays) AS plays, ${minutes} AS minutes,
    count(DISTINCT track_key) AS tracks, count(DISTINCT artist) AS artists,
    ${local('min(first_at)')} AS first, ${local('max(last_at)')} AS last
  FROM play_tracks GROUP BY user_id ORDER BY plays DESC, account`;
};

/**
 * The rates' counts and `share` (the mean share of the track played) over `from`: plays, or with `summed` rows
 * that already hold the counts. The same query for every period.
 */
export const ratesSql = (from: string, summed = false) =>
  `SELECT *, share_sum / nullif(share_known, 0) AS share
  FROM (SELECT ${summed ? RATE_SUMS : RATE_COUNTS_SQL} FROM ${from})`;

export const ROLLUP_RATES_SQL = ratesSql('play_hours', true);

export const ROLLUP_BY_HOUR_SQL = `SELECT hour(hour_start) AS h, sum(plays) AS plays, ${minutes} AS minutes FROM play_hours GROUP BY 1`;
export const ROLLUP_BY_WEEKDAY_SQL = `SELECT isodow(hour_start) AS d, sum(plays) AS plays, ${minutes} AS minutes FROM play_hours GROUP BY 1`;

/** Artists by the local month of their first play. */
export const rollupDiscoverySql = (tz: string) =>
  `SELECT strftime(${icuSql(tz)('first_at')}, '%Y-%m') AS month, count(*) AS artists
  FROM (SELECT artist, min(first_at) AS first_at FROM play_tracks GROUP BY artist) GROUP BY 1 ORDER BY 1`;

/** Runs of consecutive local days with plays, longest first. */
export const ROLLUP_STREAKS_SQL = `WITH d AS (SELECT DISTINCT CAST(hour_start AS DATE) AS day FROM play_hours),
    g AS (SELECT day, day - CAST(row_number() OVER (ORDER BY day) AS INTEGER) AS grp FROM d)
  SELECT strftime(min(day), '%Y-%m-%d') AS "from", strftime(max(day), '%Y-%m-%d') AS "to", count(*) AS days
  FROM g GROUP BY grp ORDER BY days DESC, "from" DESC`;
