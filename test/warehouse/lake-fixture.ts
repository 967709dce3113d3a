import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { buildObjects } from '../../src/lake/build-objects.js';
import { recordToJsonLine } from '../../src/lake/encode.js';
import { tracksDataset, type Dataset } from '../../src/lake/layout.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import type { ObjectStore } from '../../src/lake/object-store.js';
import {
  EPISODE_DATASET_PREFIX,
  EPISODE_FILE_PREFIX,
  EPISODE_KEYS,
  type EpisodeRecord,
} from '../../src/record/episode-schema.js';
import type { ListeningRecord } from '../../src/record/schema.js';
import { playTimeFromMs } from '../../src/record/time.js';

export const PREFIX = 'spotify_listening_history/';

export function tempDir(name: string): string {
  return mkdtempSync(path.join(tmpdir(), `wh-${name}-`));
}

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

function episodeLine(record: EpisodeRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const key of EPISODE_KEYS) ordered[key] = record[key];
  return JSON.stringify(ordered);
}

/** Writes plays the way the collector does: one write-once object per UTC date. Returns the keys. */
export async function writePlays(
  store: ObjectStore,
  records: ListeningRecord[],
  prefix = PREFIX,
): Promise<string[]> {
  const objects = buildObjects(tracksDataset(prefix), records, recordToJsonLine);
  for (const o of objects) await store.putIfAbsent(o.key, o.body);
  return objects.map((o) => o.key);
}

export async function writeEpisodes(store: ObjectStore, records: EpisodeRecord[]): Promise<string[]> {
  const dataset: Dataset = { prefix: EPISODE_DATASET_PREFIX, filePrefix: EPISODE_FILE_PREFIX };
  const objects = buildObjects(dataset, records, episodeLine);
  for (const o of objects) await store.putIfAbsent(o.key, o.body);
  return objects.map((o) => o.key);
}

export interface LocalSetup {
  root: string;
  dataDir: string;
  stateDir: string;
  store: LocalObjectStore;
  config: Config;
}

/** A local lake and state folder in a fresh temp dir, with the configuration the CLI would load there. */
export function localSetup(name: string, env: NodeJS.ProcessEnv = {}): LocalSetup {
  const root = tempDir(name);
  const dataDir = path.join(root, 'data');
  const stateDir = path.join(root, 'state');
  const config = loadConfig({ cwd: root, env: { DATA_DIR: dataDir, STATE_DIR: stateDir, ...env } });
  return { root, dataDir, stateDir, store: new LocalObjectStore(dataDir), config };
}
