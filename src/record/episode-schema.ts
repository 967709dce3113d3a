import type { ColumnType } from './schema.js';

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

export const EPISODE_KEYS = [
  'played_at',
  'played_at_timestamp',
  'played_at_date',
  'played_at_hour',
  'episode_id',
  'episode_name',
  'show_name',
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
] as const satisfies readonly (keyof EpisodeRecord)[];

export const EPISODE_COLUMN_TYPES: Record<keyof EpisodeRecord, ColumnType> = {
  played_at: 'timestamp',
  played_at_timestamp: 'integer',
  played_at_date: 'date',
  played_at_hour: 'integer',
  episode_id: 'string',
  episode_name: 'string',
  show_name: 'string',
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
