import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { parseNdjsonGzip } from '../../src/lake/encode.js';
import { buildSetupStatements } from '../../src/snowflake/ddl.js';
import { LAKE_TIMESTAMP_FORMAT, SOURCE_FILE_COLUMN } from '../../src/snowflake/table-sql.js';
import type { SnowflakeObjects } from '../../src/snowflake/settings.js';
import { tempDir } from './helpers.js';
import { writeLake } from './lake-fixture.js';
import { sampleEpisodes, sampleRecords } from '../helpers/records.js';

const objects: SnowflakeObjects = {
  database: 'SPOTIFY',
  schema: 'LISTENING',
  integration: 'I',
  awsRoleArn: 'arn:aws:iam::123456789012:role/r',
  bucket: 'b',
  tracksPrefix: 'spotify_listening_history/',
  episodesPrefix: 'spotify_episode_history/',
  mode: 'auto',
  roles: {},
};

/** Columns and Snowflake types as the generated CREATE TABLE spells them (parsed from the SQL text itself). */
function columnsOf(createTable: string): { name: string; type: string }[] {
  const body = createTable.slice(createTable.indexOf('(\n') + 2, createTable.lastIndexOf('\n)'));
  return body.split(',\n').map((line) => {
    const [name, type] = line.trim().split(/\s+/);
    return { name: name!, type: type! };
  });
}

/** The DuckDB type that holds exactly what the Snowflake type holds for this data. */
function duckType(snowflakeType: string): string {
  if (snowflakeType.startsWith('TIMESTAMP_NTZ')) return 'TIMESTAMP';
  if (snowflakeType === 'NUMBER(38,0)') return 'BIGINT';
  if (snowflakeType === 'ARRAY') return 'VARCHAR[]';
  if (snowflakeType === 'STRING') return 'VARCHAR';
  if (snowflakeType === 'DATE' || snowflakeType === 'BOOLEAN') return snowflakeType;
  throw new Error(`no DuckDB mapping for ${snowflakeType}`);
}

/** Snowflake's TIMESTAMP_FORMAT translated to strptime, so the test proves the format string itself. */
function strptimeOf(format: string): string {
  return format
    .replace(/"([^"]*)"/g, '$1')
    .replace('YYYY', '%Y')
    .replace('MM', '%m')
    .replace('DD', '%d')
    .replace('HH24', '%H')
    .replace('MI', '%M')
    .replace('SS', '%S')
    .replace('FF3', '%g');
}

describe('every lake file fits the generated Snowflake tables', () => {
  it('loads each file into DuckDB tables with exactly the DDL column types', async () => {
    const root = await tempDir('fit');
    const start = Date.UTC(2024, 0, 14, 20, 0, 0, 123);
    const tracks = sampleRecords(300, start);
    const episodes = sampleEpisodes(25, start);
    const { objects: files } = await writeLake(root, tracks, episodes);
    expect(files.length).toBeGreaterThan(10);

    const statements = buildSetupStatements(objects);
    const tables = [
      {
        ddl: statements.find((s) => s.title.endsWith('SPOTIFY_LISTENING_HISTORY'))!.sql,
        prefix: objects.tracksPrefix,
        name: 'tracks',
      },
      {
        ddl: statements.find((s) => s.title.endsWith('SPOTIFY_EPISODE_HISTORY'))!.sql,
        prefix: objects.episodesPrefix,
        name: 'episodes',
      },
    ];
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const fmt = strptimeOf(LAKE_TIMESTAMP_FORMAT);
      expect(fmt).toBe('%Y-%m-%dT%H:%M:%S.%gZ');
      let loadedRows = 0;
      for (const t of tables) {
        const cols = columnsOf(t.ddl);
        const fileCols = cols.filter((c) => c.name !== SOURCE_FILE_COLUMN);
        expect(cols.at(-1)!.name).toBe(SOURCE_FILE_COLUMN);
        await conn.run(
          `CREATE TABLE ${t.name} (${cols.map((c) => `"${c.name}" ${duckType(c.type)}`).join(', ')})`,
        );
        const columnsArg = `{${fileCols.map((c) => `'${c.name}': '${duckType(c.type)}'`).join(', ')}}`;
        for (const f of files.filter((o) => o.key.startsWith(t.prefix))) {
          // The JSON keys are exactly the file columns (MATCH_BY_COLUMN_NAME would drop extras, NULL the missing).
          for (const line of parseNdjsonGzip(f.body))
            expect(Object.keys(line as object)).toEqual(fileCols.map((c) => c.name));
          const file = path.join(root, f.key);
          const rel = f.key.slice(t.prefix.length);
          await conn.run(
            `INSERT INTO ${t.name} SELECT *, '${rel}' FROM read_json('${file}', format = 'newline_delimited', compression = 'gzip', columns = ${columnsArg}, timestampformat = '${fmt}', dateformat = '%Y-%m-%d')`,
          );
          const n = Number(
            (
              await conn.runAndReadAll(
                `SELECT COUNT(*) FROM ${t.name} WHERE ${SOURCE_FILE_COLUMN} = '${rel}'`,
              )
            ).getRows()[0]![0],
          );
          expect(n).toBe(f.records);
          loadedRows += n;
        }
      }
      expect(loadedRows).toBe(tracks.length + episodes.length);

      // Values survive with their meaning: instants, empty arrays, nulls, odd characters.
      const back = (
        await conn.runAndReadAll(
          `SELECT strftime(played_at, '${fmt}') AS played_at, artist_names, track_id, ms_played, track_name, played_at_date::VARCHAR AS d FROM tracks ORDER BY played_at`,
        )
      ).getRowObjectsJson();
      const sorted = [...tracks].sort((a, b) => a.played_at.localeCompare(b.played_at));
      expect(back.map((r) => r.played_at)).toEqual(sorted.map((r) => r.played_at));
      expect(back.map((r) => r.artist_names)).toEqual(sorted.map((r) => r.artist_names));
      expect(back.map((r) => r.track_id)).toEqual(sorted.map((r) => r.track_id));
      // BIGINT comes back as a string in DuckDB's JSON rows.
      expect(back.map((r) => r.ms_played)).toEqual(
        sorted.map((r) => (r.ms_played === null ? null : String(r.ms_played))),
      );
      expect(back.map((r) => r.track_name)).toEqual(sorted.map((r) => r.track_name));
      expect(back.map((r) => r.d)).toEqual(sorted.map((r) => r.played_at_date));
      expect(sorted.some((r) => r.artist_names.length === 0)).toBe(true);
      expect(sorted.some((r) => r.track_id === null)).toBe(true);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
