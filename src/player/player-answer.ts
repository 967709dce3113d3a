import type { Observation, PlayerItem } from './play-tracker.js';

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * One answer of `GET /me/player/currently-playing?additional_types=track,episode` as an observation.
 * Spotify's reference (https://developer.spotify.com/documentation/web-api/reference/get-the-users-currently-playing-track):
 * 204 when nothing plays; otherwise `{timestamp, progress_ms, is_playing, currently_playing_type, item, context,
 * actions, device?}`, with `currently_playing_type` one of track, episode, ad, unknown.
 * Everything that is not a keyable track or episode is "nothing": an ad, `unknown`, a null item, a private
 * session (Spotify keeps those plays out of the history; so do we), a local file (no Spotify id).
 */
export function observationOf(status: number, body: unknown, atMs: number): Observation {
  if (status === 204 || typeof body !== 'object' || body === null) return { atMs, kind: 'nothing' };
  const b = body as Record<string, unknown>;
  const type = b.currently_playing_type;
  const item = b.item as Record<string, unknown> | null | undefined;
  const device = b.device as { is_private_session?: unknown } | null | undefined;
  if ((type !== 'track' && type !== 'episode') || !item || typeof item !== 'object') {
    return { atMs, kind: 'nothing' };
  }
  if (device?.is_private_session === true || item.is_local === true) return { atMs, kind: 'nothing' };
  const id = str(item.id);
  if (!id) return { atMs, kind: 'nothing' };
  const context = b.context as { type?: unknown; uri?: unknown } | null | undefined;
  const duration = item.duration_ms;
  const progress = b.progress_ms;
  const playerItem: PlayerItem = {
    type: type === 'episode' || item.type === 'episode' ? 'episode' : 'track',
    id,
    durationMs: typeof duration === 'number' && duration > 0 ? duration : null,
    raw: item,
    context: context ? { type: str(context.type), uri: str(context.uri) } : null,
  };
  return {
    atMs,
    kind: 'item',
    item: playerItem,
    isPlaying: b.is_playing === true,
    progressMs: typeof progress === 'number' && progress >= 0 ? progress : 0,
  };
}
