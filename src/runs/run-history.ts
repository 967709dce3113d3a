import path from 'node:path';
import type { ExitCodeValue } from '../errors.js';
import { STATE_KEYS } from '../state/layout.js';
import { StateLog } from '../state/state-log.js';
import type { StateStore } from '../state/state-store.js';
import {
  noPlays,
  RUN_RECORD_VERSION,
  type AccountRecord,
  type PlaysBySource,
  type RunOutcome,
  type RunRecord,
} from './run-record.js';

/** The run history: one RunRecord per line in history/runs.jsonl of the state; `stats` reads it. */
export const RUN_HISTORY_KEY = STATE_KEYS.runHistory;

/** The history's file in a local state folder. */
export function runHistoryFile(stateDir: string): string {
  return path.join(stateDir, ...RUN_HISTORY_KEY.split('/'));
}

export function runHistoryLog(state: StateStore): StateLog {
  return new StateLog(state, RUN_HISTORY_KEY);
}

/** Appends one line; a single write of a short line with O_APPEND does not interleave. */
export async function appendRunHistory(state: StateStore, record: RunRecord): Promise<void> {
  await runHistoryLog(state).append(`${JSON.stringify(record)}\n`);
}

/** One line of the history as a record; undefined for a torn line (a crash mid-append) or one without a time. */
export function parseHistoryLine(line: string): RunRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const value = raw as Record<string, unknown>;
  return value.v === RUN_RECORD_VERSION ? (value as unknown as RunRecord) : fromReleasedLine(value);
}

/** Parses history lines, skipping torn ones. */
export function parseRunHistory(text: string): RunRecord[] {
  const out: RunRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const record = parseHistoryLine(line);
    if (record) out.push(record);
  }
  return out;
}

export async function readRunHistory(state: StateStore): Promise<RunRecord[]> {
  return parseRunHistory(await runHistoryLog(state).read());
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const outcomeOf = (v: unknown): RunOutcome => (v === 'ok' || v === 'auth_required' ? v : 'failed');

/**
 * A line written before the run record existed, as a record. Released lines came in three shapes: a
 * collection's summary (flat `api_requests`…), an import's report (`rows_*`, `users`, its newest play in
 * `date_range.last`, the collector's `plays_new` beside them), and older ones with `plays_written` and a
 * top-level `user_id`. Missing figures count as zero. This is the only reader of those shapes: everything
 * after it sees RunRecords.
 */
export function fromReleasedLine(e: Record<string, unknown>): RunRecord | undefined {
  const finished = str(e.finished_at) ?? str(e.started_at);
  if (!finished || !Number.isFinite(Date.parse(finished))) return undefined;
  const command = str(e.command) ?? 'unknown';
  const isImport = command === 'import';
  const sourceOf = (plays: number): PlaysBySource => ({
    ...noPlays(),
    [isImport ? 'import' : 'recently_played']: plays,
  });
  const playsNew = num(e.plays_new ?? e.plays_written ?? e.rows_written);
  const range = e.date_range as { first?: unknown; last?: unknown } | null | undefined;
  const users = Array.isArray(e.users) ? e.users.filter((u): u is string => typeof u === 'string') : [];
  const accounts: AccountRecord[] = [];
  if (Array.isArray(e.accounts)) {
    for (const a of e.accounts as Record<string, unknown>[]) {
      const id = str(a?.user_id);
      if (!id) continue;
      const aNew = num(a.plays_new ?? a.plays_written);
      accounts.push({
        user_id: id,
        outcome: outcomeOf(a.outcome),
        ...(str(a.error) ? { error: str(a.error) } : {}),
        plays_fetched: num(a.plays_fetched),
        plays_new: aNew,
        plays_already_present: num(a.plays_already_present),
        plays_recovered: num(a.plays_recovered),
        plays_by_source: sourceOf(aNew + num(a.plays_recovered)),
        possible_gap: a.possible_gap === true,
        files_written: num(a.files_written),
        bytes_written: num(a.bytes_written),
        newest_played_at: str(a.newest_played_at) ?? null,
      });
    }
  }
  const accountRecovered = accounts.reduce((n, a) => n + a.plays_recovered, 0);
  // A line of one account without `accounts[]` (an import of one user, an older collection) counts for it.
  const recovered = accounts.length ? accountRecovered : num(e.plays_recovered);
  const newest =
    [str(e.newest_played_at), str(range?.last), ...accounts.map((a) => a.newest_played_at ?? undefined)]
      .filter((t): t is string => t !== undefined)
      .sort()
      .at(-1) ?? null;
  const owner = str(e.user_id) ?? (users.length === 1 ? users[0] : undefined);
  const record: RunRecord = {
    v: RUN_RECORD_VERSION,
    run_id: str(e.run_id) ?? '',
    command,
    outcome: outcomeOf(e.outcome),
    exit_code: (typeof e.exit_code === 'number' ? e.exit_code : e.outcome === 'ok' ? 0 : 1) as ExitCodeValue,
    ...(str(e.error) ? { error: str(e.error) } : {}),
    started_at: str(e.started_at) ?? finished,
    finished_at: finished,
    duration_ms: num(e.duration_ms),
    ...(str(e.lake) ? { lake: str(e.lake) } : {}),
    plays_fetched: num(e.plays_fetched ?? e.rows_read),
    plays_new: playsNew,
    plays_already_present: num(e.plays_already_present),
    plays_skipped: num(e.plays_skipped ?? e.rows_skipped),
    plays_recovered: recovered,
    plays_by_source: sourceOf(playsNew + recovered),
    files_written: num(e.files_written ?? e.objects_written),
    bytes_written: num(e.bytes_written),
    newest_played_at: newest,
    accounts,
  };
  if (!accounts.length && owner) {
    record.accounts.push({
      user_id: owner,
      outcome: record.outcome,
      ...(record.error ? { error: record.error } : {}),
      plays_fetched: record.plays_fetched,
      plays_new: record.plays_new,
      plays_already_present: record.plays_already_present,
      plays_recovered: record.plays_recovered,
      plays_by_source: record.plays_by_source,
      possible_gap: false,
      files_written: record.files_written,
      bytes_written: record.bytes_written,
      newest_played_at: newest,
    });
  }
  return record;
}
