import { describe, expect, it } from 'vitest';
import { classifyExportFile, kindFromName } from '../../src/import/export-file-kinds.js';
import { kindOfRow } from '../../src/record/export-row.js';
import {
  mapAccountAudiobookRow,
  mapAccountDataRow,
  mapAccountPodcastRow,
  mapExtendedRow,
  type MapOptions,
} from '../../src/record/from-export.js';
import { RECORD_KEYS } from '../../src/record/schema.js';

const options: MapOptions = {
  minMsPlayed: 30_000,
  fallbackUser: () => 'fallback',
  ingestedAt: '2026-01-01T00:00:00.000Z',
};
const row = {
  ts: '2024-03-05T21:14:05Z',
  username: 'alice',
  platform: 'Android OS 13',
  ms_played: 201_000,
  conn_country: 'DE',
  ip_addr: '192.0.2.1',
  user_agent_decrypted: 'Mozilla/5.0',
  master_metadata_track_name: 'Song',
  master_metadata_album_artist_name: 'Artist',
  master_metadata_album_album_name: 'Album',
  spotify_track_uri: 'spotify:track:4uLU6hMCjMI75M1A2tKUQC',
  episode_name: null,
  episode_show_name: null,
  spotify_episode_uri: null,
  reason_start: 'trackdone',
  reason_end: 'trackdone',
  shuffle: false,
  skipped: null,
  offline: false,
  offline_timestamp: 1709673000,
  incognito_mode: false,
};

describe('mapExtendedRow', () => {
  it('maps a track play to the record schema and never copies IPs or user agents', () => {
    const m = mapExtendedRow(row, options);
    expect(m.kind).toBe('track');
    if (m.kind !== 'track') return;
    expect(m.record).toMatchObject({
      played_at: '2024-03-05T21:14:05.000Z',
      played_at_date: '2024-03-05',
      played_at_hour: 21,
      track_id: '4uLU6hMCjMI75M1A2tKUQC',
      track_name: 'Song',
      primary_artist_name: 'Artist',
      artist_names: ['Artist'],
      album_name: 'Album',
      ms_played: 201_000,
      platform: 'Android OS 13',
      conn_country: 'DE',
      shuffle: false,
      skipped: null,
      user_id: 'alice',
      data_source: 'spotify_extended_streaming_history',
    });
    expect(Object.keys(m.record).sort()).toEqual([...RECORD_KEYS].sort());
    expect(JSON.stringify(m.record)).not.toMatch(/192\.0\.2|Mozilla/);
    expect(m.key).toEqual({
      t: Date.parse('2024-03-05T21:14:05Z'),
      id: '4uLU6hMCjMI75M1A2tKUQC',
      name: 'Song',
      src: 'ext',
    });
  });

  it('uses the fallback user when the row has no username', () => {
    const m = mapExtendedRow({ ...row, username: undefined }, options);
    expect(m.kind === 'track' && m.userId).toBe('fallback');
  });

  it.each([
    [{ ms_played: 29_999 }, 'short_play'],
    [{ incognito_mode: true }, 'incognito'],
    [{ spotify_track_uri: null }, 'no_track_uri'],
    [{ spotify_track_uri: null, master_metadata_track_name: null }, 'unknown_track'],
    [{ spotify_track_uri: 'spotify:local:::x:1' }, 'no_track_uri'],
    [{ master_metadata_track_name: null }, 'no_track_name'],
    [{ spotify_track_uri: null, audiobook_title: 'Book', audiobook_uri: 'spotify:show:x' }, 'audiobook'],
    [{ ts: '2024-03-05 21:14' }, 'invalid'],
    [{ ms_played: 'long' }, 'invalid'],
  ])('skips %j as %s', (patch, reason) => {
    const m = mapExtendedRow({ ...row, ...patch }, options);
    expect(m).toMatchObject({ kind: 'skip', reason });
  });

  it('sends podcast episodes to the episode dataset', () => {
    const m = mapExtendedRow(
      {
        ...row,
        master_metadata_track_name: null,
        spotify_track_uri: null,
        episode_name: 'Ep 1',
        episode_show_name: 'Show',
        spotify_episode_uri: 'spotify:episode:5Xt5DXGzch68nYYamXrNxZ',
      },
      options,
    );
    expect(m.kind).toBe('episode');
    if (m.kind !== 'episode') return;
    expect(m.record).toMatchObject({
      episode_id: '5Xt5DXGzch68nYYamXrNxZ',
      episode_name: 'Ep 1',
      show_name: 'Show',
    });
  });
});

describe('mapAccountDataRow', () => {
  it('keeps the play with a null track id, minute precision', () => {
    const m = mapAccountDataRow(
      { endTime: '2024-08-02 22:44', artistName: 'Artist', trackName: 'Song', msPlayed: 180_000 },
      options,
    );
    expect(m.kind).toBe('track');
    if (m.kind !== 'track') return;
    expect(m.record).toMatchObject({
      played_at: '2024-08-02T22:44:00.000Z',
      track_id: null,
      track_name: 'Song',
      data_source: 'spotify_account_data',
      user_id: 'fallback',
    });
    expect(m.key.src).toBe('acct');
  });

  it('skips the "Unknown Track" by "Unknown Artist" placeholder as unknown_track, as Extended does', () => {
    const m = mapAccountDataRow(
      {
        endTime: '2024-08-02 22:44',
        artistName: 'Unknown Artist',
        trackName: 'Unknown Track',
        msPlayed: 90_000,
      },
      options,
    );
    expect(m).toEqual({ kind: 'skip', reason: 'unknown_track' });
    // A real song of that name is a play.
    const song = mapAccountDataRow(
      { endTime: '2024-08-02 22:44', artistName: 'A Band', trackName: 'Unknown Track', msPlayed: 90_000 },
      options,
    );
    expect(song.kind).toBe('track');
  });

  it('asks for the user only for a row it keeps', () => {
    const asked: string[] = [];
    const counting: MapOptions = { ...options, fallbackUser: () => (asked.push('x'), 'fallback') };
    mapAccountDataRow({ endTime: '2024-08-02 22:44', trackName: 'Song', msPlayed: 1_000 }, counting);
    mapExtendedRow({ ...row, username: undefined, spotify_track_uri: null }, counting);
    expect(asked).toEqual([]);
  });

  it('refuses an impossible date as invalid', () => {
    const m = mapAccountDataRow({ endTime: '2024-02-31 10:00', trackName: 'x', msPlayed: 40_000 }, options);
    expect(m).toMatchObject({ kind: 'skip', reason: 'invalid' });
  });
});

describe('mapAccountPodcastRow', () => {
  it('sends an Account Data podcast play to the episode dataset: no id, minute precision', () => {
    const m = mapAccountPodcastRow(
      { endTime: '2024-08-17 15:38', podcastName: 'Show', episodeName: 'Ep 1', msPlayed: 1_366_726 },
      options,
    );
    expect(m.kind).toBe('episode');
    if (m.kind !== 'episode') return;
    expect(m.record).toEqual({
      played_at: '2024-08-17T15:38:00.000Z',
      played_at_timestamp: Date.parse('2024-08-17T15:38:00Z') / 1000,
      played_at_date: '2024-08-17',
      played_at_hour: 15,
      episode_id: null,
      episode_name: 'Ep 1',
      show_name: 'Show',
      ms_played: 1_366_726,
      reason_start: null,
      reason_end: null,
      shuffle: null,
      skipped: null,
      offline: null,
      platform: null,
      conn_country: null,
      user_id: 'fallback',
      data_source: 'spotify_account_data',
      ingested_at: options.ingestedAt,
    });
    expect(m.key).toEqual({ t: Date.parse('2024-08-17T15:38:00Z'), id: null, name: 'Ep 1', src: 'acct' });
  });

  it('skips short plays and rows without an episode name', () => {
    const base = { endTime: '2024-08-17 15:38', podcastName: 'Show', episodeName: 'Ep 1', msPlayed: 425 };
    expect(mapAccountPodcastRow(base, options)).toMatchObject({ reason: 'short_play' });
    expect(mapAccountPodcastRow({ ...base, episodeName: '', msPlayed: 60_000 }, options)).toMatchObject({
      reason: 'no_track_name',
    });
  });
});

describe('mapAccountAudiobookRow', () => {
  it('counts every valid row as audiobook, whatever its length; a bad row stays invalid', () => {
    const base = { endTime: '2024-04-29 15:19', audiobookName: 'B', chapterName: 'Track 1', authorName: 'A' };
    expect(mapAccountAudiobookRow({ ...base, msPlayed: 42_274 }, options)).toEqual({
      kind: 'skip',
      reason: 'audiobook',
    });
    expect(mapAccountAudiobookRow({ ...base, msPlayed: 78 }, options)).toEqual({
      kind: 'skip',
      reason: 'audiobook',
    });
    expect(mapAccountAudiobookRow({ ...base, msPlayed: 'x' }, options)).toMatchObject({ reason: 'invalid' });
  });
});

describe('kindFromName', () => {
  it('recognises the history files and nothing else', () => {
    expect(kindFromName('Spotify Extended Streaming History/Streaming_History_Audio_2019-2021_3.json')).toBe(
      'extended',
    );
    expect(kindFromName('endsong_0.json')).toBe('extended');
    expect(kindFromName('StreamingHistory_music_0.json')).toBe('account_data');
    expect(kindFromName('StreamingHistory0.json')).toBe('account_data');
    expect(kindFromName('StreamingHistory_podcast_0.json')).toBe('account_podcast');
    expect(kindFromName('StreamingHistory_audiobook_0.json')).toBe('account_audiobook');
    expect(kindFromName('Streaming_History_Video_2020.json')).toBe('extended');
    expect(kindFromName('Spotify Extended Streaming History/Streaming_History_Video_2017-2025.json')).toBe(
      'extended',
    );
    expect(kindFromName('Userdata.json')).toBeNull();
    expect(kindFromName('ReadMeFirst_ExtendedStreamingHistory.pdf')).toBeNull();
  });
});

describe('kindOfRow (a renamed file named on the command line)', () => {
  it('tells each row format from its first row, and refuses the rest', () => {
    expect(kindOfRow({ ts: '2024-01-01T00:00:00Z', ms_played: 1 })).toBe('extended');
    expect(kindOfRow({ endTime: '2024-01-01 00:00', artistName: 'A', trackName: 'T', msPlayed: 1 })).toBe(
      'account_data',
    );
    expect(kindOfRow({ endTime: '2024-01-01 00:00', podcastName: 'S', episodeName: 'E', msPlayed: 1 })).toBe(
      'account_podcast',
    );
    expect(
      kindOfRow({ endTime: '2024-01-01 00:00', audiobookName: 'B', chapterName: 'C', msPlayed: 1 }),
    ).toBe('account_audiobook');
    expect(kindOfRow({ endTime: '2024-01-01 00:00', msPlayed: 1 })).toBeNull();
    expect(kindOfRow({ username: 'x', country: 'DE' })).toBeNull();
  });
});

describe('classifyExportFile', () => {
  it('ignores a streaming history of an unknown kind wherever it is; other names may be renamed files', () => {
    expect(classifyExportFile('StreamingHistory_video_0.json')).toEqual({
      kind: null,
      why: 'a streaming history of a kind this import does not know',
    });
    expect(classifyExportFile('Userdata.json')).toEqual({
      kind: null,
      why: 'not listening history',
      renamed: true,
    });
  });
});
