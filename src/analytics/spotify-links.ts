/**
 * Links that open an item in Spotify (the web player, or the app where it is installed):
 * `https://open.spotify.com/<kind>/<id>`, the form Spotify's own "Share → Copy link" gives. A link is made only
 * from a Spotify id (22 base-62 characters, https://developer.spotify.com/documentation/web-api/concepts/spotify-uris-ids):
 * plays without one (local files, rows of an export that named no track) get none.
 */
export type SpotifyKind = 'track' | 'album' | 'artist' | 'episode' | 'show';

const SPOTIFY_ID = /^[0-9A-Za-z]{22}$/;

export function spotifyUrl(kind: SpotifyKind, id: unknown): string | null {
  return typeof id === 'string' && SPOTIFY_ID.test(id) ? `https://open.spotify.com/${kind}/${id}` : null;
}
