import { spotifyUrl } from './spotify-links.js';

export interface ArtistCount {
  artist: string;
  plays: number;
  minutes: number;
  unique_tracks: number;
}
export interface TrackCount {
  track: string;
  artist: string;
  /** Spotify's id of the track; null for plays that carry none. */
  track_id: string | null;
  /** Opens the track in Spotify (https://open.spotify.com/track/<id>); null without an id. */
  url: string | null;
  plays: number;
  minutes: number;
}
/** An album is its artist and its name (an export names albums but gives no id). */
export interface AlbumCount {
  album: string;
  artist: string;
  album_id: string | null;
  url: string | null;
  plays: number;
  minutes: number;
  unique_tracks: number;
}
/**
 * How plays ended, from the export-only fields; each rate has its own denominator (the plays that carry its
 * field), given next to it, because API plays and older export vintages carry none of them.
 */
export interface ListeningRates {
  /** Plays with `skipped` = true over the plays whose `skipped` is not null, 0..1; null when none has it. */
  skip_rate: number | null;
  skipped: number;
  skip_known: number;
  /** Plays with `reason_end` = 'trackdone' (played to the end) over the plays whose `reason_end` is not null. */
  completion_rate: number | null;
  completed: number;
  completion_known: number;
  /** Mean of min(1, ms_played / track_duration_ms) over the plays that have both (duration above 0). */
  share_played: number | null;
  share_known: number;
}

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
