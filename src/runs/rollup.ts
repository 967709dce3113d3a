import { ExitCode } from '../errors.js';
import { noPlays, PLAY_SOURCES, type PlaysBySource, type RunRecord } from './run-record.js';

/**
 * The run history folded into figures: all-time totals plus the runs of the last 31 days, for everything and
 * per account. rollup-store.ts keeps it on disk so `stats` only reads the lines appended since last time;
 * stats.ts turns it into what `stats` prints. Runs of `import` bring plays from the privacy export, every other
 * command collects from the Web API: the two are summed apart, since only API collections say how current the
 * lake is. A run that stopped on a configuration error (exit 2) never started a pipeline run: it is counted
 * apart and does not lower the success rate.
 */

/** A run's outcome as stats counts it. */
export type Outcome = 'ok' | 'failed' | 'auth_required' | 'config_error';
export const OUTCOMES: Outcome[] = ['ok', 'failed', 'auth_required', 'config_error'];
/** Which kind of run wrote plays; the index is what a RecentRun stores. */
export type Source = 'collected' | 'imported';
export const SOURCES: Source[] = ['collected', 'imported'];
const sourceOf = (command: string): Source => (command === 'import' ? 'imported' : 'collected');

/** All-time figures of one kind of run in one scope. */
export interface SourceTotals {
  runs: number;
  plays: number;
  files: number;
  bytes: number;
  last_ms: number | null;
  newest_ms: number | null;
}

/** All-time figures of one scope (everything, or one account). */
export interface ScopeTotals {
  ok: number;
  failed: number;
  auth_required: number;
  config_error: number;
  plays: number;
  files: number;
  bytes: number;
  plays_by_source: PlaysBySource;
  last_run: { at_ms: number; command: string; outcome: Outcome } | null;
  last_success_ms: number | null;
  last_error: { at_ms: number; command: string; message: string } | null;
  /** Newest play collected by the API. */
  newest_ms: number | null;
  collected: SourceTotals;
  imported: SourceTotals;
}

/** A recent run, compact: [finished at (ms), outcome index in OUTCOMES, plays, source index in SOURCES]. */
export type RecentRun = [number, number, number, number];

export interface ScopeRollup {
  totals: ScopeTotals;
  recent: RecentRun[];
}

/** Bumped whenever the rollup's shape changes: a stored rollup of another version is rebuilt. */
export const ROLLUP_VERSION = 3;

export interface HistoryRollup {
  v: typeof ROLLUP_VERSION;
  runs: number;
  all: ScopeRollup;
  accounts: Record<string, ScopeRollup>;
}

/** What one record adds to one scope. */
interface Contribution {
  atMs: number;
  command: string;
  outcome: Outcome;
  error?: string;
  plays: PlaysBySource;
  files: number;
  bytes: number;
  newest: string | null;
}

const DAY = 86_400_000;
/** Recent runs kept: the 30-day window plus a day of slack for time zones. */
export const RECENT_MS = 31 * DAY;

const emptySource = (): SourceTotals => ({
  runs: 0,
  plays: 0,
  files: 0,
  bytes: 0,
  last_ms: null,
  newest_ms: null,
});

export function emptyScope(): ScopeRollup {
  return {
    totals: {
      ok: 0,
      failed: 0,
      auth_required: 0,
      config_error: 0,
      plays: 0,
      files: 0,
      bytes: 0,
      plays_by_source: noPlays(),
      last_run: null,
      last_success_ms: null,
      last_error: null,
      newest_ms: null,
      collected: emptySource(),
      imported: emptySource(),
    },
    recent: [],
  };
}

export function emptyRollup(): HistoryRollup {
  return { v: ROLLUP_VERSION, runs: 0, all: emptyScope(), accounts: {} };
}

const later = (a: number | null, b: number) => (a === null || b > a ? b : a);
const total = (p: PlaysBySource) => PLAY_SOURCES.reduce((n, s) => n + p[s], 0);

function add(scope: ScopeRollup, c: Contribution): void {
  const t = scope.totals;
  const plays = total(c.plays);
  t[c.outcome]++;
  t.plays += plays;
  t.files += c.files;
  t.bytes += c.bytes;
  for (const s of PLAY_SOURCES) t.plays_by_source[s] += c.plays[s];
  if (!t.last_run || c.atMs >= t.last_run.at_ms) {
    t.last_run = { at_ms: c.atMs, command: c.command, outcome: c.outcome };
  }
  if (c.outcome === 'ok') t.last_success_ms = Math.max(t.last_success_ms ?? -Infinity, c.atMs);
  else if (c.error && (!t.last_error || c.atMs >= t.last_error.at_ms)) {
    t.last_error = { at_ms: c.atMs, command: c.command, message: c.error };
  }
  const source = sourceOf(c.command);
  scope.recent.push([c.atMs, OUTCOMES.indexOf(c.outcome), plays, SOURCES.indexOf(source)]);
  // A config error collected or imported nothing: not a run of either kind.
  if (c.outcome === 'config_error') return;
  const s = t[source];
  s.runs++;
  s.plays += plays;
  s.files += c.files;
  s.bytes += c.bytes;
  s.last_ms = later(s.last_ms, c.atMs);
  const newest = c.newest ? Date.parse(c.newest) : NaN;
  if (Number.isFinite(newest)) {
    s.newest_ms = later(s.newest_ms, newest);
    if (source === 'collected') t.newest_ms = later(t.newest_ms, newest);
  }
}

/** Folds one record into the rollup. */
export function foldRecord(rollup: HistoryRollup, r: RunRecord): void {
  const atMs = Date.parse(r.finished_at);
  if (!Number.isFinite(atMs)) return;
  rollup.runs++;
  const configError = r.exit_code === ExitCode.usage;
  const outcomeOf = (o: RunRecord['outcome']): Outcome => (configError ? 'config_error' : o);
  add(rollup.all, {
    atMs,
    command: r.command,
    outcome: outcomeOf(r.outcome),
    error: r.error,
    plays: r.plays_by_source,
    // The player's objects are not told apart by account (an object's key names no account): the whole only.
    files: r.files_written + (r.api?.player_files_written ?? 0),
    bytes: r.bytes_written + (r.api?.player_bytes_written ?? 0),
    newest: r.newest_played_at,
  });
  for (const a of r.accounts) {
    add((rollup.accounts[a.user_id] ??= emptyScope()), {
      atMs,
      command: r.command,
      outcome: outcomeOf(a.outcome),
      error: a.error,
      plays: a.plays_by_source,
      files: a.files_written,
      bytes: a.bytes_written,
      newest: a.newest_played_at,
    });
  }
}

/** Drops recent runs older than any window needs. */
export function pruneRollup(rollup: HistoryRollup, nowMs: number): void {
  const cutoff = nowMs - RECENT_MS;
  for (const scope of [rollup.all, ...Object.values(rollup.accounts)]) {
    if (scope.recent.some(([at]) => at < cutoff)) scope.recent = scope.recent.filter(([at]) => at >= cutoff);
  }
}
