import type { Config } from '../config.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import type { Logger } from '../log.js';
import type { ObjectWrite } from '../commit/index.js';
import { finishRun } from '../runs/finish-run.js';
import { noPlays, RUN_RECORD_VERSION, type RunRecord } from '../runs/run-record.js';
import type { StateStore } from '../state/state-store.js';
import type { IgnoredFile } from './export-sources.js';
import type { HistoryKind, ImportSkipReason } from '../record/export-row.js';
import type { RowSlice } from './engine/index.js';
import type { EnrichStats } from './track-enricher.js';

const MAX_INVALID_EXAMPLES = 5;

export interface ImportedFile {
  file: string;
  kind: HistoryKind;
  /** What the file is (`Extended Streaming History, video`, `Account Data, podcasts`...). */
  what: string;
  /** Rows of the file committed to the lake, by this run or an earlier one (a failed file: as far as it got). */
  rows: number;
  /**
   * imported: read and committed now; resumed: the rows an interrupted import had not committed, read and
   * committed now; already_imported: skipped; failed: not committed to its end (its first `rows` are).
   */
  status: 'imported' | 'resumed' | 'already_imported' | 'failed';
}

/** The final report of an import: printed, `--json`, and (without the object list) in the run history. */
export interface ImportReport {
  run_id: string;
  command: 'import';
  outcome: 'ok' | 'failed' | 'auth_required';
  exit_code: ExitCodeValue;
  error?: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  lake: string;
  resumed: boolean;
  /** History files by package (Account Data: its music, podcast and audiobook files), and the rest. */
  files_found: { extended: number; account_data: number; ignored: number };
  /** Every history file found, with what was done with it. */
  files: ImportedFile[];
  /** Every other file of the export, with why it was not read. */
  ignored_files: IgnoredFile[];
  files_read: number;
  rows_read: number;
  rows_already_imported: number;
  rows_written: number;
  episodes_written: number;
  rows_skipped: number;
  skipped_by_reason: Partial<Record<ImportSkipReason, number>>;
  invalid_examples: { file: string; index: number; problem: string }[];
  /** Rows holding bytes that are not UTF-8: imported, with U+FFFD (�) in place of each bad sequence. */
  invalid_utf8_rows: number;
  /** The first of them, by file and row index. */
  invalid_utf8_examples: { file: string; index: number }[];
  plays_already_present: number;
  episodes_already_present: number;
  plays_recovered: number;
  date_range: { first: string; last: string } | null;
  users: string[];
  objects_written: number;
  bytes_written: number;
  objects: string[];
  enrich: EnrichStats | null;
}

export function newImportReport(runId: string, lake: string, started: Date): ImportReport {
  return {
    run_id: runId,
    command: 'import',
    outcome: 'ok',
    exit_code: ExitCode.ok,
    started_at: started.toISOString(),
    finished_at: '',
    duration_ms: 0,
    lake,
    resumed: false,
    files_found: { extended: 0, account_data: 0, ignored: 0 },
    files: [],
    ignored_files: [],
    files_read: 0,
    rows_read: 0,
    rows_already_imported: 0,
    rows_written: 0,
    episodes_written: 0,
    rows_skipped: 0,
    skipped_by_reason: {},
    invalid_examples: [],
    invalid_utf8_rows: 0,
    invalid_utf8_examples: [],
    plays_already_present: 0,
    episodes_already_present: 0,
    plays_recovered: 0,
    date_range: null,
    users: [],
    objects_written: 0,
    bytes_written: 0,
    objects: [],
    enrich: null,
  };
}

/** Counts what the parser thread read, skipped and found wrong in one slice of a file. */
export function countSlice(report: ImportReport, slice: RowSlice, file: string): void {
  report.rows_already_imported += slice.alreadyImported;
  report.rows_read += slice.read;
  for (const [reason, n] of Object.entries(slice.skipped) as [ImportSkipReason, number][]) {
    report.skipped_by_reason[reason] = (report.skipped_by_reason[reason] ?? 0) + n;
    report.rows_skipped += n;
  }
  for (const bad of slice.invalid) {
    if (report.invalid_examples.length >= MAX_INVALID_EXAMPLES) break;
    report.invalid_examples.push({ file, ...bad });
  }
  report.invalid_utf8_rows += slice.invalidUtf8Rows;
  for (const index of slice.invalidUtf8Examples) {
    if (report.invalid_utf8_examples.length >= MAX_INVALID_EXAMPLES) break;
    report.invalid_utf8_examples.push({ file, index });
  }
}

export function recordWrites(report: ImportReport, writes: ObjectWrite[]): void {
  for (const w of writes) {
    report.objects_written++;
    report.bytes_written += w.bytes;
    report.objects.push(w.key);
  }
}

/** Closes the report: its times, then its run record (history, metrics, the last log line). */
export async function publishImportReport(
  config: Config,
  state: StateStore | undefined,
  log: Logger,
  report: ImportReport,
  started: Date,
): Promise<void> {
  const finished = new Date();
  report.finished_at = finished.toISOString();
  report.duration_ms = finished.getTime() - started.getTime();
  await finishRun(config, state, log, importRecord(report));
}

/**
 * An import as a run record: its plays in the collector's words. Per-account figures only for an export of one
 * account: an import does not count its plays per account.
 */
export function importRecord(r: ImportReport): RunRecord {
  const plays = { ...noPlays(), import: r.rows_written + r.plays_recovered };
  const newest = r.date_range?.last ?? null;
  const record: RunRecord = {
    v: RUN_RECORD_VERSION,
    run_id: r.run_id,
    command: r.command,
    outcome: r.outcome,
    exit_code: r.exit_code,
    ...(r.error ? { error: r.error } : {}),
    started_at: r.started_at,
    finished_at: r.finished_at,
    duration_ms: r.duration_ms,
    lake: r.lake,
    plays_fetched: r.rows_read,
    plays_new: r.rows_written,
    plays_already_present: r.plays_already_present,
    plays_skipped: r.rows_skipped,
    plays_recovered: r.plays_recovered,
    plays_by_source: plays,
    files_written: r.objects_written,
    bytes_written: r.bytes_written,
    newest_played_at: newest,
    accounts: [],
    import: {
      rows_read: r.rows_read,
      rows_already_imported: r.rows_already_imported,
      episodes_new: r.episodes_written,
      episodes_already_present: r.episodes_already_present,
      users: r.users,
      first_played_at: r.date_range?.first ?? null,
    },
  };
  if (r.users.length === 1) {
    record.accounts.push({
      user_id: r.users[0]!,
      outcome: r.outcome,
      ...(r.error ? { error: r.error } : {}),
      plays_fetched: r.rows_read,
      plays_new: r.rows_written,
      plays_already_present: r.plays_already_present,
      plays_recovered: r.plays_recovered,
      plays_by_source: plays,
      possible_gap: false,
      files_written: r.objects_written,
      bytes_written: r.bytes_written,
      newest_played_at: newest,
    });
  }
  return record;
}
