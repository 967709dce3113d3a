import type { AlbumCount, ArtistCount, ListeningRates, TrackCount } from './listening-stats.js';
import { spotifyUrl } from './spotify-links.js';

/** A DuckDB row's value as a number, and rounded to one decimal (minutes). */
export const int = (n: unknown) => Number(n ?? 0);
export const round1 = (n: unknown) => Math.round(Number(n ?? 0) * 10) / 10;

export function artistCount(r: Record<string, unknown>): ArtistCount {
  return {
    artist: String(r.artist),
    plays: int(r.plays),
    minutes: round1(r.minutes),
    unique_tracks: int(r.tracks),
  };
}

const ratio = (part: number, whole: number) =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;

export function listeningRates(r: Record<string, unknown> | undefined): ListeningRates {
  const skipKnown = int(r?.skip_known);
  const endKnown = int(r?.end_known);
  const shareKnown = int(r?.share_known);
  return {
    skip_rate: ratio(int(r?.skipped), skipKnown),
    skipped: int(r?.skipped),
    skip_known: skipKnown,
    completion_rate: ratio(int(r?.completed), endKnown),
    completed: int(r?.completed),
    completion_known: endKnown,
    share_played: shareKnown > 0 ? Math.round(Number(r?.share) * 10_000) / 10_000 : null,
    share_known: shareKnown,
  };
}

export function trackCount(r: Record<string, unknown>): TrackCount {
  return {
    track: String(r.track),
    artist: String(r.artist),
    track_id: (r.track_id as string | null) ?? null,
    url: spotifyUrl('track', r.track_id),
    plays: int(r.plays),
    minutes: round1(r.minutes),
  };
}

export function albumCount(r: Record<string, unknown>): AlbumCount {
  return {
    album: String(r.album),
    artist: String(r.artist),
    album_id: (r.album_id as string | null) ?? null,
    url: spotifyUrl('album', r.album_id),
    plays: int(r.plays),
    minutes: round1(r.minutes),
    unique_tracks: int(r.tracks),
  };
}
