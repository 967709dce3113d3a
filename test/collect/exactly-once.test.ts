import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_KEYS } from '../../src/record/schema.js';
import { makePlays, makeTrack } from '../fakes/spotify-server.js';
import { playIdentities } from '../helpers/lake.js';
import { collectorFixture, summaryOf } from './fixture.js';

let fx: Awaited<ReturnType<typeof collectorFixture>>;
afterEach(async () => fx?.close());

describe('run-once: exactly once across repeated runs', () => {
  it('writes each play once, in the contract layout, and nothing on a run with nothing new', async () => {
    fx = await collectorFixture();
    const end = new Date('2024-03-10T00:30:00.000Z'); // spans two UTC dates
    fx.spotify.addPlays('alice', makePlays(30, end));

    const first = await fx.run();
    expect(first.code, first.stderr).toBe(0);
    const s1 = summaryOf(first);
    expect(s1).toMatchObject({ plays_fetched: 30, plays_new: 30, plays_already_present: 0 });
    expect(s1.files_written).toBe(2);

    const files = await fx.lake();
    expect(files).toHaveLength(2);
    for (const f of files) {
      expect(f.key).toMatch(
        /^spotify_listening_history\/\d{4}\/\d{2}\/\d{2}\/spotify_tracks_\d{8}_\d{6}_batch_\d+_[a-z0-9]+\.json\.gz$/,
      );
      const [, y, m, d] = /^spotify_listening_history\/(\d{4})\/(\d{2})\/(\d{2})\//.exec(f.key)!;
      const dates = new Set(f.records.map((r) => r.played_at_date));
      expect([...dates]).toEqual([`${y}-${m}-${d}`]);
      expect(f.key).toContain(`_batch_${f.records.length}_`);
      const earliest = f.records.map((r) => String(r.played_at)).sort()[0]!;
      expect(f.key).toContain(
        `spotify_tracks_${earliest.slice(0, 10).replaceAll('-', '')}_${earliest.slice(11, 19).replaceAll(':', '')}_`,
      );
      for (const r of f.records) expect(Object.keys(r)).toEqual([...RECORD_KEYS]);
    }

    const second = await fx.run();
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second)).toMatchObject({
      plays_fetched: 30,
      plays_new: 0,
      plays_already_present: 30,
      files_written: 0,
    });

    fx.spotify.addPlays('alice', makePlays(5, new Date(end.getTime() + 3_600_000), { firstTrack: 100 }));
    const third = await fx.run();
    expect(summaryOf(third)).toMatchObject({
      plays_fetched: 35,
      plays_new: 5,
      plays_already_present: 30,
      files_written: 1,
    });

    const ids = playIdentities(await fx.lake());
    expect(ids).toHaveLength(35);
    expect(new Set(ids).size).toBe(35);
  });

  it('maps every field of the API objects and tolerates missing ones', async () => {
    fx = await collectorFixture();
    fx.spotify.developmentMode = true; // no popularity
    const bare = makeTrack(7, { album: undefined, isrc: undefined, artists: [] });
    fx.spotify.addPlays('alice', [
      {
        track: makeTrack(1),
        played_at: '2024-05-01T10:00:00.123Z',
        context: { type: 'album', uri: 'spotify:album:x' },
      },
      { track: bare, played_at: '2024-05-01T10:05:00.000Z', context: null },
      { track: null, played_at: '2024-05-01T10:10:00.000Z' },
      { track: makeTrack(9, { id: null, is_local: true }), played_at: '2024-05-01T10:15:00.000Z' },
    ]);
    const result = await fx.run();
    expect(result.code, result.stderr).toBe(0);
    const summary = summaryOf(result);
    expect(summary).toMatchObject({ plays_fetched: 4, plays_new: 2, plays_skipped: 2 });
    const records = (await fx.lake()).flatMap((f) => f.records);
    const full = records.find((r) => r.track_id === makeTrack(1).id)!;
    expect(full).toMatchObject({
      played_at: '2024-05-01T10:00:00.123Z',
      played_at_timestamp: Date.parse('2024-05-01T10:00:00.123Z') / 1000 - 0.123,
      played_at_date: '2024-05-01',
      played_at_hour: 10,
      track_name: 'Song 1',
      track_duration_ms: makeTrack(1).duration_ms,
      track_popularity: null,
      isrc: makeTrack(1).isrc,
      primary_artist_id: 'artist1',
      primary_artist_name: 'Artist 1',
      artist_names: ['Artist 1'],
      album_id: 'album1',
      album_type: 'album',
      context_type: 'album',
      context_uri: 'spotify:album:x',
      ms_played: null,
      user_id: 'alice',
      data_source: 'spotify_recently_played_api',
    });
    expect(String(full.ingested_at)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const minimal = records.find((r) => r.track_id === bare.id)!;
    expect(minimal).toMatchObject({
      album_id: null,
      album_name: null,
      album_release_date: null,
      isrc: null,
      primary_artist_id: null,
      artist_names: [],
      context_type: null,
    });
  });
});
