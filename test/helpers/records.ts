import type { EpisodeRecord } from '../../src/record/episode-schema.js';
import type { ListeningRecord } from '../../src/record/schema.js';
import { playTimeFromMs } from '../../src/record/time.js';

/**
 * Record builders for tests that write a lake directly (the warehouse, Snowflake, custom fields): one play or
 * episode with overrides, or a varied, deterministic set. Tests that go through the CLI generate an export
 * instead (src/demo/generate-export.ts).
 */

/** A play as the collector writes it; `overrides` pick the artist, track and so on. */
export function play(at: string | number, overrides: Partial<ListeningRecord> = {}): ListeningRecord {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  const artist = overrides.primary_artist_name ?? 'Artist A';
  return {
    ...playTimeFromMs(ms),
    track_id: `t_${overrides.track_name ?? 'Song'}`.replace(/\W/g, '_'),
    track_name: 'Song',
    track_duration_ms: 180_000,
    track_popularity: null,
    track_explicit: false,
    isrc: null,
    primary_artist_id: `a_${artist}`.replace(/\W/g, '_'),
    primary_artist_name: artist,
    artist_names: [artist],
    album_id: 'al1',
    album_name: 'Album',
    album_type: 'album',
    album_release_date: '2020',
    context_type: null,
    context_uri: null,
    ms_played: null,
    reason_start: null,
    reason_end: null,
    shuffle: null,
    skipped: null,
    offline: null,
    platform: null,
    conn_country: null,
    user_id: 'user1',
    data_source: 'spotify_recently_played_api',
    ingested_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A podcast episode as the import writes it; `overrides` pick the show, the user and so on. */
export function episode(at: string, overrides: Partial<EpisodeRecord> = {}): EpisodeRecord {
  return {
    ...playTimeFromMs(Date.parse(at)),
    episode_id: 'ep1',
    episode_name: 'Episode 1',
    show_name: 'A Show',
    ms_played: 600_000,
    reason_start: 'clickrow',
    reason_end: 'endplay',
    shuffle: false,
    skipped: false,
    offline: false,
    platform: 'android',
    conn_country: 'DE',
    user_id: 'user1',
    data_source: 'spotify_extended_streaming_history',
    ingested_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function times(ms: number) {
  const iso = new Date(ms).toISOString();
  return {
    played_at: iso,
    played_at_timestamp: Math.floor(ms / 1000),
    played_at_date: iso.slice(0, 10),
    played_at_hour: new Date(ms).getUTCHours(),
  };
}

/** Varied plays: API and export rows, nulls, empty and long artist lists, odd characters, several users and days. */
export function sampleRecords(count: number, startMs: number, stepMs = 3_517_000): ListeningRecord[] {
  const out: ListeningRecord[] = [];
  for (let i = 0; i < count; i++) {
    const fromExport = i % 3 === 0;
    const noUri = fromExport && i % 9 === 0;
    const artists = i % 5 === 0 ? [] : i % 7 === 0 ? ['Ánna "Q"', 'B\\C', '東京', 'Δ'] : [`Artist ${i % 11}`];
    out.push({
      ...times(startMs + i * stepMs + (i % 1000)),
      track_id: noUri ? null : `trk${(i % 40).toString(36).padStart(6, '0')}`,
      track_name: i % 13 === 0 ? `Song "${i}" — ünïcødé\nnewline` : `Song ${i % 40}`,
      track_duration_ms: fromExport ? null : 120_000 + i * 1000,
      track_popularity: i % 4 === 0 ? null : i % 101,
      track_explicit: i % 6 === 0 ? null : i % 2 === 0,
      isrc: i % 8 === 0 ? null : `USRC1${String(i).padStart(7, '0')}`,
      primary_artist_id: artists.length ? `art${i % 11}` : null,
      primary_artist_name: artists[0] ?? null,
      artist_names: artists,
      album_id: i % 10 === 0 ? null : `alb${i % 17}`,
      album_name: i % 10 === 0 ? null : `Album ${i % 17}`,
      album_type: i % 10 === 0 ? null : 'album',
      album_release_date: ['2024', '2024-01', '2024-01-15', null][i % 4]!,
      context_type: i % 3 === 1 ? 'playlist' : null,
      context_uri: i % 3 === 1 ? 'spotify:playlist:abc' : null,
      ms_played: fromExport ? 30_000 + i * 77 : null,
      reason_start: fromExport ? 'trackdone' : null,
      reason_end: fromExport ? 'endplay' : null,
      shuffle: fromExport ? i % 2 === 0 : null,
      skipped: fromExport ? null : null,
      offline: fromExport ? false : null,
      platform: fromExport ? 'android' : null,
      conn_country: fromExport ? 'DE' : null,
      user_id: i % 4 === 0 ? 'user-two' : 'user_one',
      data_source: fromExport ? 'spotify_extended_streaming_history' : 'spotify_recently_played_api',
      ingested_at: new Date(startMs + 86_400_000 * 40).toISOString(),
    });
  }
  return out;
}

export function sampleEpisodes(count: number, startMs: number): EpisodeRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    ...times(startMs + i * 7_200_123),
    episode_id: i % 4 === 0 ? null : `ep${i}`,
    episode_name: `Episode ${i}`,
    show_name: i % 3 === 0 ? null : 'The Show',
    ms_played: 600_000 + i,
    reason_start: 'clickrow',
    reason_end: i % 2 ? 'endplay' : null,
    shuffle: false,
    skipped: null,
    offline: i % 2 === 0,
    platform: 'ios',
    conn_country: null,
    user_id: 'user_one',
    data_source: 'spotify_extended_streaming_history' as const,
    ingested_at: new Date(startMs).toISOString(),
  }));
}
