import { describe, expect, it } from 'vitest';
import { listeningStatsFrom } from '../../src/analytics/listening-stats.js';
import { localPlaysViewSql } from '../../src/analytics/local-plays.js';
import { silentLogger } from '../../src/log.js';
import { openWarehouse } from '../../src/warehouse/warehouse.js';
import { localSetup, writePlays } from '../warehouse/lake-fixture.js';
import { play } from '../helpers/records.js';
import { rng } from '../helpers/rng.js';

const round1 = (n: unknown) => Math.round(Number(n ?? 0) * 10) / 10;

describe('all-time figures from the rollup', () => {
  it('equal the same figures computed play by play, across DST changes and two accounts', async () => {
    const fx = localSetup('rollup');
    const random = rng(7);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const artists = ['Ada', 'Bo', 'Cy', 'Di', 'Ed', 'Flo', 'Gus'];
    // 1,500 plays over 2023-2024 (both of Berlin's and New York's changes each year), some exported with skips
    // and end reasons, some with no track id (keyed by name), two names for one track id (renamed later).
    const start = Date.parse('2023-01-01T00:00:00Z');
    const span = Date.parse('2024-12-31T00:00:00Z') - start;
    const plays = Array.from({ length: 1500 }, (_, i) => {
      const artist = pick(artists);
      const n = Math.floor(random() * 6);
      const exported = random() < 0.5;
      const at = start + Math.floor(random() * span);
      return play(at, {
        primary_artist_name: artist,
        track_name: `${artist} ${n}${at > start + span * 0.8 && n === 0 ? ' (Remastered)' : ''}`,
        track_id: i % 17 === 0 ? null : `t_${artist}_${n}`,
        // Two albums per artist; exported plays name an album but give no id, some API plays none at all.
        album_name: i % 23 === 0 ? null : `${artist} LP ${n % 2}`,
        album_id: exported ? null : `al_${artist}_${n % 2}`,
        user_id: i % 3 === 0 ? 'user2' : 'user1',
        ...(exported
          ? {
              data_source: 'spotify_extended_streaming_history' as const,
              ms_played: Math.floor(random() * 240_000),
              skipped: random() < 0.3 ? null : random() < 0.4,
              reason_end: pick(['trackdone', 'fwdbtn', 'endplay']),
              track_duration_ms: random() < 0.2 ? null : 200_000,
            }
          : {}),
      });
    });
    // Every 10 minutes around the 2024 changes of Berlin (31 Mar, 27 Oct) and New York (10 Mar, 3 Nov): the
    // days whose plays are converted one by one.
    for (const change of ['2024-03-31T00:00Z', '2024-10-27T00:00Z', '2024-03-10T05:00Z', '2024-11-03T04:00Z'])
      for (let i = 0; i < 24; i++)
        plays.push(play(Date.parse(change) + i * 600_000 + 7, { primary_artist_name: pick(artists) }));
    await writePlays(fx.store, plays);
    const wh = await openWarehouse(fx.config, silentLogger);
    try {
      await wh.refresh();
      const q = async (sql: string) => (await wh.rows(sql)).rows;
      for (const [tz, account] of [
        ['Europe/Berlin', undefined],
        ['America/New_York', 'user2'],
        ['Asia/Kathmandu', undefined],
      ] as const) {
        const stats = await listeningStatsFrom(wh, {
          tz,
          account,
          top: 50,
          now: new Date('2025-01-05T12:00:00Z'),
        });
        // The reference: every play in local time, each figure straight from the plays.
        await wh.connection.run(localPlaysViewSql({ tz, account }));
        const [t] =
          await q(`SELECT count(*) AS plays, sum(minutes) AS minutes, count(DISTINCT track_key) AS tracks,
          count(DISTINCT artist) AS artists, count(DISTINCT day) AS days,
          strftime(min(lt), '%Y-%m-%dT%H:%M:%S') AS first, strftime(max(lt), '%Y-%m-%dT%H:%M:%S') AS last FROM local_plays`);
        expect(stats.totals).toEqual({
          plays: Number(t!.plays),
          minutes: round1(t!.minutes),
          unique_tracks: Number(t!.tracks),
          unique_artists: Number(t!.artists),
          days_listened: Number(t!.days),
          first_play: t!.first,
          last_play: t!.last,
        });
        expect(stats.totals.plays).toBe(plays.filter((p) => !account || p.user_id === account).length);
        const artistRows =
          await q(`SELECT artist, count(*) AS plays, sum(minutes) AS minutes, count(DISTINCT track_key) AS tracks
          FROM local_plays GROUP BY artist ORDER BY plays DESC, minutes DESC, artist`);
        expect(stats.top_artists_all_time).toEqual(
          artistRows.map((r) => ({
            artist: r.artist,
            plays: Number(r.plays),
            minutes: round1(r.minutes),
            unique_tracks: Number(r.tracks),
          })),
        );
        const trackRows = await q(`SELECT arg_max(track_name, lt) AS track, arg_max(artist, lt) AS artist,
          max(track_id) AS track_id, count(*) AS plays, sum(minutes) AS minutes FROM local_plays GROUP BY track_key
          ORDER BY plays DESC, minutes DESC, track LIMIT 50`);
        expect(stats.top_tracks_all_time).toEqual(
          trackRows.map((r) => ({
            track: r.track,
            artist: r.artist,
            track_id: r.track_id,
            url: null, // the fixture's ids are not Spotify ids
            plays: Number(r.plays),
            minutes: round1(r.minutes),
          })),
        );
        expect(stats.top_tracks_all_time.some((x) => x.track.endsWith('(Remastered)'))).toBe(true);
        // Albums: by artist and name, whichever source (with an id or not) the plays came from; an account's plays
        // of a track that name no album count for the album its other plays name.
        const albumRows = await q(`WITH albums AS (SELECT user_id, artist, track_key,
            max(album_name) AS album FROM local_plays GROUP BY ALL)
          SELECT a.album, p.artist, max(p.album_id) AS album_id, count(*) AS plays, sum(p.minutes) AS minutes,
            count(DISTINCT p.track_key) AS tracks
          FROM local_plays p JOIN albums a USING (user_id, artist, track_key) WHERE a.album IS NOT NULL GROUP BY p.artist, a.album
          ORDER BY plays DESC, minutes DESC, a.album, p.artist LIMIT 50`);
        expect(albumRows.length).toBeGreaterThan(8);
        expect(stats.top_albums_all_time).toEqual(
          albumRows.map((r) => ({
            album: r.album,
            artist: r.artist,
            album_id: r.album_id,
            url: null,
            plays: Number(r.plays),
            minutes: round1(r.minutes),
            unique_tracks: Number(r.tracks),
          })),
        );
        // Each account's figures, from the same rollup.
        const accountRows = await q(`SELECT user_id AS account, count(*) AS plays, sum(minutes) AS minutes,
          count(DISTINCT track_key) AS tracks, count(DISTINCT artist) AS artists,
          strftime(min(lt), '%Y-%m-%dT%H:%M:%S') AS first, strftime(max(lt), '%Y-%m-%dT%H:%M:%S') AS last
          FROM local_plays GROUP BY user_id ORDER BY plays DESC`);
        expect(accountRows).toHaveLength(account ? 1 : 2);
        expect(stats.accounts).toEqual(
          accountRows.map((r) => ({
            account: r.account,
            plays: Number(r.plays),
            minutes: round1(r.minutes),
            unique_tracks: Number(r.tracks),
            unique_artists: Number(r.artists),
            first_play: r.first,
            last_play: r.last,
          })),
        );
        const [r] = await q(`SELECT count(coalesce(skipped, reason_end = 'fwdbtn')) AS skip_known,
          count(*) FILTER (WHERE coalesce(skipped, reason_end = 'fwdbtn')) AS skipped,
          count(reason_end) AS end_known, count(*) FILTER (WHERE reason_end = 'trackdone') AS completed,
          count(*) FILTER (WHERE ms_played IS NOT NULL AND track_duration_ms > 0) AS share_known,
          avg(least(1.0, ms_played / track_duration_ms)) FILTER (WHERE ms_played IS NOT NULL AND track_duration_ms > 0) AS share
          FROM local_plays`);
        expect(stats.rates.all_time).toMatchObject({
          skipped: Number(r!.skipped),
          skip_known: Number(r!.skip_known),
          completed: Number(r!.completed),
          completion_known: Number(r!.end_known),
          share_known: Number(r!.share_known),
          share_played: Math.round(Number(r!.share) * 10_000) / 10_000,
        });
        const hours = await q(
          `SELECT hour(lt) AS h, count(*) AS plays, sum(minutes) AS minutes FROM local_plays GROUP BY 1`,
        );
        for (const h of hours)
          expect(stats.by_hour[Number(h.h)]).toEqual({
            hour: Number(h.h),
            plays: Number(h.plays),
            minutes: round1(h.minutes),
          });
        const dows = await q(
          `SELECT isodow(lt) AS d, count(*) AS plays FROM local_plays GROUP BY 1 ORDER BY 1`,
        );
        expect(stats.by_weekday.map((d) => d.plays)).toEqual(dows.map((d) => Number(d.plays)));
        const discovered = await q(`SELECT strftime(first_day, '%Y-%m') AS month, count(*) AS artists
          FROM (SELECT artist, min(day) AS first_day FROM local_plays GROUP BY artist) GROUP BY 1 ORDER BY 1`);
        expect(stats.new_artists_by_month.filter((m) => m.artists > 0)).toEqual(
          discovered.map((d) => ({ month: d.month, artists: Number(d.artists) })),
        );
        const [longest] = await q(`WITH d AS (SELECT DISTINCT day FROM local_plays),
          g AS (SELECT day, day - CAST(row_number() OVER (ORDER BY day) AS INTEGER) AS grp FROM d)
          SELECT strftime(min(day), '%Y-%m-%d') AS "from", strftime(max(day), '%Y-%m-%d') AS "to", count(*) AS days
          FROM g GROUP BY grp ORDER BY days DESC, "from" DESC LIMIT 1`);
        expect(stats.streaks.longest).toEqual({
          days: Number(longest!.days),
          from: longest!.from,
          to: longest!.to,
        });
      }
    } finally {
      wh.close();
    }
  });
});
