import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import { tempDir } from '../helpers/cli.js';

type Row = Record<string, unknown> & { ts: string; ms_played: number; reason_end: string };

/** Runs of consecutive UTC days in a sorted list of YYYY-MM-DD, longest first. */
function longestRun(days: string[]): number {
  let best = 0;
  let run = 0;
  days.forEach((d, i) => {
    run = i > 0 && Date.parse(d) - Date.parse(days[i - 1]!) === 86_400_000 ? run + 1 : 1;
    best = Math.max(best, run);
  });
  return best;
}

describe('the sample export generator', () => {
  it('writes plays that end as their length says, with days off, a weekly rhythm and older rows without `skipped`', async () => {
    const dir = await tempDir('gen-');
    const { extendedFiles } = await generateExport(dir, {
      plays: 20_000,
      seed: 5,
      end: new Date('2026-06-01T00:00:00Z'),
      accountDataDays: 0,
    });
    const rows = extendedFiles.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as Row[]);
    const tracks = rows.filter((r) => String(r.spotify_track_uri).startsWith('spotify:track:'));
    expect(tracks.length).toBeGreaterThan(15_000);

    // `skipped` is "the user skipped to the next song": true exactly where the forward button ended the play,
    // null in the oldest quarter (as older export vintages), where reason_end still tells.
    const withSkipped = tracks.filter((r) => r.skipped !== null);
    expect(withSkipped.every((r) => (r.skipped === true) === (r.reason_end === 'fwdbtn'))).toBe(true);
    const nulls = tracks.filter((r) => r.skipped === null);
    expect(nulls.length / tracks.length).toBeGreaterThan(0.2);
    expect(nulls.every((r) => r.ts < withSkipped[0]!.ts)).toBe(true);
    // Of the plays that are kept (30 s or more), most play to the end, some are skipped: not 0 %.
    const kept = tracks.filter((r) => r.ms_played >= 30_000);
    const share = (f: (r: Row) => boolean) => kept.filter(f).length / kept.length;
    expect(share((r) => r.reason_end === 'fwdbtn')).toBeGreaterThan(0.05);
    expect(share((r) => r.reason_end === 'fwdbtn')).toBeLessThan(0.15);
    expect(share((r) => r.reason_end === 'trackdone')).toBeGreaterThan(0.75);
    // A play ended by trackdone lasted the whole track: the longest play of each track.
    const longest = new Map<unknown, number>();
    for (const r of tracks)
      longest.set(r.spotify_track_uri, Math.max(longest.get(r.spotify_track_uri) ?? 0, r.ms_played));
    expect(
      tracks
        .filter((r) => r.reason_end === 'trackdone')
        .every((r) => r.ms_played === longest.get(r.spotify_track_uri)),
    ).toBe(true);
    // An artist's tracks are on a few albums, so top albums gather several tracks each.
    const albums = new Set(
      tracks.map((r) => `${r.master_metadata_album_artist_name}|${r.master_metadata_album_album_name}`),
    );
    expect(albums.size).toBeLessThan(new Set(tracks.map((r) => r.spotify_track_uri)).size / 3);
    // A play that follows another in a session starts the way the one before it ended.
    const follows = rows
      .slice(1)
      .filter((r, i) => r.reason_start === 'trackdone' && rows[i]!.reason_end !== 'trackdone');
    expect(follows).toEqual([]);

    // Days without music: no streak runs through the whole history, and weekends are quieter.
    const days = [...new Set(kept.map((r) => r.ts.slice(0, 10)))].sort();
    const span = (Date.parse(days.at(-1)!) - Date.parse(days[0]!)) / 86_400_000 + 1;
    expect(days.length / span).toBeGreaterThan(0.75);
    expect(days.length / span).toBeLessThan(0.95);
    expect(longestRun(days)).toBeLessThan(60);
    // A weekly rhythm: more Sundays than Tuesdays without music, and weekday working hours quieter than
    // the same hours at weekends.
    const daysOn = (weekday: number) => days.filter((d) => new Date(d).getUTCDay() === weekday).length;
    expect(daysOn(0)).toBeLessThan(daysOn(2));
    const workHours = (r: Row) => new Date(r.ts).getUTCHours() >= 9 && new Date(r.ts).getUTCHours() < 17;
    const weekend = (r: Row) => [0, 6].includes(new Date(r.ts).getUTCDay());
    const workShare = (rs: Row[]) => rs.filter(workHours).length / rs.length;
    expect(workShare(kept.filter((r) => !weekend(r)))).toBeLessThan(workShare(kept.filter(weekend)));
    // The history ends at `end`, with its last days full.
    expect(Date.parse(rows.at(-1)!.ts)).toBeLessThanOrEqual(Date.parse('2026-06-01T00:00:00Z'));
    expect(Date.parse(rows.at(-1)!.ts)).toBeGreaterThan(Date.parse('2026-05-29T00:00:00Z'));
  });
});
