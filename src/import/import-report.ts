import type { Config } from '../config.js';
import { ExitCode, errorMessage, type ExitCodeValue } from '../errors.js';
import type { Logger } from '../log.js';
import { emitRunMetrics } from '../metrics/emf.js';
import type { ObjectWrite } from '../commit/index.js';
import { openStateStore } from '../state/open-state-store.js';
import { appendRunHistory } from '../state/run-history.js';
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

/** Closes the report: its times, the run history (what `stats` reads), the metrics and the last log line. */
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
  try {
    const { objects: _objects, ignored_files: _ignored, files: _files, ...summary } = report;
    await appendRunHistory(state ?? (await openStateStore(config)), {
      ...summary,
      // The collector's names, so `stats` reads imports and collections alike.
      plays_fetched: report.rows_read,
      plays_new: report.rows_written,
      plays_skipped: report.rows_skipped,
      files_written: report.objects_written,
      error: report.error,
    });
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'could not append to the run history');
  }
  emitRunMetrics(config, report);
  log.info(
    {
      outcome: report.outcome,
      durationMs: report.duration_ms,
      rowsRead: report.rows_read,
      written: report.rows_written,
      episodes: report.episodes_written,
      alreadyPresent: report.plays_already_present,
      objects: report.objects_written,
    },
    'import finished',
  );
}
