/**
 * The two sample queries of the original project, for `query` and the documentation. They run the same on
 * DuckDB and on the Snowflake table, which has the same name and columns (UTC days, as stored).
 */
export const DAILY_SUMMARY_SQL = `SELECT played_at_date,
       count(*) AS plays,
       count(DISTINCT track_id) AS unique_tracks,
       count(DISTINCT primary_artist_id) AS unique_artists,
       round(sum(coalesce(ms_played, track_duration_ms)) / 60000.0, 1) AS minutes
FROM spotify_listening_history
WHERE played_at_date >= current_date - INTERVAL 30 DAY
GROUP BY played_at_date
ORDER BY played_at_date DESC`;

export const TOP_ARTISTS_THIS_MONTH_SQL = `SELECT primary_artist_name,
       count(*) AS plays,
       count(DISTINCT track_id) AS unique_tracks
FROM spotify_listening_history
WHERE date_trunc('month', played_at) = date_trunc('month', current_date)
GROUP BY primary_artist_name
ORDER BY plays DESC
LIMIT 10`;
