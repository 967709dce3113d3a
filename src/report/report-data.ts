import { albumsSql } from '../analytics/all-time-rollup.js';
import type { ListeningTotals } from '../analytics/listening-stats.js';
import { localPlaysViewSql } from '../analytics/local-plays.js';
import { spotifyUrl } from '../analytics/spotify-links.js';
import { monthsBetween } from '../analytics/timezone.js';
import { sqlString } from '../warehouse/columns.js';
import type { Warehouse } from '../warehouse/warehouse.js';

/** Everything the report shows, for one period of local dates. JSON-serialisable. */
export interface ReportData {
  title: string;
  generated_at: string;
  timezone: string;
  account: string | null;
  from: string;
  to: string;
  totals: ListeningTotals;
  /** Every local day of the period, zero-filled. */
  minutes_per_day: { date: string; minutes: number; plays: number }[];
  /** plays[weekday 0=Mon..6=Sun][hour 0..23]. */
  heatmap: number[][];
  top_artists: { name: string; plays: number; minutes: number }[];
  /** `url` opens the track in Spotify; null for plays without a Spotify id. */
  top_tracks: { name: string; artist: string; plays: number; minutes: number; url: string | null }[];
  /** An album is its artist and name (see albumsSql); `url` opens it in Spotify where an id is known. */
  top_albums: { name: string; artist: string; plays: number; minutes: number; url: string | null }[];
  /**
   * Every account with plays in the period, most plays first. More than one: the report is the household's,
   * all of them together, and says so.
   */
  accounts: { account: string; plays: number; minutes: number; days_listened: number }[];
  /** Podcast episodes of the period, most played first (empty without any); `url` opens the episode. */
  top_episodes: { name: string; show: string; plays: number; minutes: number; url: string | null }[];
  /** Artists heard for the very first time (over the whole history), per month of the period. */
  new_artists_by_month: { month: string; artists: number; examples: string[] }[];
}

export interface ReportScope {
  tz: string;
  from: string;
  to: string;
  account?: string;
  top?: number;
  now?: Date;
}

const num = (v: unknown) => Number(v ?? 0);
const round1 = (v: unknown) => Math.round(num(v) * 10) / 10;

export async function loadReportData(wh: Warehouse, scope: ReportScope): Promise<ReportData> {
  const top = scope.top ?? 15;
  // Only the period's plays are converted and stored: a year of a 15-year history (docs/warehouse.md).
  await wh.connection.run(
    localPlaysViewSql({ tz: scope.tz, account: scope.account, from: scope.from, to: scope.to }),
  );
  const inPeriod = `day BETWEEN DATE '${scope.from}' AND DATE '${scope.to}'`;
  const q = async (sql: string) => (await wh.rows(sql)).rows;

  const [totals] =
    await q(`SELECT count(*) AS plays, sum(minutes) AS minutes, count(DISTINCT track_key) AS tracks,
      count(DISTINCT artist) AS artists, count(DISTINCT day) AS days FROM local_plays WHERE ${inPeriod}`);
  const days =
    await q(`SELECT strftime(d.day, '%Y-%m-%d') AS date, coalesce(sum(p.minutes), 0) AS minutes, count(p.day) AS plays
    FROM (SELECT CAST(unnest(generate_series(DATE '${scope.from}', DATE '${scope.to}', INTERVAL 1 DAY)) AS DATE) AS day) d
    LEFT JOIN local_plays p ON p.day = d.day GROUP BY d.day ORDER BY d.day`);
  const cells = await q(
    `SELECT isodow(lt) AS dow, hour(lt) AS h, count(*) AS plays FROM local_plays WHERE ${inPeriod} GROUP BY ALL`,
  );
  const artists =
    await q(`SELECT artist, count(*) AS plays, sum(minutes) AS minutes FROM local_plays WHERE ${inPeriod}
    GROUP BY artist ORDER BY plays DESC, minutes DESC, artist LIMIT ${top}`);
  const tracks =
    await q(`SELECT arg_max(track_name, lt) AS track, arg_max(artist, lt) AS artist, max(track_id) AS track_id,
      count(*) AS plays, sum(minutes) AS minutes
    FROM local_plays WHERE ${inPeriod} GROUP BY track_key ORDER BY plays DESC, minutes DESC, track LIMIT ${top}`);
  const albums = await q(albumsSql(`local_plays WHERE ${inPeriod}`, top));
  const accounts =
    await q(`SELECT user_id AS account, count(*) AS plays, sum(minutes) AS minutes, count(DISTINCT day) AS days
    FROM local_plays WHERE ${inPeriod} GROUP BY user_id ORDER BY plays DESC, account`);
  // "New artist" means first heard ever, not first heard in the period: from the whole history, where only
  // each artist's first instant needs converting to local time.
  const everyone = scope.account ? `WHERE user_id = ${sqlString(scope.account)}` : '';
  const discovery =
    await q(`WITH firsts AS (SELECT coalesce(primary_artist_name, artist_names[1], '(unknown artist)') AS artist,
      CAST((min(played_at) AT TIME ZONE 'UTC') AT TIME ZONE ${sqlString(scope.tz)} AS DATE) AS first_day,
      count(*) AS plays FROM spotify_listening_history ${everyone} GROUP BY 1)
    SELECT strftime(first_day, '%Y-%m') AS month, count(*) AS artists,
      list(artist ORDER BY plays DESC, artist)[1:3] AS examples
    FROM firsts WHERE first_day BETWEEN DATE '${scope.from}' AND DATE '${scope.to}' GROUP BY 1`);

  const episodes = await topEpisodes(wh, scope, top);

  const heatmap = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  for (const c of cells) heatmap[num(c.dow) - 1]![num(c.h)] = num(c.plays);
  const byMonth = new Map(discovery.map((r) => [String(r.month), r]));
  const title = scope.account
    ? `Listening report of ${scope.account}`
    : accounts.length > 1
      ? `Listening report of a household of ${accounts.length} accounts`
      : 'Listening report';
  return {
    title,
    generated_at: (scope.now ?? new Date()).toISOString(),
    timezone: scope.tz,
    account: scope.account ?? null,
    from: scope.from,
    to: scope.to,
    totals: {
      plays: num(totals?.plays),
      minutes: round1(totals?.minutes),
      unique_tracks: num(totals?.tracks),
      unique_artists: num(totals?.artists),
      days_listened: num(totals?.days),
    },
    minutes_per_day: days.map((r) => ({
      date: String(r.date),
      minutes: round1(r.minutes),
      plays: num(r.plays),
    })),
    heatmap,
    top_artists: artists.map((r) => ({
      name: String(r.artist),
      plays: num(r.plays),
      minutes: round1(r.minutes),
    })),
    top_tracks: tracks.map((r) => ({
      name: String(r.track),
      artist: String(r.artist),
      plays: num(r.plays),
      minutes: round1(r.minutes),
      url: spotifyUrl('track', r.track_id),
    })),
    top_albums: albums.map((r) => ({
      name: String(r.album),
      artist: String(r.artist),
      plays: num(r.plays),
      minutes: round1(r.minutes),
      url: spotifyUrl('album', r.album_id),
    })),
    top_episodes: episodes,
    accounts: accounts.map((r) => ({
      account: String(r.account),
      plays: num(r.plays),
      minutes: round1(r.minutes),
      days_listened: num(r.days),
    })),
    new_artists_by_month: monthsBetween(scope.from.slice(0, 7), scope.to.slice(0, 7)).map((month) => ({
      month,
      artists: num(byMonth.get(month)?.artists),
      examples: ((byMonth.get(month)?.examples as string[] | undefined) ?? []).map(String),
    })),
  };
}

/**
 * The period's most played podcast episodes, from `spotify_episode_history` (which exists once an export with
 * episodes was imported): a small table, so each play's local day comes straight from ICU.
 */
async function topEpisodes(
  wh: Warehouse,
  scope: ReportScope,
  top: number,
): Promise<ReportData['top_episodes']> {
  const exists = await wh.rows(
    "SELECT 1 FROM information_schema.tables WHERE table_name = 'spotify_episode_history'",
  );
  if (exists.rows.length === 0) return [];
  const day = `CAST((played_at AT TIME ZONE 'UTC') AT TIME ZONE ${sqlString(scope.tz)} AS DATE)`;
  const where = [`${day} BETWEEN DATE '${scope.from}' AND DATE '${scope.to}'`];
  if (scope.account) where.push(`user_id = ${sqlString(scope.account)}`);
  const rows =
    await wh.rows(`SELECT arg_max(episode_name, played_at) AS episode, arg_max(show_name, played_at) AS show,
      max(episode_id) AS episode_id, count(*) AS plays, sum(coalesce(ms_played, 0)) / 60000.0 AS minutes
    FROM spotify_episode_history WHERE ${where.join(' AND ')}
    GROUP BY coalesce(episode_id, episode_name) ORDER BY plays DESC, minutes DESC, episode LIMIT ${top}`);
  return rows.rows.map((r) => ({
    name: String(r.episode ?? '(unnamed episode)'),
    show: String(r.show ?? ''),
    plays: num(r.plays),
    minutes: round1(r.minutes),
    url: spotifyUrl('episode', r.episode_id),
  }));
}
