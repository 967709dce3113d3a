import type { PlayTime } from './time.js';

/** Where a record came from (docs/exactly-once.md, the record schema: data_source). */
export type DataSource =
  | 'spotify_recently_played_api'
  | 'spotify_player_state'
  | 'spotify_extended_streaming_history'
  | 'spotify_account_data';

/**
 * The fields both datasets' records end with (PLAY_COLUMNS): how long, how the play started and ended and where
 * (the Extended history's fields), whose play it is, its source, and when it was ingested.
 */
export interface PlayFields<Source extends DataSource = DataSource> {
  ms_played: number | null;
  reason_start: string | null;
  reason_end: string | null;
  shuffle: boolean | null;
  skipped: boolean | null;
  offline: boolean | null;
  platform: string | null;
  conn_country: string | null;
  user_id: string;
  data_source: Source;
  ingested_at: string;
}

/** One play, as written to the lake. Every key is always present; `null` where unknown. */
export interface ListeningRecord extends PlayTime, PlayFields {
  track_id: string | null;
  track_name: string;
  track_duration_ms: number | null;
  track_popularity: number | null;
  track_explicit: boolean | null;
  isrc: string | null;
  primary_artist_id: string | null;
  primary_artist_name: string | null;
  artist_names: string[];
  album_id: string | null;
  album_name: string | null;
  album_type: string | null;
  album_release_date: string | null;
  context_type: string | null;
  context_uri: string | null;
}

/**
 * How a play started and ended, and where: only the Extended streaming history carries these fields. The API's
 * and the player's records (a few a minute) have them null and spread this where they stand in the schema's
 * order (an override after it, such as the player's `skipped`, keeps that place). The export's mappers write
 * flat literals instead: a spread there made the import 1.3× slower (docs/import.md).
 */
export const NO_PLAY_CONTEXT = {
  reason_start: null,
  reason_end: null,
  shuffle: null,
  skipped: null,
  offline: null,
  platform: null,
  conn_country: null,
} as const satisfies Partial<ListeningRecord>;

/**
 * Logical column types, shared by the DuckDB and Snowflake table definitions: those of the record schema, and
 * `number` and `json` that only custom fields (src/custom-fields/) use.
 */
export const COLUMN_TYPES = [
  'string',
  'integer',
  'number',
  'boolean',
  'timestamp',
  'date',
  'string_array',
  'json',
] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** One column of a dataset's records. A dataset's columns, in order, are the keys its records are written with. */
export interface RecordColumn {
  readonly name: string;
  readonly type: ColumnType;
  /** Whether a record may hold `null` there (the source did not say). */
  readonly nullable: boolean;
}

/**
 * A column table checked against its record type when compiling: every column a key of `R`, nullable exactly
 * where the key's type admits `null`. (That every key has a column is checked by `columnTypes`' callers.)
 */
export type ColumnsOf<R> = readonly {
  [K in keyof R]: {
    readonly name: K;
    readonly type: ColumnType;
    readonly nullable: null extends R[K] ? true : false;
  };
}[keyof R][];

/**
 * The columns both datasets end with, in this order: how long, how it started and ended and where (the Extended
 * history's fields, null from other sources), whose play it is, its source, and when it was ingested.
 */
export const PLAY_COLUMNS = [
  { name: 'ms_played', type: 'integer', nullable: true },
  { name: 'reason_start', type: 'string', nullable: true },
  { name: 'reason_end', type: 'string', nullable: true },
  { name: 'shuffle', type: 'boolean', nullable: true },
  { name: 'skipped', type: 'boolean', nullable: true },
  { name: 'offline', type: 'boolean', nullable: true },
  { name: 'platform', type: 'string', nullable: true },
  { name: 'conn_country', type: 'string', nullable: true },
  { name: 'user_id', type: 'string', nullable: false },
  { name: 'data_source', type: 'string', nullable: false },
  { name: 'ingested_at', type: 'timestamp', nullable: false },
] as const;

/** The listening history's columns: the order is the key order of every record and of both warehouses' tables. */
export const LISTENING_COLUMNS = [
  { name: 'played_at', type: 'timestamp', nullable: false },
  { name: 'played_at_timestamp', type: 'integer', nullable: false },
  { name: 'played_at_date', type: 'date', nullable: false },
  { name: 'played_at_hour', type: 'integer', nullable: false },
  { name: 'track_id', type: 'string', nullable: true },
  { name: 'track_name', type: 'string', nullable: false },
  { name: 'track_duration_ms', type: 'integer', nullable: true },
  { name: 'track_popularity', type: 'integer', nullable: true },
  { name: 'track_explicit', type: 'boolean', nullable: true },
  { name: 'isrc', type: 'string', nullable: true },
  { name: 'primary_artist_id', type: 'string', nullable: true },
  { name: 'primary_artist_name', type: 'string', nullable: true },
  { name: 'artist_names', type: 'string_array', nullable: false },
  { name: 'album_id', type: 'string', nullable: true },
  { name: 'album_name', type: 'string', nullable: true },
  { name: 'album_type', type: 'string', nullable: true },
  { name: 'album_release_date', type: 'string', nullable: true },
  { name: 'context_type', type: 'string', nullable: true },
  { name: 'context_uri', type: 'string', nullable: true },
  ...PLAY_COLUMNS,
] as const satisfies ColumnsOf<ListeningRecord>;

/** The keys of a column table, in order. */
export function keysOf<C extends readonly RecordColumn[]>(columns: C): C[number]['name'][] {
  return columns.map((c) => c.name);
}

/** Column name → logical type, in the table's order (the order DuckDB and Snowflake columns are made in). */
export function columnTypes<C extends readonly RecordColumn[]>(
  columns: C,
): Record<C[number]['name'], ColumnType> {
  return Object.fromEntries(columns.map((c) => [c.name, c.type])) as Record<C[number]['name'], ColumnType>;
}

/** The keys in the order they are written (the same order as the Snowflake table's columns). */
export const RECORD_KEYS = keysOf(LISTENING_COLUMNS);
export const RECORD_COLUMN_TYPES: Record<keyof ListeningRecord, ColumnType> = columnTypes(LISTENING_COLUMNS);
