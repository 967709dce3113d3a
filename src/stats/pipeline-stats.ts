import type { RunHistoryEntry } from '../state/run-history.js';

/**
 * Pipeline figures from the run history alone (STATE_DIR/history/runs.jsonl): every collection and
 * import appends one line with its counts, so summing the lines answers without listing or reading
 * a single lake object. Fields read from each line (missing ones count as zero):
 *   command, finished_at (or started_at), outcome, error,
 *   plays_new (or plays_written), files_written, bytes_written, newest_played_at,
 *   accounts[]: user_id, outcome, error, plays_new (or plays_written), plays_recovered, files_written,
 *   bytes_written, newest_played_at.
 * A line without `accounts` but with a top-level `user_id` counts for that account.
 *
 * The lines fold into a rollup (all-time totals plus the runs of the last 31 days), which
 * history-rollup-store.ts keeps on disk so `stats` only reads the lines appended since last time.
 */

export interface RunCounts {
  ok: number;
  failed: number;
  auth_required: number;
  total: number;
  /** ok / total, 0..1; null without runs. */
  success_rate: number | null;
}

export interface ScopeStats {
  runs: { last_24h: RunCounts; last_7d: RunCounts; last_30d: RunCounts; all_time: RunCounts };
  /** Plays collected per day (the day the run finished, in the time zone), oldest first, zero days included. */
  plays_per_day: { date: string; plays: number }[];
  last_run: { at: string; command: string; outcome: string } | null;
  last_success_at: string | null;
  last_error: { at: string; command: string; message: string } | null;
  newest_played_at: string | null;
  /** Seconds from the newest played_at to now. */
  freshness_seconds: number | null;
  lake: { plays: number; files: number; bytes: number };
}

export interface AccountStats extends ScopeStats {
  user_id: string;
}

export interface PipelineStats extends ScopeStats {
  generated_at: string;
  time_zone: string;
  history_runs: number;
  /** The account asked for with --account, or null for all. */
  account: string | null;
  accounts: AccountStats[];
}

export interface StatsOptions {
  now?: Date;
  timeZone: string;
  account?: string;
  /** How many days the per-day chart covers (at most 30). */
  days?: number;
}

type Outcome = 'ok' | 'failed' | 'auth_required';
const OUTCOMES: Outcome[] = ['ok', 'failed', 'auth_required'];

/** All-time figures of one scope (everything, or one account). */
export interface ScopeTotals {
  ok: number;
  failed: number;
  auth_required: number;
  plays: number;
  files: number;
  bytes: number;
  last_run: { at_ms: number; command: string; outcome: Outcome } | null;
  last_success_ms: number | null;
  last_error: { at_ms: number; command: string; message: string } | null;
  newest_ms: number | null;
}

/** A recent run, compact: [finished at (ms), outcome index in OUTCOMES, plays]. */
export type RecentRun = [number, number, number];

export interface ScopeRollup {
  totals: ScopeTotals;
  recent: RecentRun[];
}

export interface HistoryRollup {
  v: 1;
  runs: number;
  all: ScopeRollup;
  accounts: Record<string, ScopeRollup>;
}

interface Contribution {
  atMs: number;
  command: string;
  outcome: Outcome;
  error?: string;
  plays: number;
  files: number;
  bytes: number;
  newest?: string;
}

const DAY = 86_400_000;
/** Recent runs kept: the 30-day window plus a day of slack for time zones. */
export const RECENT_MS = 31 * DAY;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const outcomeOf = (v: unknown): Outcome => (v === 'ok' || v === 'auth_required' ? v : 'failed');
const playsOf = (o: Record<string, unknown>) => num(o.plays_new ?? o.plays_written);

function emptyScope(): ScopeRollup {
  return {
    totals: {
      ok: 0,
      failed: 0,
      auth_required: 0,
      plays: 0,
      files: 0,
      bytes: 0,
      last_run: null,
      last_success_ms: null,
      last_error: null,
      newest_ms: null,
    },
    recent: [],
  };
}

export function emptyRollup(): HistoryRollup {
  return { v: 1, runs: 0, all: emptyScope(), accounts: {} };
}

function add(scope: ScopeRollup, c: Contribution): void {
  const t = scope.totals;
  t[c.outcome]++;
  t.plays += c.plays;
  t.files += c.files;
  t.bytes += c.bytes;
  if (!t.last_run || c.atMs >= t.last_run.at_ms) {
    t.last_run = { at_ms: c.atMs, command: c.command, outcome: c.outcome };
  }
  if (c.outcome === 'ok') t.last_success_ms = Math.max(t.last_success_ms ?? -Infinity, c.atMs);
  else if (c.error && (!t.last_error || c.atMs >= t.last_error.at_ms)) {
    t.last_error = { at_ms: c.atMs, command: c.command, message: c.error };
  }
  const newest = c.newest ? Date.parse(c.newest) : NaN;
  if (Number.isFinite(newest)) t.newest_ms = Math.max(t.newest_ms ?? -Infinity, newest);
  scope.recent.push([c.atMs, OUTCOMES.indexOf(c.outcome), c.plays]);
}

/** Folds one history line into the rollup. */
export function foldEntry(rollup: HistoryRollup, entry: RunHistoryEntry): void {
  const e = entry as Record<string, unknown>;
  const atMs = Date.parse(str(e.finished_at) ?? str(e.started_at) ?? '');
  if (!Number.isFinite(atMs)) return;
  rollup.runs++;
  const command = str(e.command) ?? 'unknown';
  const accounts = Array.isArray(e.accounts) ? (e.accounts as Record<string, unknown>[]) : undefined;
  let newest = str(e.newest_played_at);
  let recovered = 0;
  const perAccount: [string, Contribution][] = [];
  for (const a of accounts ?? []) {
    const id = str(a.user_id);
    if (!id) continue;
    const aNewest = str(a.newest_played_at);
    if (aNewest && (!newest || aNewest > newest)) newest = aNewest;
    recovered += num(a.plays_recovered);
    perAccount.push([
      id,
      {
        atMs,
        command,
        outcome: outcomeOf(a.outcome),
        error: str(a.error),
        plays: playsOf(a) + num(a.plays_recovered),
        files: num(a.files_written),
        bytes: num(a.bytes_written),
        newest: aNewest,
      },
    ]);
  }
  const top: Contribution = {
    atMs,
    command,
    outcome: outcomeOf(e.outcome),
    error: str(e.error),
    plays: playsOf(e) + recovered,
    files: num(e.files_written),
    bytes: num(e.bytes_written),
    newest,
  };
  if (!accounts && str(e.user_id)) perAccount.push([str(e.user_id)!, top]);
  add(rollup.all, top);
  for (const [id, c] of perAccount) add((rollup.accounts[id] ??= emptyScope()), c);
}

/** Drops recent runs older than any window needs. */
export function pruneRollup(rollup: HistoryRollup, nowMs: number): void {
  const cutoff = nowMs - RECENT_MS;
  for (const scope of [rollup.all, ...Object.values(rollup.accounts)]) {
    if (scope.recent.some(([at]) => at < cutoff)) scope.recent = scope.recent.filter(([at]) => at >= cutoff);
  }
}

/** `YYYY-MM-DD` of an instant in a time zone (en-CA formats dates that way). */
export function dayFormatter(timeZone: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  // Runs cluster in time: cache by quarter hour (every zone offset is a whole number of quarter hours).
  const cache = new Map<number, string>();
  return (ms) => {
    const quarter = Math.floor(ms / 900_000);
    let day = cache.get(quarter);
    if (day === undefined) {
      day = format.format(ms);
      cache.set(quarter, day);
    }
    return day;
  };
}

function scopeStats(
  scope: ScopeRollup,
  nowMs: number,
  days: string[],
  dayOf: (ms: number) => string,
): ScopeStats {
  const t = scope.totals;
  const counts = (sinceMs: number): RunCounts => {
    const c = { ok: 0, failed: 0, auth_required: 0 };
    for (const [at, o] of scope.recent) if (at > sinceMs) c[OUTCOMES[o] ?? 'failed']++;
    return withRate(c);
  };
  const perDay = new Map<string, number>();
  const firstDay = days[0]!;
  for (const [at, , plays] of scope.recent) {
    if (plays <= 0) continue;
    const day = dayOf(at);
    if (day >= firstDay) perDay.set(day, (perDay.get(day) ?? 0) + plays);
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    runs: {
      last_24h: counts(nowMs - DAY),
      last_7d: counts(nowMs - 7 * DAY),
      last_30d: counts(nowMs - 30 * DAY),
      all_time: withRate({ ok: t.ok, failed: t.failed, auth_required: t.auth_required }),
    },
    plays_per_day: days.map((date) => ({ date, plays: perDay.get(date) ?? 0 })),
    last_run: t.last_run
      ? { at: iso(t.last_run.at_ms), command: t.last_run.command, outcome: t.last_run.outcome }
      : null,
    last_success_at: t.last_success_ms === null ? null : iso(t.last_success_ms),
    last_error: t.last_error
      ? { at: iso(t.last_error.at_ms), command: t.last_error.command, message: t.last_error.message }
      : null,
    newest_played_at: t.newest_ms === null ? null : iso(t.newest_ms),
    freshness_seconds: t.newest_ms === null ? null : Math.max(0, Math.round((nowMs - t.newest_ms) / 1000)),
    lake: { plays: t.plays, files: t.files, bytes: t.bytes },
  };
}

function withRate(c: { ok: number; failed: number; auth_required: number }): RunCounts {
  const total = c.ok + c.failed + c.auth_required;
  return { ...c, total, success_rate: total ? c.ok / total : null };
}

export function statsFromRollup(rollup: HistoryRollup, options: StatsOptions): PipelineStats {
  const now = options.now ?? new Date();
  const nowMs = now.getTime();
  const dayOf = dayFormatter(options.timeZone);
  const days: string[] = [];
  for (let i = Math.min(options.days ?? 14, 30) - 1; i >= 0; i--) {
    const d = dayOf(nowMs - i * DAY);
    if (days[days.length - 1] !== d) days.push(d);
  }
  const accounts: AccountStats[] = Object.keys(rollup.accounts)
    .filter((id) => options.account === undefined || id === options.account)
    .sort()
    .map((id) => ({ user_id: id, ...scopeStats(rollup.accounts[id]!, nowMs, days, dayOf) }));
  const scope =
    options.account === undefined
      ? scopeStats(rollup.all, nowMs, days, dayOf)
      : scopeStats(rollup.accounts[options.account] ?? emptyScope(), nowMs, days, dayOf);
  return {
    generated_at: now.toISOString(),
    time_zone: options.timeZone,
    history_runs: rollup.runs,
    account: options.account ?? null,
    ...scope,
    accounts,
  };
}

/** The figures of a whole history in memory (tests, small histories). */
export function computePipelineStats(
  history: Iterable<RunHistoryEntry>,
  options: StatsOptions,
): PipelineStats {
  const rollup = emptyRollup();
  for (const entry of history) foldEntry(rollup, entry);
  return statsFromRollup(rollup, options);
}
