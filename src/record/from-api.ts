import { bool, int, str } from './read-field.js';
import { NO_PLAY_CONTEXT, type ListeningRecord } from './schema.js';
import { playTimeFromMs } from './time.js';

/**
 * What the mapper reads of a recently-played item (src/spotify/schemas.ts's PlayHistoryItem checks the page):
 * stated here field by field, each possibly missing, so that the record's folder needs nothing of the client's.
 */
export interface ApiPlayItem {
  track?: {
    id?: unknown;
    name?: unknown;
    type?: unknown;
    uri?: unknown;
    duration_ms?: unknown;
    popularity?: unknown;
    explicit?: unknown;
    external_ids?: { isrc?: unknown } | null;
    artists?: readonly ({ id?: unknown; name?: unknown } | null | undefined)[] | null;
    album?: { id?: unknown; name?: unknown; album_type?: unknown; release_date?: unknown } | null;
  } | null;
  context?: { type?: unknown; uri?: unknown } | null;
  played_at?: unknown;
}

/**
 * Whether a recently-played item is a podcast episode: Spotify documents recently-played as tracks only,
 * but real pages do list episodes (`track.type: "episode"`, `track.uri: spotify:episode:<id>`). An episode is
 * not a track play: the collector skips it as `episode` (its id is an episode's, its artists are none), and
 * the export's episode rows carry the same plays to the episode dataset.
 */
export function isEpisodeItem(item: ApiPlayItem): boolean {
  const track = item.track;
  if (!track) return false;
  return (
    track.type === 'episode' || (typeof track.uri === 'string' && track.uri.startsWith('spotify:episode:'))
  );
}

/**
 * Maps one recently-played item to a record. Every field but the track id, name and time may be missing
 * (Development Mode drops popularity, some albums have no release date, local files have no album...),
 * so each is read defensively. The caller has already checked that `track.id` and `played_at` are usable.
 */
export function recordFromApiPlay(
  item: ApiPlayItem,
  playedAtMs: number,
  userId: string,
  ingestedAt: string,
): ListeningRecord {
  const track = item.track ?? {};
  const artists = Array.isArray(track.artists) ? track.artists : [];
  const artistNames = artists.map((a) => str(a?.name)).filter((n): n is string => n !== null);
  const primary = artists[0];
  const album = track.album ?? null;
  return {
    ...playTimeFromMs(playedAtMs),
    track_id: str(track.id),
    track_name: str(track.name) ?? '',
    track_duration_ms: int(track.duration_ms),
    track_popularity: int(track.popularity),
    track_explicit: bool(track.explicit),
    isrc: str(track.external_ids?.isrc),
    primary_artist_id: str(primary?.id),
    primary_artist_name: str(primary?.name),
    artist_names: artistNames,
    album_id: str(album?.id),
    album_name: str(album?.name),
    album_type: str(album?.album_type),
    album_release_date: str(album?.release_date),
    context_type: str(item.context?.type),
    context_uri: str(item.context?.uri),
    ms_played: null,
    ...NO_PLAY_CONTEXT,
    user_id: userId,
    data_source: 'spotify_recently_played_api',
    ingested_at: ingestedAt,
  };
}
