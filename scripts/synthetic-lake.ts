/**
 * Deterministic synthetic listening history for the scale benchmarks: a household of accounts, years of
 * plays and some podcast episodes, as lake objects made by the project's own encoder and object naming
 * (recordToJsonLine, buildObjects, objectKey). Every (account, day) object depends only on the seed, the
 * account and the day, so shards written by several processes add up to the same lake, and writing a day
 * twice is a no-op (the content-derived names collide and write-once keeps the first).
 */
import { buildObjects, type PreparedObject } from '../src/lake/build-objects.js';
import { recordToJsonLine } from '../src/lake/encode.js';
import { tracksDataset } from '../src/lake/layout.js';
import {
  EPISODE_DATASET_PREFIX,
  EPISODE_FILE_PREFIX,
  EPISODE_KEYS,
  type EpisodeRecord,
} from '../src/record/episode-schema.js';
import type { ListeningRecord } from '../src/record/schema.js';
import { playTimeFromMs } from '../src/record/time.js';
import { rng } from '../test/helpers/rng.js';

export const DAY_MS = 86_400_000;
export const TRACKS_PREFIX = 'spotify_listening_history/';

export interface LakeShape {
  accounts: number;
  plays: number;
  /** First and last UTC day (epoch ms at 00:00). */
  startDay: number;
  endDay: number;
  /** Days before this one were imported from the export; later ones collected by the API. */
  apiSinceDay: number;
}

const seedOf = (account: number, day: number, salt: number) =>
  (Math.imul(account + 1, 0x9e3779b1) ^ Math.imul(Math.floor(day / DAY_MS) + 7, 0x85ebca77) ^ salt) | 0;

export const accountId = (a: number) => `household_member_${a + 1}`;

/** Relative listening of an account on a day: weekends heavier, some quiet days, more in later years. */
function dayWeight(shape: LakeShape, account: number, day: number): number {
  const r = rng(seedOf(account, day, 0x5eed))();
  const weekday = new Date(day).getUTCDay();
  const weekend = weekday === 0 || weekday === 6 ? 1.4 : 1;
  const growth = 0.6 + (0.8 * (day - shape.startDay)) / Math.max(1, shape.endDay - shape.startDay);
  return (r < 0.05 ? 0.05 : 0.3 + r) * weekend * growth;
}

/**
 * Plays per day of one account, exactly `shape.plays / accounts` in total (the first account takes the
 * remainder): cumulative weights rounded, so any day's count is known without generating the others.
 */
export function dailyCounts(shape: LakeShape, account: number): Int32Array {
  const days = Math.round((shape.endDay - shape.startDay) / DAY_MS) + 1;
  const share = Math.floor(shape.plays / shape.accounts) + (account === 0 ? shape.plays % shape.accounts : 0);
  const weights = new Float64Array(days);
  let total = 0;
  for (let d = 0; d < days; d++) total += weights[d] = dayWeight(shape, account, shape.startDay + d * DAY_MS);
  const counts = new Int32Array(days);
  let cumulative = 0;
  let given = 0;
  for (let d = 0; d < days; d++) {
    cumulative += weights[d]!;
    const upTo = Math.round((share * cumulative) / total);
    counts[d] = upTo - given;
    given = upTo;
  }
  return counts;
}

const ARTISTS = 8000;
const TRACKS = 120_000;
const HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 3, 3, 3, 4, 3, 3, 3, 4, 5, 6, 6, 5, 4, 3, 2];
const HOUR_CDF = (() => {
  let sum = 0;
  const cumulative = HOUR_WEIGHTS.map((w) => (sum += w));
  return cumulative.map((v) => v / sum);
})();
const PLATFORMS = ['android', 'ios', 'windows', 'osx', 'web_player'];

function trackRecord(
  random: () => number,
  account: number,
  ms: number,
  source: ListeningRecord['data_source'],
  ingestedAt: string,
): ListeningRecord {
  // Each account has its own favourites (a Zipf-like pick from a shifted catalogue) and a shared long tail.
  const t = (Math.floor(TRACKS * random() ** 3) + account * 17_000) % TRACKS;
  const a = t % ARTISTS;
  const duration = 120_000 + ((t * 7919) % 240_000);
  const fromExport = source !== 'spotify_recently_played_api';
  const skipped = random() < 0.15;
  return {
    ...playTimeFromMs(ms),
    track_id: `track${t.toString(36).padStart(6, '0')}`,
    track_name: `Track ${t}`,
    track_duration_ms: duration,
    track_popularity: null,
    track_explicit: t % 11 === 0,
    isrc: `QZ${t.toString().padStart(10, '0')}`,
    primary_artist_id: `artist${a.toString(36).padStart(5, '0')}`,
    primary_artist_name: `Artist ${a}`,
    artist_names: a % 5 === 0 ? [`Artist ${a}`, `Artist ${(a + 1) % ARTISTS}`] : [`Artist ${a}`],
    album_id: `album${(t >> 3).toString(36)}`,
    album_name: `Album ${t >> 3}`,
    album_type: 'album',
    album_release_date: String(1970 + (t % 55)),
    context_type: fromExport ? null : 'playlist',
    context_uri: fromExport ? null : `spotify:playlist:pl${account}x${t % 40}`,
    ms_played: fromExport
      ? Math.round(duration * (skipped ? 0.1 + random() * 0.3 : 0.7 + random() * 0.3))
      : null,
    reason_start: fromExport ? 'trackdone' : null,
    reason_end: fromExport ? (skipped ? 'fwdbtn' : 'trackdone') : null,
    shuffle: fromExport ? random() < 0.4 : null,
    skipped: fromExport ? skipped : null,
    offline: fromExport ? random() < 0.05 : null,
    platform: fromExport ? PLATFORMS[account % PLATFORMS.length]! : null,
    conn_country: fromExport ? 'DE' : null,
    user_id: accountId(account),
    data_source: source,
    ingested_at: ingestedAt,
  };
}

function episodeRecord(random: () => number, account: number, ms: number, ingestedAt: string): EpisodeRecord {
  const show = Math.floor(40 * random() ** 2);
  const e = show * 1000 + Math.floor(random() * 300);
  return {
    ...playTimeFromMs(ms),
    episode_id: `episode${e.toString(36).padStart(6, '0')}`,
    episode_name: `Episode ${e}`,
    show_name: `Show ${show}`,
    ms_played: 600_000 + Math.floor(random() * 3_000_000),
    reason_start: 'clickrow',
    reason_end: 'endplay',
    shuffle: false,
    skipped: false,
    offline: false,
    platform: PLATFORMS[account % PLATFORMS.length]!,
    conn_country: 'DE',
    user_id: accountId(account),
    data_source: 'spotify_extended_streaming_history',
    ingested_at: ingestedAt,
  };
}

function episodeLine(record: EpisodeRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const key of EPISODE_KEYS) ordered[key] = record[key] ?? null;
  return JSON.stringify(ordered);
}

function playTimes(random: () => number, day: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = random();
    const hour = HOUR_CDF.findIndex((c) => c >= r);
    out.push(day + hour * 3_600_000 + Math.floor(random() * 3_600_000));
  }
  return out;
}

/** The lake objects of one account's day: its plays (one object) and, on some days, its episodes. */
export function dayObjects(shape: LakeShape, account: number, day: number, plays: number): PreparedObject[] {
  const random = rng(seedOf(account, day, 0x7ac5));
  const source =
    day >= shape.apiSinceDay ? 'spotify_recently_played_api' : 'spotify_extended_streaming_history';
  // Ingested the day after (the API) or at the end of the history (the import): fixed, so bytes are stable.
  const ingestedAt = new Date(
    source === 'spotify_recently_played_api' ? day + DAY_MS : shape.apiSinceDay,
  ).toISOString();
  const records = playTimes(random, day, plays).map((ms) =>
    trackRecord(random, account, ms, source, ingestedAt),
  );
  const out = buildObjects(tracksDataset(TRACKS_PREFIX), records, recordToJsonLine);
  // Episodes only come from the export (the API never lists them): about one export day in four.
  if (source !== 'spotify_recently_played_api' && random() < 0.25) {
    const episodes = playTimes(random, day, 1 + Math.floor(random() * 6)).map((ms) =>
      episodeRecord(random, account, ms, ingestedAt),
    );
    out.push(
      ...buildObjects(
        { prefix: EPISODE_DATASET_PREFIX, filePrefix: EPISODE_FILE_PREFIX },
        episodes,
        episodeLine,
      ),
    );
  }
  return out;
}
