import {
  columnTypes,
  keysOf,
  PLAY_COLUMNS,
  type ColumnsOf,
  type ColumnType,
  type PlayFields,
} from './schema.js';
import type { PlayTime } from './time.js';

/**
 * The podcast-episode dataset: episode plays of the privacy-data export (Extended Streaming History rows
 * with an episode, Account Data's StreamingHistory_podcast_*.json).
 */
export const EPISODE_DATASET_PREFIX = 'spotify_episode_history/';
export const EPISODE_FILE_PREFIX = 'spotify_episodes';

/** One episode play. Every key is always present; `null` where unknown. */
export interface EpisodeRecord
  extends
    PlayTime,
    PlayFields<'spotify_extended_streaming_history' | 'spotify_account_data' | 'spotify_player_state'> {
  episode_id: string | null;
  episode_name: string;
  show_name: string | null;
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
  ...PLAY_COLUMNS,
] as const satisfies ColumnsOf<EpisodeRecord>;

export const EPISODE_KEYS = keysOf(EPISODE_COLUMNS);
export const EPISODE_COLUMN_TYPES: Record<keyof EpisodeRecord, ColumnType> = columnTypes(EPISODE_COLUMNS);
