import type { PlaysBySource, RunRecord } from './run-record.js';
import {
  emptyRollup,
  emptyScope,
  foldRecord,
  OUTCOMES,
  SOURCES,
  type HistoryRollup,
  type ScopeRollup,
  type SourceTotals,
} from './rollup.js';

/**
 * The pipeline figures of `stats`, from the run history alone: every collection and import appends one
 * RunRecord, so summing them answers without listing or reading a single lake object.
 */

export interface RunCounts {
  ok: number;
  failed: number;
  auth_required: number;
  /** Runs that ok, failed or needed a login (config errors are not pipeline runs). */
  total: number;
  /** Of `total`, runs of `import` (the rest are API collections). */
  imports: number;
  /** ok / total, 0..1; null without runs. */
  success_rate: number | null;
  /** Runs that stopped on a configuration error (exit 2): not in `total`, not in the rate. */
  config_errors: number;
}

/** What one kind of run (API collections, or imports of the privacy export) wrote over the whole history. */
export interface SourceStats {
  /** Runs that wrote or tried to (any outcome). */
  runs: number;
  plays: number;
  files: number;
  bytes: number;
  /** When the last run of this kind finished. */
  last_run_at: string | null;
  /** The newest play it brought (an import: the newest play of the export it read). */
  newest_played_at: string | null;
  /** Seconds from `newest_played_at` to now. */
  age_seconds: number | null;
}

export interface ScopeStats {
  runs: { last_24h: RunCounts; last_7d: RunCounts; last_30d: RunCounts; all_time: RunCounts };
  /**
   * Plays written per day (the day the run finished, in the time zone), oldest first, zero days included:
   * `collected` from the Web API (recently-played and the player), `imported` from the export, `plays` both.
   */
  plays_per_day: { date: string; plays: number; collected: number; imported: number }[];
  last_run: { at: string; command: string; outcome: string } | null;
  last_success_at: string | null;
  last_error: { at: string; command: string; message: string } | null;
  /** The newest play collected by the Web API (imports never count: an export is a snapshot). */
  newest_played_at: string | null;
  /** Seconds from `newest_played_at` to now: how current API collection keeps the lake. */
  freshness_seconds: number | null;
  /** Both kinds together. */
  lake: { plays: number; files: number; bytes: number };
  /** The lake's plays by where they came from: recently-played, the player watcher, the export. */
  plays_by_source: PlaysBySource;
  collected: SourceStats;
  imported: SourceStats;
}

export interface AccountStats extends ScopeStats {
  user_id: string;
}

export interface PipelineStats extends ScopeStats {
  generated_at: string;
  timezone: string;
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

const DAY = 86_400_000;

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

function withRate(c: {
  ok: number;
  failed: number;
  auth_required: number;
  imports: number;
  config_errors: number;
}): RunCounts {
  const total = c.ok + c.failed + c.auth_required;
  return { ...c, total, success_rate: total ? c.ok / total : null };
}

function scopeStats(
  scope: ScopeRollup,
  nowMs: number,
  days: string[],
  dayOf: (ms: number) => string,
): ScopeStats {
  const t = scope.totals;
  const counts = (sinceMs: number): RunCounts => {
    const c = { ok: 0, failed: 0, auth_required: 0, imports: 0, config_errors: 0 };
    for (const [at, o, , src] of scope.recent) {
      if (at <= sinceMs) continue;
      const outcome = OUTCOMES[o] ?? 'failed';
      if (outcome === 'config_error') {
        c.config_errors++;
        continue;
      }
      c[outcome]++;
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
        // Config errors are no run of either kind (rollup.ts), so these are all pipeline runs.
        imports: t.imported.runs,
        config_errors: t.config_error,
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
    plays_by_source: { ...t.plays_by_source },
    collected: source(t.collected),
    imported: source(t.imported),
  };
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
    timezone: options.timeZone,
    history_runs: rollup.runs,
    account: options.account ?? null,
    ...scope,
    accounts,
  };
}

/** The figures of a whole history in memory (tests, small histories). */
export function computePipelineStats(history: Iterable<RunRecord>, options: StatsOptions): PipelineStats {
  const rollup = emptyRollup();
  for (const record of history) foldRecord(rollup, record);
  return statsFromRollup(rollup, options);
}
