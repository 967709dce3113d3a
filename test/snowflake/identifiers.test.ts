import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import type { CustomField } from '../../src/custom-fields/field-rules.js';
import { parseDeclaration } from '../../src/custom-fields/field-rules.js';
import { columnSql, DUCKDB_KEYWORDS, needsQuotes, SNOWFLAKE_KEYWORDS } from '../../src/record/identifiers.js';
import { createTableSql as snowflakeCreateTable, tableColumns } from '../../src/snowflake/table-sql.js';
import { LISTENING_COLUMNS, RECORD_COLUMN_TYPES } from '../../src/record/schema.js';
import { addColumnsSql, createTableSql, listeningTable, readJsonSql } from '../../src/warehouse/columns.js';
import { tempDir } from './helpers.js';

/** The review's reserved-word fields (F1), and words only one engine reserves. */
const RESERVED_FIELDS: CustomField[] = [
  { name: 'order', type: 'integer' },
  { name: 'group', type: 'string' },
  { name: 'values', type: 'json' },
  { name: 'current_date', type: 'date' },
  { name: 'start', type: 'string' },
  { name: 'left', type: 'string' },
  { name: 'increment', type: 'number' },
  { name: 'mood', type: 'string' },
];

describe('column names: one rule for Snowflake and DuckDB', () => {
  it('a plain name is written as it is; a reserved one is quoted in both engines', () => {
    expect(columnSql('mood', 'snowflake')).toBe('mood');
    expect(columnSql('mood', 'duckdb')).toBe('mood');
    expect(columnSql('order', 'snowflake')).toBe('"ORDER"');
    expect(columnSql('order', 'duckdb')).toBe('"order"');
    // Reserved by one engine only: quoted in both, so both tables spell it alike.
    expect(columnSql('increment', 'duckdb')).toBe('"increment"');
    expect(columnSql('left', 'snowflake')).toBe('"LEFT"');
    // No core key needs quotes: the tables keep their readable DDL.
    for (const key of Object.keys(RECORD_COLUMN_TYPES)) expect(needsQuotes(key)).toBe(false);
  });

  it('the declaration accepts reserved words (the DDL quotes them)', () => {
    const declared = Object.fromEntries(RESERVED_FIELDS.map((f) => [f.name, f.type]));
    expect(parseDeclaration(declared)).toEqual(RESERVED_FIELDS);
  });

  it('the DuckDB list holds every keyword the running DuckDB reserves (reserved and type_function)', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = (
      await c.runAndReadAll(
        "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category IN ('reserved', 'type_function')",
      )
    ).getRows();
    const missing = rows.map((r) => String(r[0])).filter((k) => !DUCKDB_KEYWORDS.has(k));
    expect(missing).toEqual([]);
    // And an unquoted one really is refused, so the quoting is what makes the DDL work.
    await expect(c.run('CREATE TABLE t (order BIGINT)')).rejects.toThrow(/syntax error/);
  });

  it('DuckDB: reserved-word fields become columns (CREATE and ADD COLUMN) and load from a real gzip lake file', async () => {
    const dir = await tempDir('identifiers');
    const file = path.join(dir, 'spotify_tracks_20240115_143000_batch_1.json.gz');
    const record = {
      ...Object.fromEntries(Object.keys(RECORD_COLUMN_TYPES).map((k) => [k, null])),
      played_at: '2024-01-15T14:30:00.123Z',
      artist_names: [],
      order: 7,
      group: 'g',
      values: { a: [1, 2] },
      current_date: '2024-01-15',
      start: 's',
      left: 'l',
      increment: 1.5,
      mood: 'calm',
    };
    // A second record with the json field null: DuckDB holds SQL NULL, as Snowflake does with STRIP_NULL_VALUES.
    const nulls = { ...record, played_at: '2024-01-15T14:31:00.123Z', values: null };
    await fs.writeFile(file, gzipSync(`${JSON.stringify(record)}\n${JSON.stringify(nulls)}\n`));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    // A table made before the fields existed, then brought forward.
    await c.run(createTableSql(listeningTable('p/')));
    const spec = listeningTable('p/', RESERVED_FIELDS);
    for (const sql of addColumnsSql(spec, new Set(Object.keys(RECORD_COLUMN_TYPES)))) await c.run(sql);
    await c.run(`INSERT INTO ${spec.table} BY NAME SELECT * FROM ${readJsonSql(spec, [file])}`);
    const row = (
      await c.runAndReadAll(
        `SELECT "order", "group", "values"::VARCHAR, "current_date"::VARCHAR, start, "left", increment, mood FROM ${spec.table} ORDER BY played_at`,
      )
    ).getRows()[0]!;
    const nullJson = (
      await c.runAndReadAll(`SELECT count(*) FROM ${spec.table} WHERE "values" IS NULL`)
    ).getRows()[0]![0];
    expect(Number(nullJson)).toBe(1);
    expect(row.map((v) => (typeof v === 'bigint' ? Number(v) : v))).toEqual([
      7,
      'g',
      '{"a":[1,2]}',
      '2024-01-15',
      's',
      'l',
      1.5,
      'calm',
    ]);
    // A fresh table with the fields from the start.
    await c.run(createTableSql({ ...spec, table: 'fresh' }));
  });

  it('Snowflake: the same fields are quoted upper case in CREATE TABLE', () => {
    const sql = snowflakeCreateTable('DB.S.T', tableColumns(LISTENING_COLUMNS, RESERVED_FIELDS));
    expect(sql).toMatch(/\n {2}"ORDER" +NUMBER\(38,0\),\n {2}"GROUP" +STRING,\n {2}"VALUES" +VARIANT,/);
    expect(sql).toMatch(/\n {2}"CURRENT_DATE" +DATE,\n {2}"START" +STRING,\n {2}"LEFT" +STRING,/);
    expect(sql).toMatch(/\n {2}"INCREMENT" +FLOAT,\n {2}mood +STRING,\n {2}source_file +STRING\n\)$/);
    for (const w of ['ORDER', 'GROUP', 'VALUES', 'CURRENT_DATE', 'START', 'INCREMENT'])
      expect(SNOWFLAKE_KEYWORDS.has(w)).toBe(true);
  });
});
