import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport } from '../../src/import/run-import.js';
import { collectorFixture, summaryOf } from '../collect/fixture.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { readDataset } from '../helpers/lake.js';
import { writeStreamedZip } from './zip-writer.js';

/**
 * The import and the collector on real samples (test/fixtures/real, SOURCES.md there says where each comes
 * from), every expected figure worked out by hand from the sample files.
 */
const REAL = fileURLToPath(new URL('../fixtures/real/', import.meta.url));
const TRACKS = 'data/spotify_listening_history';
const EPISODES = 'data/spotify_episode_history';

/** The export as Spotify lays it out, each file from the corpus. */
const EXPORT: [entry: string, sample: string][] = [
  [
    'Spotify Extended Streaming History/Streaming_History_Audio_2023_0.json',
    'listenbrainz/Streaming_History_Audio_2023_0.json',
  ],
  [
    'Spotify Extended Streaming History/Streaming_History_Video_2024.json',
    'documented/Streaming_History_Video_2024.json',
  ],
  ['Spotify Account Data/StreamingHistory_music_0.json', 'za1nabkash1f/StreamingHistory_music_0.json'],
  ['Spotify Account Data/StreamingHistory_podcast_0.json', 'za1nabkash1f/StreamingHistory_podcast_0.json'],
  ['Spotify Account Data/StreamingHistory_audiobook_0.json', 'documented/StreamingHistory_audiobook_0.json'],
  ['Spotify Account Data/Userdata.json', 'documented/Userdata.json'],
];
const PDF = 'Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf';

let folder: string;
let zip: string;

beforeAll(async () => {
  const base = await tempDir('real-export-');
  folder = path.join(base, 'my_spotify_data');
  const entries: { name: string; bytes: Buffer }[] = [{ name: PDF, bytes: Buffer.from('%PDF-1.4\n') }];
  for (const [entry, sample] of EXPORT)
    entries.push({ name: entry, bytes: await fs.readFile(path.join(REAL, sample)) });
  for (const e of entries) {
    await fs.mkdir(path.dirname(path.join(folder, e.name)), { recursive: true });
    await fs.writeFile(path.join(folder, e.name), e.bytes);
  }
  zip = path.join(base, 'my_spotify_data.zip');
  await writeStreamedZip(
    zip,
    entries.map((e) => ({ name: e.name, pieces: () => [e.bytes] })),
  );
});

async function importJson(cwd: string, args: string[]) {
  const res = await runCli(['import', ...args, '--json'], { cwd, logLevel: 'warn' });
  expect(res.stderr).toBe('');
  return JSON.parse(res.stdout) as ImportReport;
}

/** The lake's records without the run-specific `ingested_at`, in a stable order. */
async function lake(cwd: string) {
  const strip = (rs: Record<string, unknown>[]) =>
    rs
      .map(({ ingested_at: _, ...r }) => r)
      .sort((a, b) => String(a.played_at).localeCompare(String(b.played_at)));
  return {
    tracks: strip((await readDataset(path.join(cwd, TRACKS))).records),
    episodes: strip((await readDataset(path.join(cwd, EPISODES))).records),
  };
}

describe('a real export, passed as its zip, its folder or its files', () => {
  it('imports each file where the table in docs/import.md says, the same three ways', async () => {
    const historyFiles = EXPORT.filter(([e]) => !e.endsWith('Userdata.json')).map(([e]) =>
      path.join(folder, e),
    );
    const ways = { folder: [folder], zip: [zip], files: historyFiles };
    const lakes: Record<string, Awaited<ReturnType<typeof lake>>> = {};
    for (const [way, args] of Object.entries(ways)) {
      const cwd = await tempDir();
      const report = await importJson(cwd, [...args, '--user', 'listener-b']);
      // Rows by hand: Audio 5 (1 under 30 s), Video 3 (1 under 30 s), music 8 (1 under 30 s),
      // podcasts 7 (2 under 30 s), audiobooks 3.
      expect(report, way).toMatchObject({
        outcome: 'ok',
        files_found: { extended: 2, account_data: 3, ignored: way === 'files' ? 0 : 2 },
        rows_read: 26,
        rows_written: 4 + 7,
        episodes_written: 2 + 5,
        rows_skipped: 8,
        skipped_by_reason: { short_play: 5, audiobook: 3 },
        plays_already_present: 0,
        users: ['listener-b'],
      });
      expect(
        report.files.map((f) => [path.basename(f.file), f.what, f.rows, f.status]),
        way,
      ).toEqual([
        ['Streaming_History_Audio_2023_0.json', 'Extended Streaming History, audio', 5, 'imported'],
        ['Streaming_History_Video_2024.json', 'Extended Streaming History, video', 3, 'imported'],
        ['StreamingHistory_audiobook_0.json', 'Account Data, audiobooks', 3, 'imported'],
        ['StreamingHistory_music_0.json', 'Account Data, music', 8, 'imported'],
        ['StreamingHistory_podcast_0.json', 'Account Data, podcasts', 7, 'imported'],
      ]);
      if (way !== 'files')
        expect(report.ignored_files.map((f) => [path.basename(f.file), f.why])).toEqual(
          way === 'zip'
            ? [
                ['ReadMeFirst_ExtendedStreamingHistory.pdf', 'not listening history (not a JSON file)'],
                ['Userdata.json', 'not listening history'],
              ]
            : expect.arrayContaining([
                ['ReadMeFirst_ExtendedStreamingHistory.pdf', 'not listening history (not a JSON file)'],
                ['Userdata.json', 'not listening history'],
              ]),
        );
      lakes[way] = await lake(cwd);

      // Again: nothing is written.
      const again = await importJson(cwd, [...args, '--user', 'listener-b']);
      expect(again).toMatchObject({ rows_written: 0, episodes_written: 0 });
      expect(again.files.every((f) => f.status === 'already_imported')).toBe(true);
    }
    expect(lakes.zip).toEqual(lakes.folder);
    expect(lakes.files).toEqual(lakes.folder);

    const { tracks, episodes } = lakes.folder!;
    expect(tracks.find((r) => r.track_name === 'Calm Down')).toMatchObject({
      played_at: '2023-03-19T18:20:49.000Z',
      played_at_hour: 18,
      track_id: '6hgoYQDUcPyCz7LcTUHKxa',
      primary_artist_name: 'Rema',
      artist_names: ['Rema'],
      album_name: 'Calm Down',
      ms_played: 219813,
      reason_start: 'fwdbtn',
      reason_end: 'trackdone',
      shuffle: true,
      skipped: false,
      offline: true,
      platform: 'android',
      conn_country: null,
      user_id: 'listener-b',
      data_source: 'spotify_extended_streaming_history',
    });
    expect(tracks.find((r) => r.primary_artist_name === 'FOURTH')).toMatchObject({
      played_at: '2024-05-26T13:00:00.000Z',
      track_id: null,
      track_name: 'ไหล่เธอ (You’ve Got Ma Back) (เพลงประกอบซีรีส์ แฟนผมเป็นประธานนักเรียน My School President)',
      ms_played: 199130,
      data_source: 'spotify_account_data',
    });
    // The two video plays of 88 s and 10 min; the 4 s one is a short play.
    expect(
      episodes
        .filter((r) => r.show_name === 'A Video Podcast')
        .map((r) => [r.played_at, r.episode_id, r.ms_played]),
    ).toEqual([
      ['2024-02-11T19:02:14.000Z', '0AbCdEfGhIjKlMnOpQrStU', 88000],
      ['2024-02-11T19:14:40.000Z', '1AbCdEfGhIjKlMnOpQrStU', 600000],
    ]);
    expect(episodes.find((r) => r.episode_name === 'Stan Culture')).toEqual({
      played_at: '2024-08-17T15:38:00.000Z',
      played_at_timestamp: 1723909080,
      played_at_date: '2024-08-17',
      played_at_hour: 15,
      episode_id: null,
      episode_name: 'Stan Culture',
      show_name: 'Tea With GenZ',
      ms_played: 1366726,
      reason_start: null,
      reason_end: null,
      shuffle: null,
      skipped: null,
      offline: null,
      platform: null,
      conn_country: null,
      user_id: 'listener-b',
      data_source: 'spotify_account_data',
    });
    expect(JSON.stringify(lakes.folder)).not.toMatch(/192\.0\.2|ip_addr|user_agent/);
  });
});

describe('a renamed file named on the command line', () => {
  it('is recognised by its rows: an Account Data podcast file still goes to the episodes', async () => {
    const dir = await tempDir('real-renamed-');
    const file = path.join(dir, 'my podcasts.json');
    await fs.copyFile(path.join(REAL, 'za1nabkash1f/StreamingHistory_podcast_0.json'), file);
    const report = await importJson(await tempDir(), [file, '--user', 'listener-b']);
    expect(report).toMatchObject({
      rows_written: 0,
      episodes_written: 5,
      skipped_by_reason: { short_play: 2 },
    });
    expect(report.files.map((f) => [f.kind, f.what])).toEqual([
      ['account_podcast', 'Account Data, podcasts (recognised by its rows)'],
    ]);
  });

  it('a streaming history of a kind the import does not know is ignored there too, as in a folder', async () => {
    const dir = await tempDir('real-unknown-kind-');
    const unknown = path.join(dir, 'StreamingHistory_video_0.json');
    await fs.copyFile(path.join(REAL, 'za1nabkash1f/StreamingHistory_podcast_0.json'), unknown);
    const music = path.join(dir, 'StreamingHistory_music_0.json');
    await fs.copyFile(path.join(REAL, 'za1nabkash1f/StreamingHistory_music_0.json'), music);
    for (const args of [[dir], [unknown, music]]) {
      const report = await importJson(await tempDir(), [...args, '--user', 'listener-b']);
      expect(report).toMatchObject({ rows_written: 7, episodes_written: 0 });
      expect(report.ignored_files).toEqual([
        { file: unknown, why: 'a streaming history of a kind this import does not know' },
      ]);
    }
  });
});

describe('one account per file', () => {
  it('rows with an empty username take the user the file names, whatever --user or the accounts say', async () => {
    const dir = await tempDir('real-endsong-');
    await fs.copyFile(path.join(REAL, 'listenbrainz/endsong_0.json'), path.join(dir, 'endsong_0.json'));
    // No --user and no account: the file's one named row decides for the four without a name.
    for (const args of [[], ['--user', 'bob']]) {
      const cwd = await tempDir();
      const report = await importJson(cwd, [dir, ...args]);
      expect(report).toMatchObject({ rows_read: 5, rows_written: 4, skipped_by_reason: { short_play: 1 } });
      const { tracks } = await lake(cwd);
      expect(tracks.map((r) => [r.played_at, r.user_id])).toEqual([
        ['2010-12-01T10:28:44.000Z', 'listener-a'],
        ['2013-03-14T10:44:25.000Z', 'listener-a'],
        ['2017-12-24T19:37:40.000Z', 'listener-a'],
        ['2021-05-10T11:03:21.000Z', 'listener-a'],
      ]);
    }
  });

  it('a file resumed after a crash keeps the user its rows named before the crash', async () => {
    const rows = JSON.parse(
      await fs.readFile(path.join(REAL, 'listenbrainz/endsong_0.json'), 'utf8'),
    ) as Record<string, unknown>[];
    const named = rows.find((r) => r.username)!;
    const unnamed = rows.find((r) => r.username === '' && r.master_metadata_track_name === 'Fly Free')!;
    // The named row, then more rows with an empty username than one batch (20,000) holds.
    const start = Date.parse('2021-05-10T11:03:21Z');
    const file = [
      named,
      ...Array.from({ length: 20_009 }, (_, i) => ({
        ...unnamed,
        ts: new Date(start + i * 600_000).toISOString().replace('.000Z', 'Z'),
      })),
    ];
    const dir = await tempDir('real-endsong-resume-');
    await fs.writeFile(path.join(dir, 'endsong_0.json'), JSON.stringify(file));
    const cwd = await tempDir();
    const pause = { SPOTIFY_PIPELINE_PAUSE_AT: 'import-after-batch' };
    await runCli(['import', dir, '--user', 'bob', '--json'], {
      cwd,
      env: pause,
      until: 'import-after-batch',
      logLevel: 'warn',
    });
    // (It warns that it took over the crashed run's lease.)
    const rerun = JSON.parse(
      (await runCli(['import', dir, '--user', 'bob', '--json'], { cwd, logLevel: 'warn' })).stdout,
    ) as ImportReport;
    // The last 10 rows: written now, or already by the crashed run (its last batch may have been committed
    // while the pipeline paused after the one before); either way under the file's user.
    expect(rerun).toMatchObject({ resumed: true, rows_read: 10 });
    expect(rerun.rows_written + rerun.plays_already_present).toBe(10);
    const { tracks } = await lake(cwd);
    expect(tracks).toHaveLength(20_010);
    expect(new Set(tracks.map((r) => r.user_id))).toEqual(new Set(['listener-a']));
  });
});

describe('"Unknown Track" placeholders', () => {
  it('are skipped as unknown_track in Account Data as in the Extended history', async () => {
    const dir = await tempDir('real-unknown-');
    for (const f of ['Streaming_History_Audio_2024_1.json', 'StreamingHistory_music_1.json'])
      await fs.copyFile(path.join(REAL, 'documented', f), path.join(dir, f));
    const cwd = await tempDir();
    const report = await importJson(cwd, [dir, '--user', 'listener-b']);
    // Extended: one row with neither name nor URI, one play; Account Data: the placeholder, and the same play.
    expect(report).toMatchObject({
      rows_written: 1,
      rows_skipped: 2,
      skipped_by_reason: { unknown_track: 2 },
      plays_already_present: 1,
    });
  });
});

describe('recorded recently-played pages through the fake Spotify server', () => {
  let fixture: Awaited<ReturnType<typeof collectorFixture>> | undefined;
  afterEach(async () => fixture?.close());

  it('keeps the track, skips the episode and the local file, and an export of the same play finds it (±10 s)', async () => {
    fixture = await collectorFixture('alice');
    const page = JSON.parse(
      await fs.readFile(path.join(REAL, 'listenbrainz/recently-played-page.json'), 'utf8'),
    ) as { items: Record<string, unknown>[] };
    const built = JSON.parse(
      await fs.readFile(path.join(REAL, 'documented/recently-played-items.json'), 'utf8'),
    ) as Record<string, unknown>[];
    fixture.spotify.addRecordedItems('alice', [...page.items, ...built]);

    const summary = summaryOf(await fixture.run());
    expect(summary.accounts[0]).toMatchObject({
      plays_fetched: 3,
      plays_new: 1,
      plays_skipped: 2,
      skipped_by_reason: { episode: 1, no_track_id: 1 },
    });
    const { tracks, episodes } = await lake(fixture.cwd);
    expect(episodes).toEqual([]);
    expect(tracks).toEqual([
      {
        played_at: '2021-10-25T05:13:13.658Z',
        played_at_timestamp: 1635138793,
        played_at_date: '2021-10-25',
        played_at_hour: 5,
        track_id: '02MWAaffLxlfxAUY7c5dvx',
        track_name: 'Heat Waves',
        track_duration_ms: 238805,
        track_popularity: 92,
        track_explicit: false,
        isrc: 'GBUM72000433',
        primary_artist_id: '4yvcSjfu4PC0CYQyLy4wSq',
        primary_artist_name: 'Glass Animals',
        artist_names: ['Glass Animals'],
        album_id: '0KTj6k94XZh0c6IEMfxeWV',
        album_name: 'Dreamland (+ Bonus Levels)',
        album_type: 'album',
        album_release_date: '2020-08-06',
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
        user_id: 'alice',
        data_source: 'spotify_recently_played_api',
      },
    ]);

    // The export's row of that play ends 4.658 s earlier by the export's clock: the same play.
    const dir = await tempDir('real-overlap-');
    await fs.writeFile(
      path.join(dir, 'Streaming_History_Audio_2021_0.json'),
      JSON.stringify([
        {
          ts: '2021-10-25T05:13:09Z',
          ms_played: 238805,
          master_metadata_track_name: 'Heat Waves',
          master_metadata_album_artist_name: 'Glass Animals',
          master_metadata_album_album_name: 'Dreamland (+ Bonus Levels)',
          spotify_track_uri: 'spotify:track:02MWAaffLxlfxAUY7c5dvx',
        },
      ]),
    );
    const imported = await fixture.run(['import', dir, '--json']);
    expect(JSON.parse(imported.stdout)).toMatchObject({ rows_written: 0, plays_already_present: 1 });
  });
});
