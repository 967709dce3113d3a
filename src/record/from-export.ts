import type { EpisodeRecord } from './episode-schema.js';
import {
  ACCOUNT_AUDIOBOOK_FIELDS,
  ACCOUNT_FIELDS,
  ACCOUNT_PODCAST_FIELDS,
  EXTENDED_FIELDS,
  isObject,
  overlongField,
  overlongProblem,
  type HistoryKind,
  type ImportSkipReason,
} from './export-row.js';
import { boolOrBit as bool, msOf, nonBlank as str } from './read-field.js';
import type { ListeningRecord } from './schema.js';
import { parseInstant, playTimeFromMs } from './time.js';

/**
 * The one place that knows how an export row becomes a record: which export field becomes which record key,
 * what is skipped and why, how timestamps and ids are normalised. Every row of every file goes through
 * mapExportRow, in the import's parser thread, which then renders the record's line (record/record-line.ts).
 */

/** What identifies the play (the ledger's PlayKey, src/commit/play-set.ts): time, id, name and source. */
export interface ExportPlayKey {
  t: number;
  id: string | null;
  name: string;
  src: 'ext' | 'acct';
}

export interface MapOptions {
  minMsPlayed: number;
  /**
   * user_id for a kept row that names no user; resolved by the caller (it may need to ask for --user).
   * `emptyName`: the row has a `username` key with no name in it, so the file's other rows may name its user.
   */
  fallbackUser: (emptyName: boolean) => string;
  ingestedAt: string;
}

export type MappedRow =
  | { kind: 'track'; userId: string; record: ListeningRecord; key: ExportPlayKey }
  | { kind: 'episode'; userId: string; record: EpisodeRecord; key: ExportPlayKey }
  | { kind: 'skip'; reason: ImportSkipReason; problem?: string };

/**
 * How Account Data names a play it cannot name: the Extended history lists the same plays with neither a
 * track name nor a URI, and skips them as `unknown_track`; so does Account Data.
 */
const UNKNOWN_TRACK = 'Unknown Track';
const UNKNOWN_ARTIST = 'Unknown Artist';

/** Maps one row (a parsed array element) of a history file of this kind. */
export function mapExportRow(kind: HistoryKind, row: unknown, options: MapOptions): MappedRow {
  switch (kind) {
    case 'extended':
      return mapExtendedRow(row, options);
    case 'account_data':
      return mapAccountDataRow(row, options);
    case 'account_podcast':
      return mapAccountPodcastRow(row, options);
    case 'account_audiobook':
      return mapAccountAudiobookRow(row, options);
  }
}

const TRACK_URI = /^spotify:track:([0-9A-Za-z]{22})$/;
const EPISODE_URI = /^spotify:episode:([0-9A-Za-z]{22})$/;

const invalid = (problem: string): MappedRow => ({ kind: 'skip', reason: 'invalid', problem });

/** Why a play length msOf() refused is invalid: a negative one is named as such (it is a number). */
const msProblem = (key: string, v: unknown): MappedRow =>
  invalid(
    typeof v === 'number' && v < 0 ? `"${key}" is negative (${v})` : `"${key}" is missing or not a number`,
  );

/** A row with a field longer than MAX_FIELD_LENGTH, as an invalid row; undefined when there is none. */
function overlong(r: Record<string, unknown>, keys: readonly string[]): MappedRow | undefined {
  const key = overlongField(r, keys);
  return key === undefined ? undefined : invalid(overlongProblem(key, (r[key] as string).length));
}
const skip = (reason: ImportSkipReason): MappedRow => ({ kind: 'skip', reason });

/**
 * Maps one Extended Streaming History row. `ip_addr*`, `user_agent*`, `offline_timestamp` and the audiobook
 * keys are read only to classify the row: none of them is ever copied into a record.
 */
export function mapExtendedRow(row: unknown, options: MapOptions): MappedRow {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return invalid('not a JSON object');
  const r = row as Record<string, unknown>;
  const long = overlong(r, EXTENDED_FIELDS);
  if (long) return long;
  const t = parseInstant(r.ts);
  if (t === null) return invalid(`"ts" is not a UTC timestamp (${JSON.stringify(r.ts)?.slice(0, 40)})`);
  const msPlayed = msOf(r.ms_played);
  if (msPlayed === null) return msProblem('ms_played', r.ms_played);
  if (r.incognito_mode === true) return skip('incognito');
  if (str(r.audiobook_uri) || str(r.audiobook_title) || str(r.audiobook_chapter_uri))
    return skip('audiobook');
  if (msPlayed < options.minMsPlayed) return skip('short_play');

  const trackUri = str(r.spotify_track_uri);
  const episodeUri = str(r.spotify_episode_uri);
  const episodeName = str(r.episode_name);
  // Records are built as flat literals (no spreads): one hidden class for every row keeps this hot path fast.
  if (!trackUri && (episodeUri || episodeName)) {
    const userId = str(r.username) ?? options.fallbackUser('username' in r);
    const time = playTimeFromMs(t);
    const episodeId = episodeUri ? (EPISODE_URI.exec(episodeUri)?.[1] ?? null) : null;
    const name = episodeName ?? '';
    const record: EpisodeRecord = {
      played_at: time.played_at,
      played_at_timestamp: time.played_at_timestamp,
      played_at_date: time.played_at_date,
      played_at_hour: time.played_at_hour,
      episode_id: episodeId,
      episode_name: name,
      show_name: str(r.episode_show_name),
      ms_played: msPlayed,
      reason_start: str(r.reason_start),
      reason_end: str(r.reason_end),
      shuffle: bool(r.shuffle),
      skipped: bool(r.skipped),
      offline: bool(r.offline),
      platform: str(r.platform),
      conn_country: str(r.conn_country),
      user_id: userId,
      data_source: 'spotify_extended_streaming_history',
      ingested_at: options.ingestedAt,
    };
    return { kind: 'episode', userId, record, key: { t, id: episodeId, name, src: 'ext' } };
  }
  const trackName = str(r.master_metadata_track_name);
  // A play Spotify names nothing of (Account Data shows it as "Unknown Track" by "Unknown Artist").
  if (!trackUri && !trackName) return skip('unknown_track');
  const trackId = trackUri ? (TRACK_URI.exec(trackUri)?.[1] ?? null) : null;
  if (!trackId) return skip('no_track_uri'); // local files, unavailable tracks
  if (!trackName) return skip('no_track_name');
  const artist = str(r.master_metadata_album_artist_name);
  // Asked only for a row that is kept: a skipped row needs no owner.
  const userId = str(r.username) ?? options.fallbackUser('username' in r);
  const time = playTimeFromMs(t);
  const record: ListeningRecord = {
    played_at: time.played_at,
    played_at_timestamp: time.played_at_timestamp,
    played_at_date: time.played_at_date,
    played_at_hour: time.played_at_hour,
    track_id: trackId,
    track_name: trackName,
    track_duration_ms: null,
    track_popularity: null,
    track_explicit: null,
    isrc: null,
    primary_artist_id: null,
    primary_artist_name: artist,
    artist_names: artist ? [artist] : [],
    album_id: null,
    album_name: str(r.master_metadata_album_album_name),
    album_type: null,
    album_release_date: null,
    context_type: null,
    context_uri: null,
    ms_played: msPlayed,
    reason_start: str(r.reason_start),
    reason_end: str(r.reason_end),
    shuffle: bool(r.shuffle),
    skipped: bool(r.skipped),
    offline: bool(r.offline),
    platform: str(r.platform),
    conn_country: str(r.conn_country),
    user_id: userId,
    data_source: 'spotify_extended_streaming_history',
    ingested_at: options.ingestedAt,
  };
  return { kind: 'track', userId, record, key: { t, id: trackId, name: trackName, src: 'ext' } };
}

/** `2024-08-02 22:44` (UTC, minutes), as Account Data gives it. */
const END_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/;

/**
 * What every Account Data row shares (`endTime`, `msPlayed`, fields bounded by MAX_FIELD_LENGTH): the play's
 * end in epoch ms and its length, or why the row is skipped.
 */
function accountPlay(
  r: Record<string, unknown>,
  fields: readonly string[],
  options: MapOptions,
): { t: number; msPlayed: number } | MappedRow {
  const long = overlong(r, fields);
  if (long) return long;
  const m = typeof r.endTime === 'string' ? END_TIME.exec(r.endTime.trim()) : null;
  const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) : NaN;
  if (
    !m ||
    !Number.isFinite(t) ||
    new Date(t).toISOString().slice(0, 16) !== `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}`
  ) {
    return invalid(`"endTime" is not "YYYY-MM-DD HH:MM" (${JSON.stringify(r.endTime)?.slice(0, 40)})`);
  }
  const msPlayed = msOf(r.msPlayed);
  if (msPlayed === null) return msProblem('msPlayed', r.msPlayed);
  if (msPlayed < options.minMsPlayed) return skip('short_play');
  return { t, msPlayed };
}

/**
 * Maps one Account Data music row (`StreamingHistory_music_*.json`): no ids, minute precision. Its record is a
 * flat literal, as the Extended history's are (a spread of shared fields made an import of such rows 1.3×
 * slower: docs/import.md, "The engine apart from the rules").
 */
export function mapAccountDataRow(row: unknown, options: MapOptions): MappedRow {
  if (!isObject(row)) return invalid('not a JSON object');
  const play = accountPlay(row, ACCOUNT_FIELDS, options);
  if ('kind' in play) return play;
  const { t, msPlayed } = play;
  const trackName = str(row.trackName);
  const artist = str(row.artistName);
  if (trackName === UNKNOWN_TRACK && artist === UNKNOWN_ARTIST) return skip('unknown_track');
  if (!trackName) return skip('no_track_name');
  const userId = options.fallbackUser(false);
  const time = playTimeFromMs(t);
  const record: ListeningRecord = {
    played_at: time.played_at,
    played_at_timestamp: time.played_at_timestamp,
    played_at_date: time.played_at_date,
    played_at_hour: time.played_at_hour,
    track_id: null,
    track_name: trackName,
    track_duration_ms: null,
    track_popularity: null,
    track_explicit: null,
    isrc: null,
    primary_artist_id: null,
    primary_artist_name: artist,
    artist_names: artist ? [artist] : [],
    album_id: null,
    album_name: null,
    album_type: null,
    album_release_date: null,
    context_type: null,
    context_uri: null,
    ms_played: msPlayed,
    reason_start: null,
    reason_end: null,
    shuffle: null,
    skipped: null,
    offline: null,
    platform: null,
    conn_country: null,
    user_id: userId,
    data_source: 'spotify_account_data',
    ingested_at: options.ingestedAt,
  };
  return { kind: 'track', userId, record, key: { t, id: null, name: trackName, src: 'acct' } };
}

/**
 * Maps one Account Data podcast row (`StreamingHistory_podcast_*.json`: `podcastName`, `episodeName`) to
 * the episode dataset, as the Extended history's episode rows are: no ids, minute precision.
 */
export function mapAccountPodcastRow(row: unknown, options: MapOptions): MappedRow {
  if (!isObject(row)) return invalid('not a JSON object');
  const play = accountPlay(row, ACCOUNT_PODCAST_FIELDS, options);
  if ('kind' in play) return play;
  const { t, msPlayed } = play;
  const episodeName = str(row.episodeName);
  if (!episodeName) return skip('no_track_name');
  const userId = options.fallbackUser(false);
  const time = playTimeFromMs(t);
  const record: EpisodeRecord = {
    played_at: time.played_at,
    played_at_timestamp: time.played_at_timestamp,
    played_at_date: time.played_at_date,
    played_at_hour: time.played_at_hour,
    episode_id: null,
    episode_name: episodeName,
    show_name: str(row.podcastName),
    ms_played: msPlayed,
    reason_start: null,
    reason_end: null,
    shuffle: null,
    skipped: null,
    offline: null,
    platform: null,
    conn_country: null,
    user_id: userId,
    data_source: 'spotify_account_data',
    ingested_at: options.ingestedAt,
  };
  return { kind: 'episode', userId, record, key: { t, id: null, name: episodeName, src: 'acct' } };
}

/**
 * An Account Data audiobook row (`StreamingHistory_audiobook_*.json`: `audiobookName`, `chapterName`,
 * `authorName`): checked like every row, then skipped as `audiobook`, as the Extended history's audiobook
 * rows are. The lake has no audiobook dataset: a chapter is neither a track nor a podcast episode.
 */
export function mapAccountAudiobookRow(row: unknown, options: MapOptions): MappedRow {
  if (!isObject(row)) return invalid('not a JSON object');
  // Counted as audiobook whatever its length, as the Extended history's audiobook rows are.
  const play = accountPlay(row, ACCOUNT_AUDIOBOOK_FIELDS, { ...options, minMsPlayed: 0 });
  return 'kind' in play ? play : skip('audiobook');
}
