import type { ExitCodeValue } from '../errors.js';

/**
 * What one run did, in one vocabulary: the line appended to the run history, the input of the EMF line, of the
 * Prometheus counters and of `stats`. A collection (`run-once`, `backfill`, a `run-continuous` tick) and an
 * `import` both write one; what only one of them knows sits under `api` or `import`. A new counter is added
 * here, where the run is summed up (collect/run-collection.ts, import/import-report.ts), and where it is read.
 */
export type RunOutcome = 'ok' | 'failed' | 'auth_required';

/** Bumped when the record's shape changes; lines without it were written by earlier releases (run-history.ts). */
export const RUN_RECORD_VERSION = 2;

/** Where a play came from: recently-played, the player watcher (run-continuous), or a privacy export. */
export const PLAY_SOURCES = ['recently_played', 'player', 'import'] as const;
export type PlaySource = (typeof PLAY_SOURCES)[number];
/**
 * Every play the record put in the lake by source: its own new and recovered plays, and for a run-continuous
 * tick the plays the player wrote since the previous tick. Their sum is what the lake gained.
 */
export type PlaysBySource = Record<PlaySource, number>;

export interface AccountRecord {
  user_id: string;
  outcome: RunOutcome;
  error?: string;
  plays_fetched: number;
  /** New plays of the run's own source (recently-played, or the export). */
  plays_new: number;
  plays_already_present: number;
  /** Plays an interrupted run had queued, written by this one. */
  plays_recovered: number;
  plays_by_source: PlaysBySource;
  possible_gap: boolean;
  files_written: number;
  bytes_written: number;
  newest_played_at: string | null;
}

/** Collector-only figures. */
export interface ApiDetail {
  requests: number;
  retries: number;
  rate_limited: number;
  rate_limit_wait_ms: number;
  possible_gaps: number;
  /** run-continuous: reads of the player since the previous record, and the lake objects it wrote. */
  player_polls?: number;
  player_files_written?: number;
  player_bytes_written?: number;
}

/** Import-only figures. */
export interface ImportDetail {
  rows_read: number;
  rows_already_imported: number;
  episodes_new: number;
  episodes_already_present: number;
  /** The accounts of the export (a single one also heads `accounts`). */
  users: string[];
  first_played_at: string | null;
}

/** What every run reports in the same words: the collector's RunSummary is one of these, flat, plus its own. */
export interface RunTotals {
  run_id: string;
  command: string;
  outcome: RunOutcome;
  exit_code: ExitCodeValue;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  lake?: string;
  plays_fetched: number;
  plays_new: number;
  plays_already_present: number;
  plays_skipped: number;
  files_written: number;
  bytes_written: number;
}

export interface RunRecord extends RunTotals {
  v: typeof RUN_RECORD_VERSION;
  /** The first error, if any. */
  error?: string;
  plays_recovered: number;
  plays_by_source: PlaysBySource;
  /** The newest play this run brought (an import: the newest play of the export). */
  newest_played_at: string | null;
  accounts: AccountRecord[];
  api?: ApiDetail;
  import?: ImportDetail;
}

export const noPlays = (): PlaysBySource => ({ recently_played: 0, player: 0, import: 0 });

/** The record of a run that crashed before it could sum itself up (run-continuous keeps going after one). */
export function crashedRunRecord(
  runId: string,
  command: string,
  error: string,
  exitCode: ExitCodeValue,
  at: Date,
): RunRecord {
  return {
    v: RUN_RECORD_VERSION,
    run_id: runId,
    command,
    outcome: 'failed',
    exit_code: exitCode,
    error,
    started_at: at.toISOString(),
    finished_at: at.toISOString(),
    duration_ms: 0,
    plays_fetched: 0,
    plays_new: 0,
    plays_already_present: 0,
    plays_skipped: 0,
    plays_recovered: 0,
    plays_by_source: noPlays(),
    files_written: 0,
    bytes_written: 0,
    newest_played_at: null,
    accounts: [],
  };
}
