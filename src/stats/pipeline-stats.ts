import type { RunHistoryEntry } from '../state/run-history.js';

/**
 * Pipeline figures from the run history alone (STATE_DIR/history/runs.jsonl): every collection and
 * import appends one line with its counts, so summing the lines answers without listing or reading
 * a single lake object. Fields read from each line (missing ones count as zero):
 *   command, finished_at (or started_at), outcome, error,
 *   plays_new (or plays_written), files_written, bytes_written, newest_played_at,
 *   accounts[]: user_id, outcome, error, plays_new (or plays_written), plays_recovered, files_written,
 *   bytes_written, newest_played_at.
 * A line without `accounts` but with a top-level `user_id` (or an import's single `users` entry) counts for
 * that account. Runs of `import` bring plays from the privacy export; every other command collects from
 * the Web API: the two are summed apart, since only API collections say how current the lake is (an
 * import's newest play is its `date_range.last`).
 *
 * The lines fold into a rollup (all-time totals plus the runs of the last 31 days), which
 * history-rollup-store.ts keeps on disk so `stats` only reads the lines appended since last time.
 */

export interface RunCounts {
  ok: number;
  failed: number;
  auth_required: number;
  total: number;
  /** Of `total`, runs of `import` (the rest are API collections). */
  imports: number;
  /** ok / total, 0..1; null without runs. */
  success_rate: number | null;
}

/** What one source (API collections, or imports of the privacy export) wrote over the whole history. */
export interface SourceStats {
  /** Runs that wrote or tried to (any outcome). */
  runs: number;
  plays: number;
  files: number;
  bytes: number;
  /** When the last run of this source finished. */
  last_run_at: string | null;
  /** The newest play this source brought (an import: the newest play of the export it read). */
  newest_played_at: string | null;
  /** Seconds from `newest_played_at` to now. */
  age_seconds: number | null;
}

export interface ScopeStats {
  runs: { last_24h: RunCounts; last_7d: RunCounts; last_30d: RunCounts; all_time: RunCounts };
  /**
   * Plays written per day (the day the run finished, in the time zone), oldest first, zero days included:
   * `collected` by the Web API, `imported` from the export, `plays` both.
   */
  plays_per_day: { date: string; plays: number; collected: number; imported: number }[];
  last_run: { at: string; command: string; outcome: string } | null;
  last_success_at: string | null;
  last_error: { at: string; command: string; message: string } | null;
  /** The newest play collected by the Web API (imports never count: an export is a snapshot). */
  newest_played_at: string | null;
  /** Seconds from `newest_played_at` to now: how current API collection keeps the lake. */
  freshness_seconds: number | null;
  /** Both sources together. */
  lake: { plays: number; files: number; bytes: number };
  collected: SourceStats;
  imported: SourceStats;
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
/** Where a run's plays came from; the index is what a RecentRun stores. */
type Source = 'collected' | 'imported';
const SOURCES: Source[] = ['collected', 'imported'];
const sourceOf = (command: string): Source => (command === 'import' ? 'imported' : 'collected');

/** All-time figures of one source in one scope. */
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
  plays: number;
  files: number;
  bytes: number;
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
export const ROLLUP_VERSION = 2;

export interface HistoryRollup {
  v: typeof ROLLUP_VERSION;
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

const emptySource = (): SourceTotals => ({
  runs: 0,
  plays: 0,
  files: 0,
  bytes: 0,
  last_ms: null,
  newest_ms: null,
});

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
  const source = sourceOf(c.command);
  const s = t[source];
  s.runs++;
  s.plays += c.plays;
  s.files += c.files;
  s.bytes += c.bytes;
  s.last_ms = later(s.last_ms, c.atMs);
  const newest = c.newest ? Date.parse(c.newest) : NaN;
  if (Number.isFinite(newest)) {
    s.newest_ms = later(s.newest_ms, newest);
    if (source === 'collected') t.newest_ms = later(t.newest_ms, newest);
  }
  scope.recent.push([c.atMs, OUTCOMES.indexOf(c.outcome), c.plays, SOURCES.indexOf(source)]);
}

/** Folds one history line into the rollup. */
export function foldEntry(rollup: HistoryRollup, entry: RunHistoryEntry): void {
  const e = entry as Record<string, unknown>;
  const atMs = Date.parse(str(e.finished_at) ?? str(e.started_at) ?? '');
  if (!Number.isFinite(atMs)) return;
  rollup.runs++;
  const command = str(e.command) ?? 'unknown';
  const accounts = Array.isArray(e.accounts) ? (e.accounts as Record<string, unknown>[]) : undefined;
  // An import names its newest play in its date range.
  const range = e.date_range as { last?: unknown } | null | undefined;
  let newest = str(e.newest_played_at) ?? str(range?.last);
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
  const users = Array.isArray(e.users) ? e.users.filter((u): u is string => typeof u === 'string') : [];
  const owner = str(e.user_id) ?? (users.length === 1 ? users[0] : undefined);
  if (!accounts && owner) perAccount.push([owner, top]);
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
    const c = { ok: 0, failed: 0, auth_required: 0, imports: 0 };
    for (const [at, o, , src] of scope.recent)
      if (at > sinceMs) {
        c[OUTCOMES[o] ?? 'failed']++;
        if (SOURCES[src] === 'imported') c.imports++;
      }
    return withRate(c);
  };
  const perDay = new Map<string, { collected: number; imported: number }>();
  const firstDay = days[0]!;
  for (const [at, , plays, src] of scope.recent) {
    if (plays <= 0) continue;
    const day = dayOf(at);
    if (day < firstDay) continue;
    const d = perDay.get(day) ?? { collected: 0, imported: 0 };
    d[SOURCES[src] ?? 'collected'] += plays;
    perDay.set(day, d);
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const ageOf = (ms: number | null) => (ms === null ? null : Math.max(0, Math.round((nowMs - ms) / 1000)));
  const source = (s: SourceTotals): SourceStats => ({
    runs: s.runs,
    plays: s.plays,
    files: s.files,
    bytes: s.bytes,
    last_run_at: s.last_ms === null ? null : iso(s.last_ms),
    newest_played_at: s.newest_ms === null ? null : iso(s.newest_ms),
    age_seconds: ageOf(s.newest_ms),
  });
  return {
    runs: {
      last_24h: counts(nowMs - DAY),
      last_7d: counts(nowMs - 7 * DAY),
      last_30d: counts(nowMs - 30 * DAY),
      all_time: withRate({
        ok: t.ok,
        failed: t.failed,
        auth_required: t.auth_required,
        imports: t.imported.runs,
      }),
    },
    plays_per_day: days.map((date) => {
      const d = perDay.get(date) ?? { collected: 0, imported: 0 };
      return { date, plays: d.collected + d.imported, ...d };
    }),
    last_run: t.last_run
      ? { at: iso(t.last_run.at_ms), command: t.last_run.command, outcome: t.last_run.outcome }
      : null,
    last_success_at: t.last_success_ms === null ? null : iso(t.last_success_ms),
    last_error: t.last_error
      ? { at: iso(t.last_error.at_ms), command: t.last_error.command, message: t.last_error.message }
      : null,
    newest_played_at: t.newest_ms === null ? null : iso(t.newest_ms),
    freshness_seconds: ageOf(t.newest_ms),
    lake: { plays: t.plays, files: t.files, bytes: t.bytes },
    collected: source(t.collected),
    imported: source(t.imported),
  };
}

function withRate(c: { ok: number; failed: number; auth_required: number; imports: number }): RunCounts {
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
