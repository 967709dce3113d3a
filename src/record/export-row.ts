/**
 * What a row of a privacy-data export is: the history formats, the keys the import reads of each, how long a
 * field may be, and why a row is not written. record/from-export.ts maps a row; this says what one looks like.
 */

/**
 * The row formats of the history files in a privacy-data export (import/export-file-kinds.ts says which file
 * holds which): Extended Streaming History (audio and video alike), and Account Data's music, podcast and
 * audiobook files.
 */
export type HistoryKind = 'extended' | 'account_data' | 'account_podcast' | 'account_audiobook';

/** Why an export row was not written; each is counted in the report. */
export type ImportSkipReason =
  'short_play' | 'incognito' | 'no_track_uri' | 'no_track_name' | 'unknown_track' | 'audiobook' | 'invalid';

export const SKIP_REASONS: readonly ImportSkipReason[] = [
  'short_play',
  'incognito',
  'no_track_uri',
  'no_track_name',
  'unknown_track',
  'audiobook',
  'invalid',
];

/** The Extended keys the import reads (each bounded by MAX_FIELD_LENGTH; the rest is never looked at). */
export const EXTENDED_FIELDS = [
  'ts',
  'username',
  'platform',
  'ms_played',
  'conn_country',
  'master_metadata_track_name',
  'master_metadata_album_artist_name',
  'master_metadata_album_album_name',
  'spotify_track_uri',
  'episode_name',
  'episode_show_name',
  'spotify_episode_uri',
  'audiobook_title',
  'audiobook_uri',
  'audiobook_chapter_uri',
  'reason_start',
  'reason_end',
  'shuffle',
  'skipped',
  'offline',
  'incognito_mode',
] as const;

/** The Account Data keys the import reads, per file (StreamingHistory_music_*, _podcast_*, _audiobook_*). */
export const ACCOUNT_FIELDS = ['endTime', 'msPlayed', 'trackName', 'artistName'] as const;
export const ACCOUNT_PODCAST_FIELDS = ['endTime', 'msPlayed', 'podcastName', 'episodeName'] as const;
export const ACCOUNT_AUDIOBOOK_FIELDS = ['endTime', 'msPlayed', 'audiobookName', 'chapterName'] as const;

/** The longest string a field the import reads may hold, in characters (UTF-16 code units, JS `length`). */
export const MAX_FIELD_LENGTH = 4096;

/** The first of `keys` whose value in `row` is a string longer than MAX_FIELD_LENGTH, or undefined. */
export function overlongField(row: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const v = row[key];
    if (typeof v === 'string' && v.length > MAX_FIELD_LENGTH) return key;
  }
  return undefined;
}

/** The `invalid` problem of a row with an overlong field (the same words from both paths). */
export function overlongProblem(key: string, length: number): string {
  return `"${key}" is ${length.toLocaleString('en-US')} characters long, more than the ${MAX_FIELD_LENGTH.toLocaleString('en-US')} a field may hold`;
}

export const isObject = (row: unknown): row is Record<string, unknown> =>
  row !== null && typeof row === 'object' && !Array.isArray(row);

/** Whether a parsed element looks like a row of this kind of history (to refuse JSON that is not one). */
export function looksLike(kind: HistoryKind, row: unknown): boolean {
  if (!isObject(row)) return false;
  switch (kind) {
    case 'extended':
      return 'ts' in row && 'ms_played' in row;
    case 'account_data':
      return 'endTime' in row && 'msPlayed' in row && ('trackName' in row || 'artistName' in row);
    case 'account_podcast':
      return 'endTime' in row && 'msPlayed' in row && ('episodeName' in row || 'podcastName' in row);
    case 'account_audiobook':
      return 'endTime' in row && 'msPlayed' in row && ('audiobookName' in row || 'chapterName' in row);
  }
}

/** The row format of a history file whose name says nothing, from its first row; null: not a history. */
export function kindOfRow(row: unknown): HistoryKind | null {
  const kinds: HistoryKind[] = ['extended', 'account_data', 'account_podcast', 'account_audiobook'];
  return kinds.find((k) => looksLike(k, row)) ?? null;
}
