/** Where a record came from (docs/exactly-once.md, the record schema: data_source). */
export type DataSource =
  | 'spotify_recently_played_api'
  | 'spotify_player_state'
  | 'spotify_extended_streaming_history'
  | 'spotify_account_data';

/** One play, as written to the lake. Every key is always present; `null` where unknown. */
export interface ListeningRecord {
  played_at: string;
  played_at_timestamp: number;
  played_at_date: string;
  played_at_hour: number;
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
  ms_played: number | null;
  reason_start: string | null;
  reason_end: string | null;
  shuffle: boolean | null;
  skipped: boolean | null;
  offline: boolean | null;
  platform: string | null;
  conn_country: string | null;
  user_id: string;
  data_source: DataSource;
  ingested_at: string;
}

/** The keys in the order they are written (the same order as the Snowflake table's columns). */
export const RECORD_KEYS = [
  'played_at',
  'played_at_timestamp',
  'played_at_date',
  'played_at_hour',
  'track_id',
  'track_name',
  'track_duration_ms',
  'track_popularity',
  'track_explicit',
  'isrc',
  'primary_artist_id',
  'primary_artist_name',
  'artist_names',
  'album_id',
  'album_name',
  'album_type',
  'album_release_date',
  'context_type',
  'context_uri',
  'ms_played',
  'reason_start',
  'reason_end',
  'shuffle',
  'skipped',
  'offline',
  'platform',
  'conn_country',
  'user_id',
  'data_source',
  'ingested_at',
] as const satisfies readonly (keyof ListeningRecord)[];

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

export const RECORD_COLUMN_TYPES: Record<keyof ListeningRecord, ColumnType> = {
  played_at: 'timestamp',
  played_at_timestamp: 'integer',
  played_at_date: 'date',
  played_at_hour: 'integer',
  track_id: 'string',
  track_name: 'string',
  track_duration_ms: 'integer',
  track_popularity: 'integer',
  track_explicit: 'boolean',
  isrc: 'string',
  primary_artist_id: 'string',
  primary_artist_name: 'string',
  artist_names: 'string_array',
  album_id: 'string',
  album_name: 'string',
  album_type: 'string',
  album_release_date: 'string',
  context_type: 'string',
  context_uri: 'string',
  ms_played: 'integer',
  reason_start: 'string',
  reason_end: 'string',
  shuffle: 'boolean',
  skipped: 'boolean',
  offline: 'boolean',
  platform: 'string',
  conn_country: 'string',
  user_id: 'string',
  data_source: 'string',
  ingested_at: 'timestamp',
};
