import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCollection } from '../../src/collect/run-collection.js';
import { loadConfig, type Config } from '../../src/config.js';
import { runImport } from '../../src/import/run-import.js';
import { openObjectStore } from '../../src/lake/open-store.js';
import type { ObjectStore } from '../../src/lake/object-store.js';
import { createLogger } from '../../src/log.js';
import { PlayerWatcher } from '../../src/player/player-watcher.js';
import { RateLimiter } from '../../src/spotify/rate-limiter.js';
import { openWriterSession, type WriterSession } from '../../src/commit/index.js';
import {
  FakeSpotify,
  headlessSpotifyEnv,
  type FakeTrack,
  type FakeUser,
  type PlayerSegment,
} from '../fakes/spotify-server.js';
import { tempDir } from '../helpers/cli.js';
import { readLocalLake } from '../helpers/lake.js';

/**
 * The watcher against the fake Spotify's player, on a virtual clock shared by both (no sleeps): a listening
 * timeline of full plays, a skip, a play under MIN_MS_PLAYED, a track twice in a row, a long pause, an
 * episode and an ad. Real local lake and state, the collector's commit path; recently-played afterwards finds
 * every play it lists already present.
 */
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const s = (sec: number) => T0 + sec * 1000;
const tr = (id: string, sec: number): FakeTrack => ({
  id,
  name: `Song ${id}`,
  duration_ms: sec * 1000,
  artists: [{ id: `ar${id}`, name: `Artist ${id}` }],
});
const A = tr('trackA0000000000000000', 200);
const B = tr('trackB0000000000000000', 180);
const C = tr('trackC0000000000000000', 180);
const D = tr('trackD0000000000000000', 240);
const E = {
  id: 'episodeE00000000000000',
  name: 'Episode E',
  duration_ms: 600_000,
  show: { id: 'sh', name: 'Show' },
};

const TIMELINE: PlayerSegment[] = [
  { at: s(0), item: { track: A } }, // full, 0..200
  { at: s(200), item: { track: B } }, // skipped after 60 s
  { at: s(260), item: { track: C } }, // 15 s: under MIN_MS_PLAYED
  { at: s(275), item: { track: A } }, // full, 275..475
  { at: s(475), item: { track: A } }, // the same track again, 475..675
  { at: s(675), item: { track: D } }, // 60 s, a 300 s pause, then to its end at 1215
  { at: s(735), item: { track: D }, progressMs: 60_000, playing: false },
  { at: s(1035), item: { track: D }, progressMs: 60_000 },
  { at: s(1215), item: { episode: E } }, // 300 s of a 600 s episode
  { at: s(1515), item: 'ad' },
  { at: s(1545), item: null },
];

let spotify: FakeSpotify;
let user: FakeUser;
let config: Config;
let writer: WriterSession;
let store: ObjectStore;
let dataDir: string;
let now = s(3);
const log = createLogger('silent');

async function open(scopes: string[]) {
  spotify = await FakeSpotify.start();
  user = spotify.addUser('alice', { scopes });
  spotify.playerClock = () => now;
  const cwd = await tempDir();
  dataDir = path.join(cwd, 'data');
  config = loadConfig({
    cwd,
    env: { ...headlessSpotifyEnv(spotify, user), DATA_DIR: dataDir, STATE_DIR: path.join(cwd, '.pipeline') },
  });
  writer = await openWriterSession(config, log, 'test');
  store = await openObjectStore(config.storage);
}

function watcher(): PlayerWatcher {
  return new PlayerWatcher({
    config,
    log,
    settings: { pollMs: 10_000, minMsPlayed: 30_000 },
    limiter: new RateLimiter(1000, () => now),
    store,
    now: () => now,
  });
}

/** Runs the virtual clock second by second to `until`, polling whenever the watcher is due. */
async function drive(w: PlayerWatcher, until: number) {
  for (; now <= until; now += 1000) if (w.nextDueAt() <= now) await w.tick(writer);
}

beforeEach(() => {
  now = s(3);
});
afterEach(async () => {
  await writer.release();
  await spotify.close();
});

describe('the player watcher', () => {
  it('writes each play the timeline holds once, with ms_played and skipped; recently-played adds nothing', async () => {
    await open(['user-read-recently-played', 'user-read-currently-playing']);
    user.player.push(...TIMELINE);
    await drive(watcher(), s(1700));

    const lake = await readLocalLake(dataDir);
    const records = lake.flatMap((f) => f.records);
    const tracks = records.filter((r) => 'track_id' in r);
    expect(tracks.map((r) => [r.track_id, r.played_at, r.ms_played, r.skipped, r.data_source])).toEqual([
      [A.id, '2026-12-01T10:03:20.000Z', 200_000, false, 'spotify_player_state'],
      [B.id, '2026-12-01T10:04:20.000Z', 60_000, true, 'spotify_player_state'],
      [A.id, '2026-12-01T10:07:55.000Z', 200_000, false, 'spotify_player_state'],
      [A.id, '2026-12-01T10:11:15.000Z', 200_000, false, 'spotify_player_state'],
      [D.id, '2026-12-01T10:20:15.000Z', 240_000, false, 'spotify_player_state'],
    ]);
    // No record of C (15 s) and none of the ad.
    expect(records.some((r) => r.track_id === C.id)).toBe(false);
    const episodes = records.filter((r) => 'episode_id' in r);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ episode_id: E.id, show_name: 'Show', skipped: true });
    // Playback went from the episode to an ad: the end is known to within one poll (10 s).
    expect(Number(episodes[0]!.ms_played)).toBeGreaterThanOrEqual(300_000);
    expect(Number(episodes[0]!.ms_played)).toBeLessThanOrEqual(310_000);
    expect(
      lake.every((f) => f.key.startsWith('spotify_listening_history/') === 'track_id' in f.records[0]!),
    ).toBe(true);

    // Recently-played lists the plays that ran to their end, at their true ends: all already present.
    spotify.addPlays('alice', [
      { track: A, played_at: new Date(s(200) + 400).toISOString() },
      { track: A, played_at: new Date(s(475) - 700).toISOString() },
      { track: A, played_at: new Date(s(675) + 900).toISOString() },
      { track: D, played_at: new Date(s(1215) + 300).toISOString() },
    ]);
    const summary = await runCollection(config, log, { command: 'run-once', writer, store });
    expect(summary.accounts[0]).toMatchObject({ plays_new: 0, plays_already_present: 4 });
    expect((await readLocalLake(dataDir)).flatMap((f) => f.records)).toHaveLength(records.length);

    // The privacy export of the same listening, weeks later (ts: the end, to the second, a few seconds off):
    // every play the player wrote is already present, the one it never saw is written. The episode's end was
    // estimated at the next read (the ad), 12 s after the export's: within the window widened by one poll.
    const row = (ts: string, ms: number, track: FakeTrack | null, skipped: boolean) => ({
      ts,
      ms_played: ms,
      master_metadata_track_name: track?.name ?? null,
      master_metadata_album_artist_name: track ? 'Artist' : null,
      master_metadata_album_album_name: null,
      spotify_track_uri: track ? `spotify:track:${track.id}` : null,
      episode_name: track ? null : E.name,
      episode_show_name: track ? null : 'Show',
      spotify_episode_uri: track ? null : `spotify:episode:${E.id}`,
      reason_start: 'trackdone',
      reason_end: skipped ? 'fwdbtn' : 'trackdone',
      shuffle: false,
      skipped,
      offline: false,
      incognito_mode: false,
      platform: 'linux',
      conn_country: 'SE',
    });
    const exportFile = path.join(path.dirname(dataDir), 'Streaming_History_Audio_2026_0.json');
    await writeFile(
      exportFile,
      JSON.stringify([
        row('2026-12-01T10:03:23Z', 200_000, A, false),
        row('2026-12-01T10:04:18Z', 60_000, B, true),
        row('2026-12-01T10:07:57Z', 200_000, A, false),
        row('2026-12-01T10:11:12Z', 200_000, A, false),
        row('2026-12-01T10:20:19Z', 240_000, D, false),
        row('2026-12-01T10:25:11Z', 300_000, null, true),
        row('2026-12-01T11:00:00Z', 100_000, C, false),
      ]),
    );
    await writer.release();
    const report = await runImport(config, log, { paths: [exportFile] });
    writer = await openWriterSession(config, log, 'test');
    expect(report).toMatchObject({
      plays_already_present: 5,
      episodes_already_present: 1,
      rows_written: 1,
      episodes_written: 0,
    });
  });

  it('a play in progress when the process stops is resumed by the next start, and written once', async () => {
    await open(['user-read-recently-played', 'user-read-currently-playing']);
    user.player.push(...TIMELINE.slice(0, 2));
    const first = watcher();
    await drive(first, s(120));
    await first.stop(writer);
    expect(await readLocalLake(dataDir)).toEqual([]);
    now = s(150); // 30 s down
    await drive(watcher(), s(300));
    const records = (await readLocalLake(dataDir)).flatMap((f) => f.records);
    expect(records.map((r) => [r.track_id, r.played_at, r.ms_played])).toEqual([
      [A.id, '2026-12-01T10:03:20.000Z', 200_000],
    ]);
  });

  it('an account without the player scope is not polled and still collects recently-played', async () => {
    await open(['user-read-recently-played']);
    user.player.push(...TIMELINE);
    const w = watcher();
    await drive(w, s(100));
    expect(spotify.count('GET', '/v1/me/player/currently-playing')).toBe(0);
    expect(w.nextDueAt()).toBe(Infinity);
    spotify.addPlays('alice', [{ track: A, played_at: new Date(s(200)).toISOString() }]);
    const summary = await runCollection(config, log, { command: 'run-once', writer, store });
    expect(summary.accounts[0]).toMatchObject({ outcome: 'ok', plays_new: 1 });
  });

  it('a 429 on the player holds recently-played too (one rate window)', async () => {
    await open(['user-read-recently-played', 'user-read-currently-playing']);
    user.player.push(...TIMELINE);
    const limiter = new RateLimiter(1000);
    const w = new PlayerWatcher({
      config,
      log,
      settings: { pollMs: 10_000, minMsPlayed: 30_000 },
      limiter,
      store,
      now: () => now,
    });
    spotify.inject('currently-playing', { status: 429, headers: { 'retry-after': '1' } });
    const polling = w.tick(writer);
    while (!spotify.requests.some((r) => r.status === 429)) await new Promise((r) => setTimeout(r, 10));
    // A collection that starts while the player waits out Retry-After waits too.
    const collected = runCollection(config, log, { command: 'run-once', writer, store, limiter });
    await Promise.all([polling, collected]);
    const limited = spotify.requests.find((r) => r.status === 429)!;
    const afterHold = spotify.requests.filter((r) => r.at! >= limited.at! + 900).map((r) => r.path);
    expect(afterHold).toContain('/v1/me/player/recently-played');
    expect(spotify.requests.filter((r) => r.at! < limited.at! + 900).map((r) => r.path)).not.toContain(
      '/v1/me/player/recently-played',
    );
  });
});
