import type { DataSource } from '../record/schema.js';
import { parseInstant } from '../record/time.js';
import { SOURCE_CODE } from './ledger.js';
import type { PlayKey } from './play-set.js';

/**
 * The ledger key of a lake record (a parsed line of an object): what the collector and the import key a play
 * by when they write it, read back from what they wrote. Tracks by track_id/track_name, podcast episodes by
 * episode_id/episode_name. Null for a line that is not a record of ours (no time, an unknown data_source).
 */
export function playKeyOfRecord(r: Record<string, unknown>): PlayKey | null {
  const t = parseInstant(r.played_at);
  const src = SOURCE_CODE[r.data_source as DataSource];
  if (t === null || !src) return null;
  const episode = 'episode_id' in r;
  const id = episode ? r.episode_id : r.track_id;
  const name = episode ? r.episode_name : r.track_name;
  return { t, id: typeof id === 'string' ? id : null, name: typeof name === 'string' ? name : '', src };
}
