import { Constant, type ByteWriter } from './byte-writer.js';
import { FieldType, stringAt, type FlatObjectScanner } from './flat-object-scanner.js';
import type { ImportSkipReason } from './map-rows.js';

/**
 * mapExtendedRow and mapAccountDataRow for rows read by the FlatObjectScanner: the same decisions, and the
 * same JSON line byte for byte (a test holds the two paths equal on every kind of row), written straight
 * into a ByteWriter from the export's own bytes. Strings are copied, quotes and all: the scanner takes only
 * the escapes JSON.stringify itself writes, so they are already what stringifying their value gives. A row whose values are not in the usual form (a timestamp with a fraction or
 * an offset, a negative or fractional ms_played, ...) is FlatResult.fallback: the caller maps it with the
 * object mappers, so no rule is written twice for the rare cases.
 */

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

const enum X {
  ts,
  username,
  platform,
  ms_played,
  conn_country,
  track_name,
  artist_name,
  album_name,
  track_uri,
  episode_name,
  episode_show_name,
  episode_uri,
  audiobook_title,
  audiobook_uri,
  audiobook_chapter_uri,
  reason_start,
  reason_end,
  shuffle,
  skipped,
  offline,
  incognito_mode,
}

export const ACCOUNT_FIELDS = ['endTime', 'msPlayed', 'trackName', 'artistName'] as const;

const enum A {
  endTime,
  msPlayed,
  trackName,
  artistName,
}

export const enum FlatKind {
  Track,
  Episode,
  Skip,
  /** Not in the usual form: map this row with the object mappers. */
  Fallback,
}

/** The outcome of mapping one row; one object, reused from row to row. */
export class FlatResult {
  kind = FlatKind.Skip;
  reason: ImportSkipReason = 'invalid';
  /** The row names no user: its line holds the placeholder (and a skipped row still needs one resolved). */
  needsUser = false;
  t = 0;
  id: string | null = null;
  name = '';
  userId: string | null = null;
}

export interface FlatMapOptions {
  minMsPlayed: number;
  /** JSON of ingested_at, as bytes. */
  ingestedAtJson: Constant;
  /** The JSON of the user placeholder ("user_id" of rows without a username), as bytes. */
  userPlaceholderJson: Constant;
}

const constant = (text: string) => new Constant(text);
const PLAYED_AT = constant('{"played_at":"');
const MILLIS_Z = constant('.000Z","played_at_timestamp":');
const SECONDS_MILLIS_Z = constant(':00.000Z","played_at_timestamp":');
const DATE = constant(',"played_at_date":"');
const HOUR = constant('","played_at_hour":');
const TRACK_ID = constant(',"track_id":"');
const TRACK_NAME_AFTER_ID = constant('","track_name":');
const TRACK_ID_NULL_NAME = constant(',"track_id":null,"track_name":');
const UNKNOWN_TRACK_FACTS = constant(
  ',"track_duration_ms":null,"track_popularity":null,"track_explicit":null,"isrc":null,"primary_artist_id":null,"primary_artist_name":',
);
const ARTIST_NAMES = constant(',"artist_names":');
const ALBUM_ID_NULL_ALBUM_NAME = constant(',"album_id":null,"album_name":');
const UNKNOWN_ALBUM_FACTS = constant(
  ',"album_type":null,"album_release_date":null,"context_type":null,"context_uri":null,"ms_played":',
);
const REASON_START = constant(',"reason_start":');
const REASON_END = constant(',"reason_end":');
const SHUFFLE = constant(',"shuffle":');
const SKIPPED = constant(',"skipped":');
const OFFLINE = constant(',"offline":');
const PLATFORM = constant(',"platform":');
const CONN_COUNTRY = constant(',"conn_country":');
const USER_ID = constant(',"user_id":');
const EXTENDED_SOURCE = constant(',"data_source":"spotify_extended_streaming_history","ingested_at":');
const ACCOUNT_SOURCE = constant(
  ',"album_id":null,"album_name":null,"album_type":null,"album_release_date":null,"context_type":null,"context_uri":null,"ms_played":',
);
const ACCOUNT_AFTER_MS = constant(
  ',"reason_start":null,"reason_end":null,"shuffle":null,"skipped":null,"offline":null,"platform":null,"conn_country":null,"user_id":',
);
const ACCOUNT_DATA_SOURCE = constant(',"data_source":"spotify_account_data","ingested_at":');
const EPISODE_ID = constant(',"episode_id":"');
const EPISODE_NAME_AFTER_ID = constant('","episode_name":');
const EPISODE_ID_NULL_NAME = constant(',"episode_id":null,"episode_name":');
const SHOW_NAME = constant(',"show_name":');
const MS_PLAYED = constant(',"ms_played":');
const NULL = constant('null');
const TRUE = constant('true');
const FALSE = constant('false');
const EMPTY_STRING = constant('""');
const EMPTY_ARRAY = constant('[]');
const END = constant('}\n');
const TRACK_URI_PREFIX = Buffer.from('spotify:track:', 'latin1');
const EPISODE_URI_PREFIX = Buffer.from('spotify:episode:', 'latin1');

/** looksLike() for a scanned row: it has the two keys every row of its kind has. */
export function looksLikeFlat(s: FlatObjectScanner, extended: boolean): boolean {
  return extended
    ? s.types[X.ts] !== FieldType.Absent && s.types[X.ms_played] !== FieldType.Absent
    : s.types[A.endTime] !== FieldType.Absent && s.types[A.msPlayed] !== FieldType.Absent;
}

/** The play's length as msOf() reads it when that is an ordinary integer; -1 sends the row to the mappers. */
function msPlayedOf(s: FlatObjectScanner, f: number): number {
  return s.types[f] === FieldType.Integer && s.ints[f]! >= 0 ? s.ints[f]! : -1;
}

/** str(): a string that is not blank. */
function isStr(s: FlatObjectScanner, f: number): boolean {
  return s.types[f] === FieldType.String && s.nonBlank[f] === 1;
}

/** A string value (str()) with its quotes, or null. */
function writeStr(w: ByteWriter, s: FlatObjectScanner, buf: Uint8Array, f: number): void {
  if (isStr(s, f)) w.span(buf, s.starts[f]! - 1, s.ends[f]! + 1);
  else w.constant(NULL);
}

/** A string field's value, decoded where it holds escapes. */
function valueOf(s: FlatObjectScanner, buf: Buffer, f: number): string {
  return s.escaped[f] === 1
    ? stringAt(buf, s.starts[f]!, s.ends[f]!)
    : buf.toString('utf8', s.starts[f], s.ends[f]);
}

/** bool(): true/false, 1/0 (older exports), else null. */
function writeBool(w: ByteWriter, s: FlatObjectScanner, f: number): void {
  const type = s.types[f];
  if (type === FieldType.True || (type === FieldType.Integer && s.ints[f] === 1)) w.constant(TRUE);
  else if (type === FieldType.False || (type === FieldType.Integer && s.ints[f] === 0)) w.constant(FALSE);
  else w.constant(NULL);
}

const isAlnum = (b: number) =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

/** The 22-character id of a `prefix<id>` URI in field f, or null (what the URI regexes of map-rows do). */
function uriId(s: FlatObjectScanner, buf: Buffer, f: number, prefix: Uint8Array): string | null {
  const start = s.starts[f]!;
  const end = s.ends[f]!;
  if (end - start !== prefix.length + 22) return null;
  for (let j = 0; j < prefix.length; j++) if (buf[start + j] !== prefix[j]) return null;
  for (let j = start + prefix.length; j < end; j++) if (!isAlnum(buf[j]!)) return null;
  return buf.toString('latin1', start + prefix.length, end);
}

function digits(buf: Uint8Array, at: number, count: number): number {
  let v = 0;
  for (let j = at; j < at + count; j++) {
    const d = buf[j]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function daysIn(year: number, month: number): number {
  return month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : month === 4 || month === 6 || month === 9 || month === 11
      ? 30
      : 31;
}

/**
 * Epoch ms of `YYYY-MM-DD?HH:MM` at buf[at] (with `sep` between date and time, and `:SS` when
 * withSeconds), or -1 unless every part is in its ordinary range (from 1970): the form Date.parse and the Account Data
 * check read the same way; anything else goes to the object mappers.
 */
function instant(buf: Uint8Array, at: number, sep: number, withSeconds: boolean): number {
  if (buf[at + 4] !== 0x2d || buf[at + 7] !== 0x2d || buf[at + 10] !== sep || buf[at + 13] !== 0x3a)
    return -1;
  const year = digits(buf, at, 4);
  const month = digits(buf, at + 5, 2);
  const day = digits(buf, at + 8, 2);
  const hour = digits(buf, at + 11, 2);
  const minute = digits(buf, at + 14, 2);
  let second = 0;
  if (withSeconds) {
    if (buf[at + 16] !== 0x3a) return -1;
    second = digits(buf, at + 17, 2);
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return -1;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return -1;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The time fields of a record, from the instant's own digits at buf[at] (UTC, so they are its ISO form). */
function writeTime(w: ByteWriter, buf: Uint8Array, at: number, t: number, withSeconds: boolean): void {
  w.constant(PLAYED_AT);
  w.span(buf, at, at + 10);
  w.byte(0x54); // T
  w.span(buf, at + 11, withSeconds ? at + 19 : at + 16);
  w.constant(withSeconds ? MILLIS_Z : SECONDS_MILLIS_Z);
  w.uint(Math.floor(t / 1000));
  w.constant(DATE);
  w.span(buf, at, at + 10);
  w.constant(HOUR);
  w.uint((buf[at + 11]! - 0x30) * 10 + (buf[at + 12]! - 0x30));
}

/** Maps the Extended Streaming History row the scanner just read (buf is its chunk); see mapExtendedRow. */
export function mapExtendedFlat(
  s: FlatObjectScanner,
  buf: Buffer,
  options: FlatMapOptions,
  w: ByteWriter,
  out: FlatResult,
): void {
  out.needsUser = false;
  out.kind = FlatKind.Fallback;
  if (s.types[X.ts] !== FieldType.String || s.ends[X.ts]! - s.starts[X.ts]! !== 20) return;
  const at = s.starts[X.ts]!;
  if (buf[at + 19] !== 0x5a) return; // Z
  const t = instant(buf, at, 0x54, true);
  const msPlayed = msPlayedOf(s, X.ms_played);
  if (t < 0 || msPlayed < 0) return;

  out.kind = FlatKind.Skip;
  if (s.types[X.incognito_mode] === FieldType.True) return void (out.reason = 'incognito');
  if (isStr(s, X.audiobook_uri) || isStr(s, X.audiobook_title) || isStr(s, X.audiobook_chapter_uri))
    return void (out.reason = 'audiobook');
  if (msPlayed < options.minMsPlayed) return void (out.reason = 'short_play');

  const named = isStr(s, X.username);
  out.needsUser = !named;
  out.userId = named ? valueOf(s, buf, X.username) : null;
  out.t = t;
  const trackUri = isStr(s, X.track_uri);
  if (!trackUri && (isStr(s, X.episode_uri) || isStr(s, X.episode_name))) {
    const episodeId = isStr(s, X.episode_uri) ? uriId(s, buf, X.episode_uri, EPISODE_URI_PREFIX) : null;
    writeTime(w, buf, at, t, true);
    if (episodeId !== null) {
      w.constant(EPISODE_ID);
      w.span(buf, s.ends[X.episode_uri]! - 22, s.ends[X.episode_uri]!);
      w.constant(EPISODE_NAME_AFTER_ID);
    } else w.constant(EPISODE_ID_NULL_NAME);
    if (isStr(s, X.episode_name)) {
      writeStr(w, s, buf, X.episode_name);
      out.name = valueOf(s, buf, X.episode_name);
    } else {
      w.constant(EMPTY_STRING);
      out.name = '';
    }
    w.constant(SHOW_NAME);
    writeStr(w, s, buf, X.episode_show_name);
    w.constant(MS_PLAYED);
    w.uint(msPlayed);
    writeTail(w, s, buf, options);
    out.kind = FlatKind.Episode;
    out.id = episodeId;
    return;
  }
  const trackId = trackUri ? uriId(s, buf, X.track_uri, TRACK_URI_PREFIX) : null;
  if (trackId === null) return void (out.reason = 'no_track_uri');
  if (!isStr(s, X.track_name)) return void (out.reason = 'no_track_name');
  writeTime(w, buf, at, t, true);
  w.constant(TRACK_ID);
  w.span(buf, s.ends[X.track_uri]! - 22, s.ends[X.track_uri]!); // the id, as uriId read it
  w.constant(TRACK_NAME_AFTER_ID);
  writeNameAndArtist(w, s, buf, X.track_name, X.artist_name);
  w.constant(ALBUM_ID_NULL_ALBUM_NAME);
  writeStr(w, s, buf, X.album_name);
  w.constant(UNKNOWN_ALBUM_FACTS);
  w.uint(msPlayed);
  writeTail(w, s, buf, options);
  out.kind = FlatKind.Track;
  out.id = trackId;
  out.name = valueOf(s, buf, X.track_name);
}

/** From track_name's value to artist_names: the same for both kinds of history. */
function writeNameAndArtist(w: ByteWriter, s: FlatObjectScanner, buf: Buffer, name: number, artist: number) {
  writeStr(w, s, buf, name);
  w.constant(UNKNOWN_TRACK_FACTS);
  writeStr(w, s, buf, artist);
  w.constant(ARTIST_NAMES);
  if (isStr(s, artist)) {
    w.byte(0x5b); // [
    writeStr(w, s, buf, artist);
    w.byte(0x5d); // ]
  } else w.constant(EMPTY_ARRAY);
}

/** From reason_start to the end of the line: the same for tracks and episodes. */
function writeTail(w: ByteWriter, s: FlatObjectScanner, buf: Buffer, options: FlatMapOptions): void {
  w.constant(REASON_START);
  writeStr(w, s, buf, X.reason_start);
  w.constant(REASON_END);
  writeStr(w, s, buf, X.reason_end);
  w.constant(SHUFFLE);
  writeBool(w, s, X.shuffle);
  w.constant(SKIPPED);
  writeBool(w, s, X.skipped);
  w.constant(OFFLINE);
  writeBool(w, s, X.offline);
  w.constant(PLATFORM);
  writeStr(w, s, buf, X.platform);
  w.constant(CONN_COUNTRY);
  writeStr(w, s, buf, X.conn_country);
  w.constant(USER_ID);
  if (isStr(s, X.username)) writeStr(w, s, buf, X.username);
  else w.constant(options.userPlaceholderJson);
  w.constant(EXTENDED_SOURCE);
  w.constant(options.ingestedAtJson);
  w.constant(END);
}

/** Maps the Account Data row the scanner just read; see mapAccountDataRow. Its user is always the fallback. */
export function mapAccountFlat(
  s: FlatObjectScanner,
  buf: Buffer,
  options: FlatMapOptions,
  w: ByteWriter,
  out: FlatResult,
): void {
  out.needsUser = false;
  out.kind = FlatKind.Fallback;
  if (s.types[A.endTime] !== FieldType.String || s.ends[A.endTime]! - s.starts[A.endTime]! !== 16) return;
  const at = s.starts[A.endTime]!;
  const t = instant(buf, at, 0x20, false);
  const msPlayed = msPlayedOf(s, A.msPlayed);
  if (t < 0 || msPlayed < 0) return;
  out.kind = FlatKind.Skip;
  if (msPlayed < options.minMsPlayed) return void (out.reason = 'short_play');
  if (!isStr(s, A.trackName)) return void (out.reason = 'no_track_name');
  out.needsUser = true;
  out.userId = null;
  out.t = t;
  writeTime(w, buf, at, t, false);
  w.constant(TRACK_ID_NULL_NAME);
  writeNameAndArtist(w, s, buf, A.trackName, A.artistName);
  w.constant(ACCOUNT_SOURCE);
  w.uint(msPlayed);
  w.constant(ACCOUNT_AFTER_MS);
  w.constant(options.userPlaceholderJson);
  w.constant(ACCOUNT_DATA_SOURCE);
  w.constant(options.ingestedAtJson);
  w.constant(END);
  out.kind = FlatKind.Track;
  out.id = null;
  out.name = valueOf(s, buf, A.trackName);
}
