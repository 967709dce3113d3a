import type { HistoryKind } from '../record/export-row.js';

/**
 * What each file of a privacy-data export is, from its name alone: the same answer for a zip entry, a file
 * in an extracted folder and a file named on the command line (docs/import.md, "What is read", has this
 * table for users). Names from Spotify's "Understanding my data" page and real exports:
 * https://support.spotify.com/us/article/understanding-my-data/
 */
export type FileClass =
  | { kind: HistoryKind; what: string }
  /**
   * Not read: listed in the report with why. `renamed`: a name the export does not use, so a file named on
   * the command line may be a renamed history file, recognised by its rows (export-sources.ts).
   */
  | { kind: null; why: string; renamed?: true };

const RULES: { test: RegExp; class: FileClass }[] = [
  {
    test: /^Streaming_History_Audio_.*\.json$/i,
    class: { kind: 'extended', what: 'Extended Streaming History, audio' },
  },
  // Mostly video podcasts: each row goes where its fields say, as an Audio file's rows do.
  {
    test: /^Streaming_History_Video_.*\.json$/i,
    class: { kind: 'extended', what: 'Extended Streaming History, video' },
  },
  // Extended Streaming History before 2023.
  { test: /^endsong_\d+\.json$/i, class: { kind: 'extended', what: 'Extended Streaming History (endsong)' } },
  {
    test: /^StreamingHistory_music_\d+\.json$/i,
    class: { kind: 'account_data', what: 'Account Data, music' },
  },
  {
    test: /^StreamingHistory_podcast_\d+\.json$/i,
    class: { kind: 'account_podcast', what: 'Account Data, podcasts' },
  },
  {
    test: /^StreamingHistory_audiobook_\d+\.json$/i,
    class: { kind: 'account_audiobook', what: 'Account Data, audiobooks' },
  },
  // Account Data before 2023 (StreamingHistory0.json): music and podcasts in one file, in the music
  // format (a podcast play names its show as the artist): read as music, as no field tells them apart.
  {
    test: /^StreamingHistory\d*\.json$/i,
    class: { kind: 'account_data', what: 'Account Data (before 2023)' },
  },
  {
    test: /^StreamingHistory_.*\.json$/i,
    class: { kind: null, why: 'a streaming history of a kind this import does not know' },
  },
  {
    test: /^Streaming_History_.*\.json$/i,
    class: { kind: null, why: 'a streaming history of a kind this import does not know' },
  },
  { test: /\.json$/i, class: { kind: null, why: 'not listening history', renamed: true } },
];

const OTHER: FileClass = { kind: null, why: 'not listening history (not a JSON file)', renamed: true };

/** What a file of the export is, from its name (folders in it are ignored). */
export function classifyExportFile(fileName: string): FileClass {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return RULES.find((r) => r.test.test(base))?.class ?? OTHER;
}

/** The row format of a history file from its name; null for the rest of the export. */
export function kindFromName(fileName: string): HistoryKind | null {
  return classifyExportFile(fileName).kind;
}
