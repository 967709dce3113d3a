import type { CustomField } from '../custom-fields/field-rules.js';
import { DATASETS } from '../record/datasets.js';
import { columnSql } from '../record/identifiers.js';
import type { ColumnType } from '../record/schema.js';
import { OBJECT_NAMES } from './settings.js';

/** Snowflake types of the shared logical column types. */
const SNOWFLAKE_TYPES: Record<ColumnType, string> = {
  timestamp: 'TIMESTAMP_NTZ(3)',
  integer: 'NUMBER(38,0)',
  number: 'FLOAT',
  json: 'VARIANT',
  date: 'DATE',
  boolean: 'BOOLEAN',
  string: 'STRING',
  string_array: 'ARRAY',
};

/**
 * The lake writes `2024-01-15T14:30:00.123Z`; a literal `Z` is not among Snowflake's AUTO formats (docs/snowflake.md, file format),
 * so the file format spells the layout out. All lake instants are UTC, hence TIMESTAMP_NTZ holds UTC.
 */
export const LAKE_TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.FF3"Z"';

/** Column filled from the load itself (not from the file): which lake object a row came from. */
export const SOURCE_FILE_COLUMN = 'source_file';

export interface ColumnDef {
  name: string;
  type: string;
  /** False for columns COPY fills from metadata (source_file) rather than from the JSON keys. */
  fromFile: boolean;
}

/**
 * The columns of a table: one per record key in the dataset's column order, then the lake's custom fields
 * (src/custom-fields/), then the load-metadata column.
 */
export function tableColumns(
  columns: readonly { name: string; type: ColumnType }[],
  custom: readonly CustomField[] = [],
): ColumnDef[] {
  return [
    ...[...columns, ...custom].map((c) => ({ name: c.name, type: SNOWFLAKE_TYPES[c.type], fromFile: true })),
    { name: SOURCE_FILE_COLUMN, type: 'STRING', fromFile: false },
  ];
}

export const TRACKS_COLUMNS = tableColumns(DATASETS.tracks.columns);
export const EPISODES_COLUMNS = tableColumns(DATASETS.episodes.columns);

export function literal(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

export function createTableSql(name: string, columns: ColumnDef[]): string {
  const names = columns.map((c) => columnSql(c.name, 'snowflake'));
  const width = Math.max(...names.map((n) => n.length));
  const lines = columns.map((c, i) => `  ${names[i]!.padEnd(width)} ${c.type}`);
  return `CREATE TABLE IF NOT EXISTS ${name} (\n${lines.join(',\n')}\n)`;
}

/**
 * The COPY of a pipe or of `--load-existing`: JSON keys matched to columns by name (extra keys ignored,
 * missing ones NULL), the lake key of each row's file kept in source_file for reconciliation.
 * ON_ERROR = SKIP_FILE for both: it is Snowpipe's default, but a bulk COPY defaults to ABORT_STATEMENT, where one
 * bad file fails the whole statement and loads none of the others. With SKIP_FILE a bad file is reported as
 * LOAD_FAILED (nothing of it loaded, so a fixed copy can be loaded later) and the rest load. Pipe error
 * notifications (ERROR_INTEGRATION) also only work with SKIP_FILE.
 */
export function copyIntoSql(
  table: string,
  stage: string,
  format: string,
  filePrefix: string,
  files?: string[],
): string {
  const from = files
    ? `FILES = (${files.map(literal).join(', ')})`
    : `PATTERN = ${literal(`.*${filePrefix}_[^/]*[.]json[.]gz`)}`;
  return [
    `COPY INTO ${table}`,
    `  FROM @${stage}`,
    `  ${from}`,
    `  FILE_FORMAT = (FORMAT_NAME = ${literal(format)})`,
    '  MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE',
    `  INCLUDE_METADATA = (${SOURCE_FILE_COLUMN} = METADATA$FILENAME)`,
    '  ON_ERROR = SKIP_FILE',
    // Files older than COPY's 64-day load metadata count as "uncertain" and would be skipped; the caller
    // already excluded every file whose rows are in the table, so loading them is what is wanted.
    ...(files ? ['  LOAD_UNCERTAIN_FILES = TRUE'] : []),
  ].join('\n');
}

/** Minutes listened: what the export measured when present, else the track length (API plays are whole plays). */
const MINUTES = 'ROUND(SUM(COALESCE(ms_played, track_duration_ms, 0)) / 60000, 1)';
const TODAY_UTC = "CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::DATE";
/** The sample views over the listening history (`tracks`: its table's qualified name). */
export function listeningViews(
  q: (name: string) => string,
  tracks: string,
): { title: string; sql: string }[] {
  const view = (title: string, sql: string[]) => ({ title, sql: sql.join('\n') });
  return [
    view(`view ${q(OBJECT_NAMES.dailyView)}`, [
      `CREATE OR REPLACE VIEW ${q(OBJECT_NAMES.dailyView)} AS`,
      'SELECT',
      '  played_at_date,',
      '  COUNT(*) AS plays,',
      '  COUNT(DISTINCT COALESCE(track_id, track_name)) AS distinct_tracks,',
      '  COUNT(DISTINCT COALESCE(primary_artist_id, primary_artist_name)) AS distinct_artists,',
      `  ${MINUTES} AS minutes_listened`,
      `FROM ${tracks}`,
      `WHERE played_at_date > DATEADD(day, -30, ${TODAY_UTC})`,
      'GROUP BY played_at_date',
      'ORDER BY played_at_date DESC',
    ]),
    view(`view ${q(OBJECT_NAMES.topArtistsView)}`, [
      `CREATE OR REPLACE VIEW ${q(OBJECT_NAMES.topArtistsView)} AS`,
      'SELECT',
      '  primary_artist_name,',
      '  COUNT(*) AS plays,',
      `  ${MINUTES} AS minutes`,
      `FROM ${tracks}`,
      `WHERE played_at_date >= DATE_TRUNC('month', ${TODAY_UTC})`,
      '  AND primary_artist_name IS NOT NULL',
      'GROUP BY primary_artist_name',
      'ORDER BY plays DESC, minutes DESC',
    ]),
  ];
}
