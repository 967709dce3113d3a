import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import {
  ROLLUP_BY_HOUR_SQL,
  ROLLUP_BY_WEEKDAY_SQL,
  ROLLUP_RATES_SQL,
  ROLLUP_STREAKS_SQL,
  ROLLUP_TOTALS_SQL,
  allTimeRollupSql,
  ratesSql,
  rollupDiscoverySql,
  albumsSql,
  rollupAccountsSql,
  rollupTopAlbumsSql,
  rollupTopArtistsSql,
  rollupTopTracksSql,
} from './all-time-rollup.js';
import { localPlaysViewSql } from './local-plays.js';
import {
  albumCount,
  artistCount,
  int,
  listeningRates,
  round1,
  trackCount,
  type AlbumCount,
  type ArtistCount,
  type ListeningRates,
  type TrackCount,
} from './stat-rows.js';
import { addDays, localDate, monthsBetween, resolveTimeZone } from './timezone.js';

/** A period's listening in sums (the stats and the report alike). */
export interface ListeningTotals {
  plays: number;
  minutes: number;
  unique_tracks: number;
  unique_artists: number;
  days_listened: number;
}

export interface DaySummary {
  date: string;
  plays: number;
  minutes: number;
  unique_tracks: number;
  unique_artists: number;
}
/** One account's figures over all time (first and last play in local time). */
export interface AccountSummary {
  account: string;
  plays: number;
  minutes: number;
  unique_tracks: number;
  unique_artists: number;
  first_play: string | null;
  last_play: string | null;
}
export interface Streak {
  days: number;
  from: string;
  to: string;
}

/** Listening analytics, every figure in the user's timezone. JSON-serialisable as is. */
export interface ListeningStats {
  generated_at: string;
  timezone: string;
  account: string | null;
  /** True when there are no plays (in scope): show `message` instead. */
  empty: boolean;
  message?: string;
  totals: ListeningTotals & {
    first_play: string | null;
    last_play: string | null;
  };
  /** The seed's first sample query: one row per local day of the last 30, oldest first, zero-filled. */
  daily_last_30_days: DaySummary[];
  /** The 365 local days ending today (the report's default period too), inclusive. */
  last_12_months: { from: string; to: string };
  top_artists_all_time: ArtistCount[];
  top_artists_last_12_months: ArtistCount[];
  /** The seed's second sample query: top artists of the current local month (from its first day to today). */
  top_artists_this_month: { month: string; from: string; to: string; artists: ArtistCount[] };
  top_tracks_all_time: TrackCount[];
  top_tracks_last_12_months: TrackCount[];
  top_tracks_this_month: { month: string; from: string; to: string; tracks: TrackCount[] };
  top_albums_all_time: AlbumCount[];
  top_albums_last_12_months: AlbumCount[];
  top_albums_this_month: { month: string; from: string; to: string; albums: AlbumCount[] };
  /**
   * Every account whose plays are in these figures, most plays first. More than one: the figures are the
   * household's, all of these accounts together (`--account` picks one).
   */
  accounts: AccountSummary[];
  rates: { all_time: ListeningRates; last_12_months: ListeningRates };
  /** 24 rows, hour 0..23 of local time. */
  by_hour: { hour: number; plays: number; minutes: number }[];
  /** 7 rows, Monday first. */
  by_weekday: { weekday: string; plays: number; minutes: number }[];
  /** Artists heard for the first time, per local month, zero-filled from the first play to now. */
  new_artists_by_month: { month: string; artists: number }[];
  streaks: { longest: Streak | null; current: Streak | null };
  /** Lake objects the warehouse could not load (they are left out of every figure). */
  lake_objects_failed: { key: string; message: string }[];
}

export interface ListeningStatsOptions {
  /** IANA timezone; default the system's. */
  tz?: string;
  /** Only this Spotify user id. */
  account?: string;
  /** "Now" for the last 30 days and this month; default the clock. */
  now?: Date;
  /** How many top artists and tracks. */
  top?: number;
}

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** Refreshes the warehouse from the lake, then computes the listening analytics. */
export async function computeListeningStats(
  config: Config,
  log: Logger,
  options: ListeningStatsOptions = {},
): Promise<ListeningStats> {
  const tz = resolveTimeZone(options.tz);
  const { openWarehouse } = await import('../warehouse/warehouse.js');
  const wh = await openWarehouse(config, log);
  try {
    const refreshed = await wh.refresh();
    const stats = await listeningStatsFrom(wh, { ...options, tz });
    stats.lake_objects_failed = refreshed.failed;
    if (stats.empty) {
      const { emptyLakeMessage } = await import('../warehouse/refresh-messages.js');
      const { demoLakeHint } = await import('../demo/demo-lake-hint.js');
      const hint = options.account ? null : demoLakeHint(config, 'stats');
      stats.message = options.account
        ? `No plays of account ${options.account} in the lake yet.`
        : `${emptyLakeMessage(config.storage)}${hint ? `\n  ${hint}` : ''}`;
    }
    return stats;
  } finally {
    wh.close();
  }
}

/** The analytics over an open, refreshed warehouse. */
export async function listeningStatsFrom(
  wh: Warehouse,
  options: ListeningStatsOptions & { tz: string },
): Promise<ListeningStats> {
  const { tz } = options;
  const now = options.now ?? new Date();
  const top = options.top ?? 10;
  const today = localDate(now, tz);
  const month = today.slice(0, 7);
  const from12 = addDays(today, -364);
  const q = async (sql: string) => (await wh.rows(sql)).rows;

  // All-time figures from a rollup made in one pass; the last 12 months (which hold the last 30 days and this
  // month) from their plays in local time, a fifteenth of a 15-year history.
  for (const sql of allTimeRollupSql({ tz, account: options.account })) await wh.connection.run(sql);
  const [totals] = await q(ROLLUP_TOTALS_SQL);
  const topArtistsAll = await q(rollupTopArtistsSql(top));
  const topTracksAll = await q(rollupTopTracksSql(top));
  const topAlbumsAll = await q(rollupTopAlbumsSql(top));
  const accounts = await q(rollupAccountsSql(tz));
  const [ratesAll] = await q(ROLLUP_RATES_SQL);
  const hours = await q(ROLLUP_BY_HOUR_SQL);
  const weekdays = await q(ROLLUP_BY_WEEKDAY_SQL);
  const discovery = await q(rollupDiscoverySql(tz));
  const streakRows = await q(ROLLUP_STREAKS_SQL);

  await wh.connection.run(localPlaysViewSql({ tz, account: options.account, from: from12, to: today }));
  const from30 = addDays(today, -29);
  const daily =
    await q(`SELECT strftime(d.day, '%Y-%m-%d') AS date, count(p.day) AS plays, coalesce(sum(p.minutes), 0) AS minutes,
      count(DISTINCT p.track_key) AS tracks, count(DISTINCT p.artist) AS artists
    FROM (SELECT CAST(unnest(generate_series(DATE '${from30}', DATE '${today}', INTERVAL 1 DAY)) AS DATE) AS day) d
    LEFT JOIN local_plays p ON p.day = d.day
    GROUP BY d.day ORDER BY d.day`);

  const monthStart = `${month}-01`;
  const since = (from: string) => `WHERE day >= DATE '${from}' AND day <= DATE '${today}'`;
  const topArtistsSql = (where: string) =>
    `SELECT artist, count(*) AS plays, sum(minutes) AS minutes, count(DISTINCT track_key) AS tracks
    FROM local_plays ${where} GROUP BY artist ORDER BY plays DESC, minutes DESC, artist LIMIT ${top}`;
  const topTracksSql = (
    where: string,
  ) => `SELECT arg_max(track_name, lt) AS track, arg_max(artist, lt) AS artist, max(track_id) AS track_id,
      count(*) AS plays, sum(minutes) AS minutes
    FROM local_plays ${where} GROUP BY track_key ORDER BY plays DESC, minutes DESC, track LIMIT ${top}`;
  const topArtistsMonth = await q(topArtistsSql(since(monthStart)));
  const topArtists12 = await q(topArtistsSql(since(from12)));
  const topTracksMonth = await q(topTracksSql(since(monthStart)));
  const topTracks12 = await q(topTracksSql(since(from12)));
  const topAlbumsMonth = await q(albumsSql(`local_plays ${since(monthStart)}`, top));
  const topAlbums12 = await q(albumsSql(`local_plays ${since(from12)}`, top));
  const [rates12] = await q(ratesSql(`local_plays ${since(from12)}`));

  const plays = int(totals?.plays);
  const byHour = new Map(hours.map((r) => [int(r.h), r]));
  const byDow = new Map(weekdays.map((r) => [int(r.d), r]));
  const discovered = new Map(discovery.map((r) => [String(r.month), int(r.artists)]));
  const firstMonth = discovery[0]?.month as string | undefined;
  const streaks = streakRows.map((r) => ({ days: int(r.days), from: String(r.from), to: String(r.to) }));
  // A streak is still going if its last day is today or yesterday (today may just not have started).
  const current = streaks.find((s) => s.to === today || s.to === addDays(today, -1)) ?? null;

  return {
    generated_at: now.toISOString(),
    timezone: tz,
    account: options.account ?? null,
    empty: plays === 0,
    totals: {
      plays,
      minutes: round1(totals?.minutes),
      unique_tracks: int(totals?.tracks),
      unique_artists: int(totals?.artists),
      days_listened: int(totals?.days),
      first_play: (totals?.first as string | null) ?? null,
      last_play: (totals?.last as string | null) ?? null,
    },
    daily_last_30_days: daily.map((r) => ({
      date: String(r.date),
      plays: int(r.plays),
      minutes: round1(r.minutes),
      unique_tracks: int(r.tracks),
      unique_artists: int(r.artists),
    })),
    last_12_months: { from: from12, to: today },
    top_artists_all_time: topArtistsAll.map(artistCount),
    top_artists_last_12_months: topArtists12.map(artistCount),
    top_artists_this_month: { month, from: monthStart, to: today, artists: topArtistsMonth.map(artistCount) },
    top_tracks_all_time: topTracksAll.map(trackCount),
    top_tracks_last_12_months: topTracks12.map(trackCount),
    top_tracks_this_month: { month, from: monthStart, to: today, tracks: topTracksMonth.map(trackCount) },
    top_albums_all_time: topAlbumsAll.map(albumCount),
    top_albums_last_12_months: topAlbums12.map(albumCount),
    top_albums_this_month: { month, from: monthStart, to: today, albums: topAlbumsMonth.map(albumCount) },
    accounts: accounts.map((r) => ({
      account: String(r.account),
      plays: int(r.plays),
      minutes: round1(r.minutes),
      unique_tracks: int(r.tracks),
      unique_artists: int(r.artists),
      first_play: (r.first as string | null) ?? null,
      last_play: (r.last as string | null) ?? null,
    })),
    rates: { all_time: listeningRates(ratesAll), last_12_months: listeningRates(rates12) },
    by_hour: Array.from({ length: 24 }, (_, hour) => ({
      hour,
      plays: int(byHour.get(hour)?.plays),
      minutes: round1(byHour.get(hour)?.minutes),
    })),
    by_weekday: WEEKDAYS.map((weekday, i) => ({
      weekday,
      plays: int(byDow.get(i + 1)?.plays),
      minutes: round1(byDow.get(i + 1)?.minutes),
    })),
    new_artists_by_month: firstMonth
      ? monthsBetween(firstMonth, month > firstMonth ? month : firstMonth).map((m) => ({
          month: m,
          artists: discovered.get(m) ?? 0,
        }))
      : [],
    streaks: { longest: streaks[0] ?? null, current },
    lake_objects_failed: [],
  };
}
