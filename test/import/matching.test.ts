import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { mapAccountDataRow, mapExtendedRow, type MapOptions } from '../../src/record/from-export.js';
import { PlaySet } from '../../src/commit/play-set.js';
import { apply } from '../../src/import/track-enricher.js';
import { buildObjects } from '../../src/lake/build-objects.js';
import { LAKE_GZIP_LEVEL, recordToJsonLine } from '../../src/lake/encode.js';
import { objectKey, tracksDataset } from '../../src/lake/layout.js';
import { EPISODE_KEYS } from '../../src/record/episode-schema.js';
import { RECORD_KEYS, type ListeningRecord } from '../../src/record/schema.js';
import { PlayLedger, samePlay, type PlayKey } from '../../src/commit/ledger.js';
import { tempDir } from '../helpers/cli.js';

const options: MapOptions = {
  minMsPlayed: 30_000,
  fallbackUser: () => 'u',
  ingestedAt: '2026-01-01T00:00:00.000Z',
};
const t0 = Date.parse('2024-05-31T23:59:30Z');
const ext = (t: number, id: string, name = 'Intro'): PlayKey => ({ t, id, name, src: 'ext' });
const acct = (t: number, name = 'Intro'): PlayKey => ({
  t: Math.floor(t / 60_000) * 60_000,
  id: null,
  name,
  src: 'acct',
});
const api = (t: number, id: string, name = 'Intro'): PlayKey => ({ t, id, name, src: 'api' });

describe('matching plays across sources (ledger and the batch index agree)', () => {
  const cases: [string, PlayKey, PlayKey, boolean][] = [
    ['API vs export, clocks 4 s apart', api(t0 + 4000, 'A'), ext(t0, 'A'), true],
    ['API vs export, 40 s apart (two plays)', api(t0 + 40_000, 'A'), ext(t0, 'A'), false],
    ['a song played twice in a row', ext(t0 + 200_000, 'A'), ext(t0, 'A'), false],
    ['same name, other track', ext(t0, 'B'), ext(t0, 'A'), false],
    ['Account Data minute vs Extended second', acct(t0, 'intro '), ext(t0, 'A'), true],
    [
      'Account Data vs Extended across midnight and a month end',
      acct(t0 + 35_000),
      ext(t0 + 35_000, 'A'),
      true,
    ],
    ['Account Data, another track name', acct(t0, 'Outro'), ext(t0, 'A'), false],
  ];
  it.each(cases)('%s', async (_label, probe, stored, expected) => {
    const index = new PlaySet();
    index.add(stored);
    expect(index.has(probe)).toBe(expected);
    const ledger = new PlayLedger(new LocalStateStore(await tempDir()), 'u');
    await ledger.add([stored]);
    await ledger.flush();
    expect(await ledger.has(probe)).toBe(expected);
    // And the other way round: Account Data imported first, Extended later.
    const reverse = new PlayLedger(new LocalStateStore(await tempDir()), 'u');
    await reverse.add([probe]);
    expect(await reverse.has(stored)).toBe(expected);
  });

  it('a PlaySet finds exactly the plays samePlay matches, wherever they fall in its time buckets', () => {
    // Plays on both sides of a bucket edge (the set buckets by 2^19 ms), every source pair, probes at the
    // limits of the matching windows: the set must agree with samePlay over every stored play.
    // Edges a minute starts just before or just after (Account Data times are whole minutes), and another.
    const edgeWhere = (fits: (intoMinute: number) => boolean) => {
      let k = Math.round(1.7e12 / 524_288);
      while (!fits((k * 524_288) % 60_000)) k++;
      return k * 524_288;
    };
    const edges = [edgeWhere((m) => m < 3_000), edgeWhere((m) => m > 57_000), edgeWhere((m) => m > 20_000)];
    const sources = ['api', 'ext', 'acct'] as const;
    const keyAt = (t: number, src: (typeof sources)[number], id: string): PlayKey =>
      src === 'acct'
        ? { t: Math.floor(t / 60_000) * 60_000, id: null, name: 'Intro', src }
        : { t, id, name: 'Intro', src };
    const offsets: number[] = [];
    for (let o = -75_000; o <= 75_000; o += 5_000) offsets.push(o - 1, o, o + 1);
    let matched = 0;
    for (const edge of edges)
      for (const storedSrc of sources) {
        for (const at of offsets) {
          const stored = keyAt(edge + at, storedSrc, 'A');
          const set = new PlaySet();
          set.add(stored);
          for (const probeSrc of sources) {
            for (const delta of offsets) {
              const key = keyAt(stored.t + delta, probeSrc, 'A');
              const expected = samePlay(key, stored);
              if (expected) matched++;
              expect(set.has(key), JSON.stringify({ key, stored })).toBe(expected);
            }
          }
        }
      }
    expect(matched).toBeGreaterThan(1000);
  });

  it('keeps episodes in a ledger of their own', async () => {
    const dir = await tempDir();
    const tracks = new PlayLedger(new LocalStateStore(dir), 'u');
    const episodes = new PlayLedger(new LocalStateStore(dir), 'u', 'episodes');
    await episodes.add([ext(t0, 'E')]);
    await episodes.flush();
    expect(await new PlayLedger(new LocalStateStore(dir), 'u', 'episodes').has(ext(t0, 'E'))).toBe(true);
    expect(await tracks.has(ext(t0, 'E'))).toBe(false);
    expect((await fs.readdir(`${dir}/users/u`)).sort()).toEqual(['ledger-episodes']);
  });

  it('loads a month once when lookups run concurrently (no play lost)', async () => {
    const dir = await tempDir();
    const ledger = new PlayLedger(new LocalStateStore(dir), 'u');
    await Promise.all([ledger.add([ext(t0, 'A')]), ledger.has(ext(t0, 'B')), ledger.add([ext(t0 + 1, 'C')])]);
    await ledger.flush();
    expect(await new PlayLedger(new LocalStateStore(dir), 'u').count()).toBe(2);
  });
});

/** A record's line as the lake holds it: the keys in order, a missing one null, other fields after. */
function orderedLine(record: object, keys: readonly string[] = RECORD_KEYS): string {
  const r = record as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of keys) ordered[key] = r[key] ?? null;
  for (const key of Object.keys(r)) if (!keys.includes(key)) ordered[key] = r[key];
  return JSON.stringify(ordered);
}

/** Whether a record's own keys are exactly `keys`, in order (what lets the serialiser skip copying it). */
function inSchemaOrder(record: object, keys: readonly string[] = RECORD_KEYS): boolean {
  const own = Object.keys(record);
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
}

describe('record lines', () => {
  const row = {
    ts: '2024-03-05T21:14:05Z',
    ms_played: 201_000,
    master_metadata_track_name: 'Sông "quoted"',
    master_metadata_album_artist_name: 'Artist',
    master_metadata_album_album_name: 'Album',
    spotify_track_uri: 'spotify:track:4uLU6hMCjMI75M1A2tKUQC',
  };
  it('are the schema keys in order, before and after enrichment', () => {
    const extended = mapExtendedRow(row, options);
    const account = mapAccountDataRow(
      { endTime: '2024-03-05 21:14', trackName: 'x', artistName: 'y', msPlayed: 40_000 },
      options,
    );
    for (const m of [extended, account]) {
      if (m.kind !== 'track') throw new Error('expected a track');
      expect(inSchemaOrder(m.record)).toBe(true);
      expect(recordToJsonLine(m.record)).toBe(orderedLine(m.record));
      apply(m.record, {
        duration_ms: 1,
        explicit: true,
        popularity: 2,
        isrc: 'X',
        artists: [{ id: 'a', name: 'b' }],
        album_id: 'c',
        album_type: 'album',
        album_release_date: '2020',
      });
      expect(recordToJsonLine(m.record)).toBe(orderedLine(m.record));
    }
    const episode = mapExtendedRow(
      {
        ...row,
        spotify_track_uri: null,
        episode_name: 'E',
        spotify_episode_uri: 'spotify:episode:5Xt5DXGzch68nYYamXrNxZ',
      },
      options,
    );
    if (episode.kind !== 'episode') throw new Error('expected an episode');
    expect(inSchemaOrder(episode.record, EPISODE_KEYS)).toBe(true);
    expect(Object.keys(JSON.parse(recordToJsonLine(episode.record, EPISODE_KEYS)) as object)).toEqual([
      ...EPISODE_KEYS,
    ]);
    expect(recordToJsonLine(episode.record, EPISODE_KEYS)).toBe(orderedLine(episode.record, EPISODE_KEYS));
  });

  it('put a record built in another order, or missing a key, in schema order, custom fields last', () => {
    const m = mapExtendedRow(row, options);
    if (m.kind !== 'track') throw new Error('expected a track');
    const { track_name, ...rest } = m.record;
    const shuffled = { custom: 1, ...rest, track_name } as unknown as ListeningRecord;
    const line = recordToJsonLine(shuffled);
    expect(Object.keys(JSON.parse(line) as object)).toEqual([...RECORD_KEYS, 'custom']);
    expect(line).toBe(recordToJsonLine({ ...m.record, custom: 1 } as ListeningRecord));
    const missing = { ...m.record, isrc: undefined } as unknown as ListeningRecord;
    expect((JSON.parse(recordToJsonLine(missing)) as { isrc: unknown }).isrc).toBeNull();
  });

  it('the one builder gives each date the lines of its records in time order, gzipped, named from the content', () => {
    const records: ListeningRecord[] = [];
    for (let i = 0; i < 50; i++) {
      const m = mapExtendedRow({ ...row, ts: new Date(t0 + (49 - i) * 3_600_000).toISOString() }, options);
      if (m.kind === 'track') records.push(m.record);
    }
    const dataset = tracksDataset('spotify_listening_history/');
    const objects = buildObjects(dataset, records);
    const byDate = new Map<string, ListeningRecord[]>();
    for (const r of [...records].reverse())
      byDate.set(r.played_at_date, [...(byDate.get(r.played_at_date) ?? []), r]);
    const expected = [...byDate].map(([date, group]) => {
      const body = gzipSync(group.map((r) => `${orderedLine(r)}\n`).join(''), { level: LAKE_GZIP_LEVEL });
      const key = objectKey(dataset, { earliestPlayedAt: group[0]!.played_at, count: group.length, body });
      return [key, date, group.length, body.toString('base64')];
    });
    expect(objects.map((o) => [o.key, o.date, o.records, o.body.toString('base64')])).toEqual(expected);
    expect(objects.length).toBe(4); // May 31 and June 1-3
  });
});
