import type { EpisodeRecord } from '../record/episode-schema.js';
import { NO_PLAY_CONTEXT, type ListeningRecord } from '../record/schema.js';
import { playTimeFromMs } from '../record/time.js';
import type { Track } from '../spotify/schemas.js';
import type { PlayKey } from '../commit/index.js';
import { recordFromApiPlay } from '../record/from-api.js';
import type { PlayerPlay } from './play-tracker.js';

export type PlayerRecord =
  | { kind: 'track'; record: ListeningRecord; key: PlayKey }
  | { kind: 'episode'; record: EpisodeRecord; key: PlayKey };

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * The lake record of a play the player saw. A track is mapped as recently-played's items are (the player's
 * `item` is the same TrackObject), then given what only the player knows: ms_played and skipped.
 */
export function recordOfPlayerPlay(play: PlayerPlay, userId: string, ingestedAt: string): PlayerRecord {
  const raw = (play.item.raw ?? {}) as Record<string, unknown>;
  const name = str(raw.name) ?? '';
  const key: PlayKey = { t: play.endMs, id: play.item.id, name, src: 'ply' };
  if (play.item.type === 'episode') {
    const show = raw.show as { name?: unknown } | null | undefined;
    return {
      kind: 'episode',
      key,
      record: {
        ...playTimeFromMs(play.endMs),
        episode_id: play.item.id,
        episode_name: name,
        show_name: str(show?.name),
        ms_played: play.msPlayed,
        ...NO_PLAY_CONTEXT,
        skipped: play.skipped,
        user_id: userId,
        data_source: 'spotify_player_state',
        ingested_at: ingestedAt,
      },
    };
  }
  const base = recordFromApiPlay(
    { track: raw as Track, played_at: new Date(play.endMs).toISOString(), context: play.item.context },
    play.endMs,
    userId,
    ingestedAt,
  );
  return {
    kind: 'track',
    key,
    record: { ...base, ms_played: play.msPlayed, skipped: play.skipped, data_source: 'spotify_player_state' },
  };
}
