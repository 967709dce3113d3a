import { describe, expect, it } from 'vitest';
import { formatListeningStats } from '../../src/analytics/format-listening-stats.js';
import { computeListeningStats } from '../../src/analytics/listening-stats.js';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import path from 'node:path';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import { localSetup, writePlays } from '../warehouse/lake-fixture.js';
import { play } from '../helpers/records.js';

describe('listening analytics', () => {
  it('buckets hours in local time across both daylight-saving changes', async () => {
    const s = localSetup('dst');
    await writePlays(s.store, [
      // Europe/Berlin springs forward at 01:00 UTC on 2024-03-31 (02:00 CET → 03:00 CEST).
      play('2024-03-31T00:30:00.000Z'), // 01:30 CET
      play('2024-03-31T01:30:00.000Z'), // 03:30 CEST: local 02:xx never happens that day
      // ...and falls back at 01:00 UTC on 2024-10-27 (03:00 CEST → 02:00 CET): 02:30 happens twice.
      play('2024-10-27T00:30:00.000Z'), // 02:30 CEST
      play('2024-10-27T01:30:00.000Z'), // 02:30 CET
      play('2024-10-26T22:30:00.000Z'), // 00:30 CEST on Sunday the 27th, still Saturday in UTC
    ]);
    const berlin = await computeListeningStats(s.config, silentLogger, {
      tz: 'Europe/Berlin',
      now: new Date('2024-11-15T12:00:00Z'),
    });
    const plays = (stats: typeof berlin) =>
      Object.fromEntries(stats.by_hour.filter((h) => h.plays > 0).map((h) => [h.hour, h.plays]));
    expect(plays(berlin)).toEqual({ 0: 1, 1: 1, 2: 2, 3: 1 });
    expect(berlin.by_weekday.find((d) => d.weekday === 'Sun')!.plays).toBe(5);

    const utc = await computeListeningStats(s.config, silentLogger, {
      tz: 'UTC',
      now: new Date('2024-11-15T12:00:00Z'),
    });
    expect(plays(utc)).toEqual({ 0: 2, 1: 2, 22: 1 });
    expect(utc.by_weekday.find((d) => d.weekday === 'Sat')!.plays).toBe(1);

    const ny = await computeListeningStats(s.config, silentLogger, {
      tz: 'America/New_York',
      now: new Date('2024-11-15T12:00:00Z'),
    });
    // 2024-03-31T00:30Z is 20:30 EDT on Saturday the 30th, 2024-10-27T00:30Z 20:30 EDT on the 26th.
    expect(ny.by_hour[20]!.plays).toBe(2);
    expect(ny.by_hour[21]!.plays).toBe(2);
    expect(ny.by_hour[18]!.plays).toBe(1);
    expect(ny.timezone).toBe('America/New_York');
  });

  it('computes the daily summary, top artists and tracks, discovery and streaks', async () => {
    const s = localSetup('stats');
    const day = (d: string, hour: number, overrides = {}) =>
      play(`${d}T${String(hour).padStart(2, '0')}:00:00.000Z`, overrides);
    await writePlays(s.store, [
      day('2024-01-10', 9, { primary_artist_name: 'Old Band', track_name: 'Oldie' }),
      // A three-day streak in February.
      day('2024-02-01', 9, { primary_artist_name: 'Old Band', track_name: 'Oldie' }),
      day('2024-02-02', 9, { primary_artist_name: 'Old Band', track_name: 'Oldie' }),
      day('2024-02-03', 9, { primary_artist_name: 'Old Band', track_name: 'Oldie' }),
      // This month (now = 2024-06-20): a two-day current streak.
      day('2024-06-19', 8, { primary_artist_name: 'Fresh', track_name: 'New One' }),
      day('2024-06-19', 9, { primary_artist_name: 'Fresh', track_name: 'New One' }),
      day('2024-06-20', 8, { primary_artist_name: 'Fresh', track_name: 'Other', ms_played: 60_000 }),
      day('2024-06-20', 9, { primary_artist_name: 'Old Band', track_name: 'Oldie' }),
      day('2024-06-20', 10, { primary_artist_name: 'Third', track_name: 'Third Song', user_id: 'user2' }),
    ]);
    const stats = await computeListeningStats(s.config, silentLogger, {
      tz: 'UTC',
      now: new Date('2024-06-20T18:00:00Z'),
    });
    expect(stats.empty).toBe(false);
    expect(stats.totals).toMatchObject({ plays: 9, unique_artists: 3, unique_tracks: 4, days_listened: 6 });
    // 8 plays of 3 min, one of 1 min (the export's ms_played wins over the track length).
    expect(stats.totals.minutes).toBe(25);

    expect(stats.daily_last_30_days).toHaveLength(30);
    expect(stats.daily_last_30_days[0]!.date).toBe('2024-05-22');
    expect(stats.daily_last_30_days.at(-1)).toEqual({
      date: '2024-06-20',
      plays: 3,
      minutes: 7,
      unique_tracks: 3,
      unique_artists: 3,
    });
    expect(stats.daily_last_30_days.filter((d) => d.plays > 0).map((d) => d.date)).toEqual([
      '2024-06-19',
      '2024-06-20',
    ]);

    expect(stats.top_artists_this_month.month).toBe('2024-06');
    expect(stats.top_artists_this_month.artists.map((a) => [a.artist, a.plays])).toEqual([
      ['Fresh', 3],
      ['Old Band', 1],
      ['Third', 1],
    ]);
    expect(stats.top_tracks_all_time[0]).toMatchObject({ track: 'Oldie', artist: 'Old Band', plays: 5 });
    expect(stats.top_tracks_this_month.tracks[0]).toMatchObject({ track: 'New One', plays: 2 });

    expect(stats.new_artists_by_month).toEqual([
      { month: '2024-01', artists: 1 },
      { month: '2024-02', artists: 0 },
      { month: '2024-03', artists: 0 },
      { month: '2024-04', artists: 0 },
      { month: '2024-05', artists: 0 },
      { month: '2024-06', artists: 2 },
    ]);
    expect(stats.streaks.longest).toEqual({ days: 3, from: '2024-02-01', to: '2024-02-03' });
    expect(stats.streaks.current).toEqual({ days: 2, from: '2024-06-19', to: '2024-06-20' });
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);

    const one = await computeListeningStats(s.config, silentLogger, {
      tz: 'UTC',
      account: 'user2',
      now: new Date('2024-06-20T18:00:00Z'),
    });
    expect(one.totals.plays).toBe(1);
    expect(one.account).toBe('user2');

    const text = formatListeningStats(stats);
    expect(text).toContain('9 plays');
    expect(text).toContain('longest daily streak: 3 days (2024-02-01 → 2024-02-03) · current: 2 days');
    expect(text).toMatch(
      /Top artists this month \(2024-06-01 … 2024-06-20, 20 days so far\)\n\s+1\. Fresh\s+█+\s+3 plays/,
    );
    expect(text).toMatch(/09:00 █+\s+6\n/);
    // "1 play", never "1 plays".
    expect(text).toMatch(/Third Song · Third\s+█+\s+1 play\n/);
    expect(text).not.toMatch(/\b1 (plays|days|artists|tracks)\b/);
    expect(text).not.toContain('\x1b[');
    expect(formatListeningStats(stats, { color: true })).toContain('\x1b[32m');
  });

  it('shows the last 30 days ending today, a row per day with plays, the quiet days counted', async () => {
    const s = localSetup('stats-30');
    // Plays on the first day of the window and the day before today; none today, none before the window.
    await writePlays(s.store, [
      play('2024-05-21T12:00:00.000Z'),
      play('2024-05-22T12:00:00.000Z'),
      play('2024-06-19T12:00:00.000Z'),
    ]);
    const stats = await computeListeningStats(s.config, silentLogger, {
      tz: 'UTC',
      now: new Date('2024-06-20T18:00:00Z'),
    });
    const text = formatListeningStats(stats);
    const section = text.slice(text.indexOf('Last 30 days'), text.indexOf('Top artists'));
    expect(section).toMatch(/^Last 30 days \(2024-05-22 … 2024-06-20, today included\): 6 min, 2 plays\n/);
    expect(section).toMatch(/minutes per day 05-22 │.{30}│ 06-20\n/u);
    const rows = section.split('\n').filter((l) => /^\s+\d{4}-\d{2}-\d{2} /.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\s+2024-05-22 █+\s+1 play, 3 min, 1 artist$/);
    expect(rows[1]).toMatch(/^\s+2024-06-19 █+/);
    expect(section).toContain('(28 days without plays not shown)');
    expect(section).not.toContain('no plays');
  });

  it('ranks artists and tracks over all time and the last 12 months, with skip and completion rates', async () => {
    const s = localSetup('stats-rates');
    const exported = (at: string, overrides: Parameters<typeof play>[1]) =>
      play(at, { data_source: 'spotify_extended_streaming_history', track_duration_ms: null, ...overrides });
    await writePlays(s.store, [
      // 2022: the all-time favourite, outside the last 12 months.
      ...Array.from({ length: 5 }, (_, i) =>
        exported(`2022-03-0${i + 1}T10:00:00.000Z`, {
          primary_artist_name: 'Old Love',
          track_name: 'Classic',
          skipped: false,
          reason_end: 'trackdone',
          ms_played: 200_000,
        }),
      ),
      // The last 12 months (now = 2024-06-20): 'Recent' leads, with skips.
      ...Array.from({ length: 3 }, (_, i) =>
        exported(`2024-0${i + 2}-10T10:00:00.000Z`, {
          primary_artist_name: 'Recent',
          track_name: 'Hit',
          skipped: i === 0,
          reason_end: i === 0 ? 'fwdbtn' : 'trackdone',
          ms_played: i === 0 ? 45_000 : 180_000,
          track_duration_ms: 180_000,
        }),
      ),
      exported('2024-05-01T10:00:00.000Z', {
        primary_artist_name: 'Other',
        track_name: 'B-side',
        // An older export vintage: no `skipped`, but `reason_end` says the forward button ended it.
        skipped: null,
        reason_end: 'fwdbtn',
        ms_played: 90_000,
      }),
      // API plays carry none of the export fields: they count in no rate.
      play('2024-06-19T10:00:00.000Z', { primary_artist_name: 'Recent', track_name: 'Hit' }),
      play('2024-06-19T11:00:00.000Z', { primary_artist_name: 'Recent', track_name: 'Hit' }),
    ]);
    const stats = await computeListeningStats(s.config, silentLogger, {
      tz: 'UTC',
      now: new Date('2024-06-20T18:00:00Z'),
    });
    expect(stats.last_12_months).toEqual({ from: '2023-06-22', to: '2024-06-20' });
    expect(stats.top_artists_all_time.map((a) => [a.artist, a.plays])).toEqual([
      ['Old Love', 5],
      ['Recent', 5],
      ['Other', 1],
    ]);
    expect(stats.top_artists_last_12_months.map((a) => [a.artist, a.plays])).toEqual([
      ['Recent', 5],
      ['Other', 1],
    ]);
    expect(stats.top_tracks_last_12_months[0]).toMatchObject({ track: 'Hit', artist: 'Recent', plays: 5 });
    expect(stats.top_tracks_all_time.map((t) => t.track)).toEqual(['Classic', 'Hit', 'B-side']);

    // skipped: 2 of 9 plays: 1 of the 8 that carry `skipped`, and B-side, whose null `skipped` is read from
    // its `reason_end` (fwdbtn); API plays carry neither and count in no rate.
    expect(stats.rates.all_time).toEqual({
      skip_rate: 0.2222,
      skipped: 2,
      skip_known: 9,
      // trackdone: 5 + 2 of the 9 plays with a reason_end.
      completion_rate: 0.7778,
      completed: 7,
      completion_known: 9,
      // Only the 3 'Hit' plays have both ms_played and a track length: (0.25 + 1 + 1) / 3.
      share_played: 0.75,
      share_known: 3,
    });
    expect(stats.rates.last_12_months).toMatchObject({
      skip_rate: 0.5,
      skip_known: 4,
      completion_rate: 0.5,
      completion_known: 4,
      share_played: 0.75,
    });

    const text = formatListeningStats(stats);
    expect(text).toMatch(
      /Top artists, last 12 months \(2023-06-22 … 2024-06-20\)\n\s+1\. Recent\s+█+\s+5 plays/,
    );
    expect(text).toMatch(/Top artists of all time\n\s+1\. Old Love\s+█+\s+5 plays/);
    expect(text).toMatch(/skipped\s+50\.0 % of 4 plays\s+22\.2 % of 9 plays/);
    expect(text).toMatch(/played to the end\s+50\.0 % of 4 plays\s+77\.8 % of 9 plays/);
    expect(text).toMatch(/share of the track played\s+75\.0 % of 3 plays\s+75\.0 % of 3 plays/);

    // Only API plays: no rate, and the text says where the fields come from.
    const api = localSetup('stats-rates-api');
    await writePlays(api.store, [play('2024-06-19T10:00:00.000Z')]);
    const apiStats = await computeListeningStats(api.config, silentLogger, {
      tz: 'UTC',
      now: new Date('2024-06-20T18:00:00Z'),
    });
    expect(apiStats.rates.all_time).toMatchObject({
      skip_rate: null,
      completion_rate: null,
      share_played: null,
    });
    expect(formatListeningStats(apiStats)).toContain('plays collected by the API have none');
    expect(formatListeningStats(apiStats)).toMatch(
      /Top artists of all time\n\s+the same as the last 12 months/,
    );
  });

  it('says when the figures are a household of several accounts, with each account, top albums and links', async () => {
    const s = localSetup('stats-household');
    const id = (c: string) => c.repeat(22);
    await writePlays(s.store, [
      ...Array.from({ length: 3 }, (_, i) =>
        play(`2024-06-1${i}T10:00:00.000Z`, {
          user_id: 'alice',
          track_name: 'Opening',
          track_id: id('a'),
          album_name: 'First Light',
          album_id: id('b'),
        }),
      ),
      play('2024-06-12T11:00:00.000Z', {
        user_id: 'alice',
        track_name: 'Closing',
        album_name: 'First Light',
        album_id: id('b'),
      }),
      // An export play names the album but gives no id: it is the same album all the same.
      play('2024-06-13T11:00:00.000Z', {
        user_id: 'bob',
        track_name: 'Closing',
        track_id: null,
        album_name: 'First Light',
        album_id: null,
        data_source: 'spotify_extended_streaming_history',
      }),
      play('2024-06-14T11:00:00.000Z', {
        user_id: 'bob',
        track_name: 'Elsewhere',
        album_name: 'Other Album',
      }),
    ]);
    const stats = await computeListeningStats(s.config, silentLogger, {
      tz: 'UTC',
      now: new Date('2024-06-20T18:00:00Z'),
    });
    expect(stats.accounts.map((a) => [a.account, a.plays])).toEqual([
      ['alice', 4],
      ['bob', 2],
    ]);
    expect(stats.top_albums_all_time[0]).toMatchObject({
      album: 'First Light',
      plays: 5,
      unique_tracks: 3,
      url: `https://open.spotify.com/album/${id('b')}`,
    });
    expect(stats.top_albums_last_12_months.map((a) => [a.album, a.plays])).toEqual([
      ['First Light', 5],
      ['Other Album', 1],
    ]);
    expect(stats.top_tracks_all_time[0]).toMatchObject({
      track: 'Opening',
      url: `https://open.spotify.com/track/${id('a')}`,
    });
    const text = formatListeningStats(stats);
    expect(text).toContain('Listening, household of 2 accounts');
    expect(text).toMatch(/This lake holds the plays of 2 accounts: every figure below is the household's/);
    expect(text).toMatch(/\n\s+alice\s+4 plays .*\n\s+bob\s+2 plays/);
    expect(text).toContain('household total: 6 plays');
    expect(text).toMatch(/Top albums, last 12 months .*\n\s+1\. First Light · Artist A\s+█+\s+5 plays/);

    // One account alone: no household lines.
    const alice = await computeListeningStats(s.config, silentLogger, {
      tz: 'UTC',
      account: 'alice',
      now: new Date('2024-06-20T18:00:00Z'),
    });
    expect(alice.accounts.map((a) => a.account)).toEqual(['alice']);
    expect(formatListeningStats(alice)).not.toContain('household');
  });

  it('points to the demo lake when the configured one is empty and ./demo-data holds plays', async () => {
    const s = localSetup('stats-demo-hint');
    const demo = new LocalObjectStore(path.join(s.root, 'demo-data'));
    await writePlays(demo, [play('2024-06-19T10:00:00.000Z')]);
    const stats = await computeListeningStats(s.config, silentLogger, { tz: 'UTC' });
    expect(stats.empty).toBe(true);
    expect(stats.message).toContain('holds no plays yet');
    expect(stats.message).toContain(
      "The demo's sample lake is in demo-data/ (the demo never writes your own): see it with `npx spotify-pipeline --data-dir demo-data --state-dir demo-data/.state stats`",
    );
    // Not when the demo's lake is the one in use.
    const inDemo = localSetup('stats-demo-hint-self', { DATA_DIR: 'demo-data' });
    const here = await computeListeningStats(inDemo.config, silentLogger, { tz: 'UTC' });
    expect(here.message).not.toContain("The demo's sample lake");
  });

  it('says what to do on an empty lake, and refuses an unknown timezone', async () => {
    const s = localSetup('stats-empty');
    const stats = await computeListeningStats(s.config, silentLogger, { tz: 'UTC' });
    expect(stats.empty).toBe(true);
    expect(stats.message).toContain('holds no plays yet');
    expect(formatListeningStats(stats)).toContain('spotify-pipeline run-once');
    await expect(computeListeningStats(s.config, silentLogger, { tz: 'Mars/Olympus' })).rejects.toThrow(
      ConfigError,
    );
  });
});
