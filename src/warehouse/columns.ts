import type { CustomField } from '../custom-fields/field-rules.js';
import { DATASETS, type DatasetName } from '../record/datasets.js';
import { EPISODE_DATASET_PREFIX } from '../record/episode-schema.js';
import { columnSql } from '../record/identifiers.js';
import type { ColumnType, RecordColumn } from '../record/schema.js';

/** DuckDB type of each logical column type. Timestamps are UTC instants stored as TIMESTAMP, like Snowflake's NTZ. */
const DUCKDB_TYPES: Record<ColumnType, string> = {
  timestamp: 'TIMESTAMP',
  integer: 'BIGINT',
  number: 'DOUBLE',
  json: 'JSON',
  date: 'DATE',
  boolean: 'BOOLEAN',
  string: 'VARCHAR',
  string_array: 'VARCHAR[]',
};

/** A dataset of the lake as a warehouse table. */
export interface TableSpec {
  table: string;
  /** Which dataset: also the value stored beside each loaded object. */
  dataset: DatasetName;
  /** Prefix of the dataset inside the lake root, ending in "/". */
  prefix: string;
  /** Start of every object name of the dataset. */
  filePrefix: string;
  /** Column name → DuckDB type, in the record's key order. */
  columns: [string, string][];
}

/** A dataset's table: its core keys, then the lake's custom fields (src/custom-fields/lake-schema.ts). */
function datasetTable(
  table: string,
  dataset: DatasetName,
  prefix: string,
  custom: readonly CustomField[],
): TableSpec {
  const { filePrefix, columns } = DATASETS[dataset];
  const column = (c: RecordColumn | CustomField): [string, string] => [c.name, DUCKDB_TYPES[c.type]];
  return { table, dataset, prefix, filePrefix, columns: [...columns.map(column), ...custom.map(column)] };
}

export function listeningTable(prefix: string, custom: readonly CustomField[] = []): TableSpec {
  return datasetTable('spotify_listening_history', 'tracks', prefix, custom);
}

export function episodeTable(custom: readonly CustomField[] = []): TableSpec {
  return datasetTable('spotify_episode_history', 'episodes', EPISODE_DATASET_PREFIX, custom);
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * What brings an existing table forward to the spec: a column for each key it lacks (a custom field declared
 * since, or a core key of a later schema version). Never drops or changes a column; old rows read NULL.
 */
export function addColumnsSql(spec: TableSpec, existing: ReadonlySet<string>): string[] {
  return spec.columns
    .filter(([name]) => !existing.has(name))
    .map(
      ([name, type]) =>
        `ALTER TABLE ${spec.table} ADD COLUMN IF NOT EXISTS ${columnSql(name, 'duckdb')} ${type}`,
    );
}

export function createTableSql(spec: TableSpec): string {
  const cols = spec.columns.map(([name, type]) => `  ${columnSql(name, 'duckdb')} ${type}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${spec.table} (\n${cols}\n)`;
}

/**
 * `read_json` over lake files with the table's explicit columns: DuckDB parses and converts in C++,
 * keys missing in a record load as NULL and unknown keys are ignored (as Snowflake's MATCH_BY_COLUMN_NAME does).
 */
export function readJsonSql(spec: TableSpec, paths: readonly string[]): string {
  // Keys as string literals: a reserved word is a valid key that way (and the same key as unquoted).
  const columns = spec.columns.map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`).join(', ');
  const files = paths.map(sqlString).join(', ');
  return `read_json([${files}], format = 'newline_delimited', compression = 'gzip', columns = {${columns}})`;
}
