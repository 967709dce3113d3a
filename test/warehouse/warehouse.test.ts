import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { RECORD_COLUMN_TYPES } from '../../src/record/schema.js';
import { EPISODE_COLUMN_TYPES } from '../../src/record/episode-schema.js';
import { openWarehouse, warehousePath } from '../../src/warehouse/warehouse.js';
import { localSetup, writeEpisodes, writePlays } from './lake-fixture.js';
import { episode, play } from '../helpers/records.js';

function playsOverDays(days: number, perDay: number, startIso = '2024-01-01T08:00:00.000Z') {
  const start = Date.parse(startIso);
  const out = [];
  for (let d = 0; d < days; d++)
    for (let i = 0; i < perDay; i++)
      out.push(
        play(start + d * 86_400_000 + i * 240_000, {
          track_name: `Track ${(d * 7 + i) % 13}`,
          primary_artist_name: `Artist ${(d + i) % 5}`,
        }),
      );
  return out;
}

describe('warehouse refresh', () => {
  it('loads every play of the lake, with the contract column types', async () => {
    const s = localSetup('counts');
    const records = playsOverDays(20, 7);
    const keys = await writePlays(s.store, records);
    const wh = await openWarehouse(s.config, silentLogger);
    try {
      const r = await wh.refresh();
      expect(r.failed).toEqual([]);
      expect(r.objectsLoaded).toBe(keys.length);
      expect(r.rowsLoaded).toBe(records.length);
      expect(r.tables).toEqual({ spotify_listening_history: records.length, spotify_episode_history: 0 });

      const byDate = await wh.rows(
        `SELECT strftime(played_at_date, '%Y-%m-%d') AS d, count(*) AS n FROM spotify_listening_history GROUP BY 1 ORDER BY 1`,
      );
      const expected = new Map<string, number>();
      for (const rec of records)
        expected.set(rec.played_at_date, (expected.get(rec.played_at_date) ?? 0) + 1);
      expect(byDate.rows.map((row) => [row.d, row.n])).toEqual([...expected.entries()]);

      const described = await wh.rows(`DESCRIBE spotify_listening_history`);
      const types = Object.fromEntries(described.rows.map((row) => [row.column_name, row.column_type]));
      const want: Record<string, string> = {
        timestamp: 'TIMESTAMP',
        integer: 'BIGINT',
        date: 'DATE',
        boolean: 'BOOLEAN',
        string: 'VARCHAR',
        string_array: 'VARCHAR[]',
      };
      expect(Object.keys(types)).toEqual(Object.keys(RECORD_COLUMN_TYPES));
      for (const [name, type] of Object.entries(RECORD_COLUMN_TYPES)) expect(types[name]).toBe(want[type]);

      // Values survive the trip: the instant, the array, the integer.
      const first = await wh.rows(
        `SELECT strftime(played_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS at, artist_names, played_at_timestamp FROM spotify_listening_history ORDER BY played_at LIMIT 1`,
      );
      expect(first.rows[0]).toEqual({
        at: records[0]!.played_at,
        artist_names: records[0]!.artist_names,
        played_at_timestamp: records[0]!.played_at_timestamp,
      });
    } finally {
      wh.close();
    }
  });

  it('loads each object exactly once across refreshes and reopenings', async () => {
    const s = localSetup('once');
    const first = playsOverDays(5, 4);
    await writePlays(s.store, first);
    let wh = await openWarehouse(s.config, silentLogger);
    expect((await wh.refresh()).rowsLoaded).toBe(first.length);
    const again = await wh.refresh();
    expect(again.objectsLoaded).toBe(0);
    expect(again.rowsLoaded).toBe(0);
    expect(again.objectsAlreadyLoaded).toBe(5);
    wh.close();

    // New plays arrive: on two new days, and a second object on an already loaded day.
    const later = [
      ...playsOverDays(2, 3, '2024-02-01T08:00:00.000Z'),
      play('2024-01-03T23:00:00.000Z', { track_name: 'Late' }),
    ];
    const newKeys = await writePlays(s.store, later);
    wh = await openWarehouse(s.config, silentLogger);
    try {
      const r = await wh.refresh();
      expect(r.objectsLoaded).toBe(newKeys.length);
      expect(r.rowsLoaded).toBe(later.length);
      expect(r.tables.spotify_listening_history).toBe(first.length + later.length);
      const dup = await wh.rows(
        `SELECT count(*) AS n FROM (SELECT user_id, played_at, track_id FROM spotify_listening_history GROUP BY ALL HAVING count(*) > 1)`,
      );
      expect(dup.rows[0]!.n).toBe(0);
      const ledger = await wh.rows(`SELECT count(*) AS n, sum(rows) AS rows FROM _warehouse_loaded_objects`);
      expect(ledger.rows[0]).toEqual({ n: 5 + newKeys.length, rows: first.length + later.length });
    } finally {
      wh.close();
    }
  });

  it('names a corrupt object and still loads the rest', async () => {
    const s = localSetup('corrupt');
    const records = playsOverDays(4, 3);
    const keys = await writePlays(s.store, records);
    const bad =
      'spotify_listening_history/2024/01/09/spotify_tracks_20240109_080000_batch_2_deadbeef.json.gz';
    await s.store.putIfAbsent(
      bad,
      gzipSync('{"played_at": "2024-01-09T08:00:00.000Z", "track_na').subarray(0, 30),
    );
    const wrongType =
      'spotify_listening_history/2024/01/10/spotify_tracks_20240110_080000_batch_1_abc123.json.gz';
    await s.store.putIfAbsent(wrongType, gzipSync('{"played_at": "not a time", "track_name": "x"}\n'));
    // Files that are not lake objects are not the warehouse's business.
    await fs.writeFile(path.join(s.dataDir, 'spotify_listening_history', 'notes.txt'), 'hello');

    const wh = await openWarehouse(s.config, silentLogger);
    try {
      const r = await wh.refresh();
      expect(r.failed.map((f) => f.key).sort()).toEqual([bad, wrongType].sort());
      // DuckDB's reason, naming the object by its lake key.
      expect(r.failed.find((f) => f.key === bad)!.message).toMatch(
        /^Invalid Input Error: Malformed JSON in file "spotify_listening_history\//,
      );
      expect(r.failed.find((f) => f.key === wrongType)!.message).toContain(
        'invalid timestamp field format: "not a time"',
      );
      expect(r.objectsLoaded).toBe(keys.length);
      expect(r.tables.spotify_listening_history).toBe(records.length);
      // Not marked loaded: still reported on the next refresh, until the object is fixed or removed.
      const again = await wh.refresh();
      expect(again.failed.map((f) => f.key).sort()).toEqual([bad, wrongType].sort());
      expect(again.tables.spotify_listening_history).toBe(records.length);
    } finally {
      wh.close();
    }
  });

  it('starts empty on an empty lake, in memory and with an empty episode table, and loads episodes once there', async () => {
    const s = localSetup('episodes');
    let wh = await openWarehouse(s.config, silentLogger);
    const empty = await wh.refresh();
    expect(empty).toMatchObject({
      objectsInLake: 0,
      rowsLoaded: 0,
      tables: { spotify_listening_history: 0, spotify_episode_history: 0 },
    });
    // The documented sample queries work before any episode is imported.
    expect(await wh.hasTable('spotify_episode_history')).toBe(true);
    // Nothing to keep: a read-only command on a fresh folder writes no warehouse file.
    expect(wh.inMemory).toBe(true);
    expect(existsSync(warehousePath(s.config))).toBe(false);
    wh.close();

    const eps = [
      episode('2024-05-01T10:00:00.000Z'),
      episode('2024-05-01T11:00:00.000Z'),
      episode('2024-05-02T09:00:00.000Z'),
    ];
    await writeEpisodes(s.store, eps);
    wh = await openWarehouse(s.config, silentLogger);
    try {
      const r = await wh.refresh();
      expect(r.tables).toEqual({ spotify_listening_history: 0, spotify_episode_history: 3 });
      const described = await wh.rows(`DESCRIBE spotify_episode_history`);
      expect(described.rows.map((row) => row.column_name)).toEqual(Object.keys(EPISODE_COLUMN_TYPES));
      const shows = await wh.rows(
        `SELECT show_name, sum(ms_played) AS ms FROM spotify_episode_history GROUP BY 1`,
      );
      expect(shows.rows).toEqual([{ show_name: 'A Show', ms: 1_800_000 }]);
    } finally {
      wh.close();
    }
  });

  it('rebuilds when pointed at another lake', async () => {
    const s = localSetup('switch');
    await writePlays(s.store, playsOverDays(3, 2));
    let wh = await openWarehouse(s.config, silentLogger);
    expect((await wh.refresh()).tables.spotify_listening_history).toBe(6);
    wh.close();
    const other = { ...s.config, storage: { ...s.config.storage, dataDir: path.join(s.root, 'other') } };
    wh = await openWarehouse(other, silentLogger);
    try {
      expect((await wh.refresh()).tables.spotify_listening_history).toBe(0);
    } finally {
      wh.close();
    }
  });
});
