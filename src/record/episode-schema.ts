import { columnTypes, keysOf, type ColumnsOf, type ColumnType } from './schema.js';

/**
 * The podcast-episode dataset: episode plays of the privacy-data export (Extended Streaming History rows
 * with an episode, Account Data's StreamingHistory_podcast_*.json).
 */
export const EPISODE_DATASET_PREFIX = 'spotify_episode_history/';
export const EPISODE_FILE_PREFIX = 'spotify_episodes';

/** One episode play. Every key is always present; `null` where unknown. */
export interface EpisodeRecord {
  played_at: string;
  played_at_timestamp: number;
  played_at_date: string;
  played_at_hour: number;
  episode_id: string | null;
  episode_name: string;
  show_name: string | null;
  ms_played: number | null;
  reason_start: string | null;
  reason_end: string | null;
  shuffle: boolean | null;
  skipped: boolean | null;
  offline: boolean | null;
  platform: string | null;
  conn_country: string | null;
  user_id: string;
  data_source: 'spotify_extended_streaming_history' | 'spotify_account_data' | 'spotify_player_state';
  ingested_at: string;
}

/** The episode dataset's columns, in the key order of its records and tables. */
export const EPISODE_COLUMNS = [
  { name: 'played_at', type: 'timestamp', nullable: false },
  { name: 'played_at_timestamp', type: 'integer', nullable: false },
  { name: 'played_at_date', type: 'date', nullable: false },
  { name: 'played_at_hour', type: 'integer', nullable: false },
  { name: 'episode_id', type: 'string', nullable: true },
  { name: 'episode_name', type: 'string', nullable: false },
  { name: 'show_name', type: 'string', nullable: true },
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
] as const satisfies ColumnsOf<EpisodeRecord>;

export const EPISODE_KEYS = keysOf(EPISODE_COLUMNS);
export const EPISODE_COLUMN_TYPES: Record<keyof EpisodeRecord, ColumnType> = columnTypes(EPISODE_COLUMNS);
