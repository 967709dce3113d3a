import type { RunHistoryEntry } from '../state/run-history.js';

/**
 * Pipeline figures from the run history alone (STATE_DIR/history/runs.jsonl): every collection and
 * import appends one line with its counts, so summing the lines answers without listing or reading
 * a single lake object. Fields read from each line (missing ones count as zero):
 *   command, finished_at (or started_at), outcome, error,
 *   plays_new (or plays_written), files_written, bytes_written, newest_played_at,
 *   accounts[]: user_id, outcome, error, plays_new, plays_recovered, files_written, bytes_written, newest_played_at.
 * A line without `accounts` but with a top-level `user_id` counts for that account.
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
  /** How many days the per-day chart covers. */
  days?: number;
}

const DAY = 86_400_000;
type Outcome = 'ok' | 'failed' | 'auth_required';

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

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const outcomeOf = (v: unknown): Outcome => (v === 'ok' || v === 'auth_required' ? v : 'failed');
const emptyCounts = (): RunCounts => ({ ok: 0, failed: 0, auth_required: 0, total: 0, success_rate: null });

/** Folds contributions of one scope (everything, or one account). */
class ScopeAggregate {
  private readonly counts = {
    last_24h: emptyCounts(),
    last_7d: emptyCounts(),
    last_30d: emptyCounts(),
    all_time: emptyCounts(),
  };
  private readonly perDay = new Map<string, number>();
  private lastRun: ScopeStats['last_run'] = null;
  private lastRunMs = -Infinity;
  private lastSuccessMs = -Infinity;
  private lastError: ScopeStats['last_error'] = null;
  private lastErrorMs = -Infinity;
  private newestMs = -Infinity;
  private readonly lake = { plays: 0, files: 0, bytes: 0 };

  constructor(
    private readonly nowMs: number,
    private readonly dayOf: (ms: number) => string,
    private readonly firstDay: string,
  ) {}

  add(c: Contribution): void {
    const age = this.nowMs - c.atMs;
    const windows: (keyof typeof this.counts)[] = ['all_time'];
    if (age <= 30 * DAY) windows.push('last_30d');
    if (age <= 7 * DAY) windows.push('last_7d');
    if (age <= DAY) windows.push('last_24h');
    for (const w of windows) {
      this.counts[w][c.outcome]++;
      this.counts[w].total++;
    }
    if (c.plays > 0 && age <= 40 * DAY) {
      const day = this.dayOf(c.atMs);
      if (day >= this.firstDay) this.perDay.set(day, (this.perDay.get(day) ?? 0) + c.plays);
    }
    if (c.atMs >= this.lastRunMs) {
      this.lastRunMs = c.atMs;
      this.lastRun = { at: new Date(c.atMs).toISOString(), command: c.command, outcome: c.outcome };
    }
    if (c.outcome === 'ok') this.lastSuccessMs = Math.max(this.lastSuccessMs, c.atMs);
    else if (c.error && c.atMs >= this.lastErrorMs) {
      this.lastErrorMs = c.atMs;
      this.lastError = { at: new Date(c.atMs).toISOString(), command: c.command, message: c.error };
    }
    const newest = c.newest ? Date.parse(c.newest) : NaN;
    if (Number.isFinite(newest)) this.newestMs = Math.max(this.newestMs, newest);
    this.lake.plays += c.plays;
    this.lake.files += c.files;
    this.lake.bytes += c.bytes;
  }

  result(days: string[]): ScopeStats {
    for (const c of Object.values(this.counts)) c.success_rate = c.total ? c.ok / c.total : null;
    const hasNewest = Number.isFinite(this.newestMs);
    return {
      runs: this.counts,
      plays_per_day: days.map((date) => ({ date, plays: this.perDay.get(date) ?? 0 })),
      last_run: this.lastRun,
      last_success_at: Number.isFinite(this.lastSuccessMs)
        ? new Date(this.lastSuccessMs).toISOString()
        : null,
      last_error: this.lastError,
      newest_played_at: hasNewest ? new Date(this.newestMs).toISOString() : null,
      freshness_seconds: hasNewest ? Math.max(0, Math.round((this.nowMs - this.newestMs) / 1000)) : null,
      lake: this.lake,
    };
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

export function computePipelineStats(
  history: Iterable<RunHistoryEntry>,
  options: StatsOptions,
): PipelineStats {
  const now = options.now ?? new Date();
  const nowMs = now.getTime();
  const dayOf = dayFormatter(options.timeZone);
  const dayCount = options.days ?? 14;
  const days: string[] = [];
  for (let i = dayCount - 1; i >= 0; i--) {
    const d = dayOf(nowMs - i * DAY);
    if (days[days.length - 1] !== d) days.push(d);
  }
  const firstDay = days[0]!;
  const all = new ScopeAggregate(nowMs, dayOf, firstDay);
  const perAccount = new Map<string, ScopeAggregate>();
  const accountAgg = (id: string) => {
    let agg = perAccount.get(id);
    if (!agg) perAccount.set(id, (agg = new ScopeAggregate(nowMs, dayOf, firstDay)));
    return agg;
  };
  let runs = 0;

  for (const entry of history) {
    const atMs = Date.parse(str(entry.finished_at) ?? str(entry.started_at) ?? '');
    if (!Number.isFinite(atMs)) continue;
    runs++;
    const e = entry as Record<string, unknown>;
    const command = str(entry.command) ?? 'unknown';
    const accounts = Array.isArray(e.accounts) ? (e.accounts as Record<string, unknown>[]) : undefined;
    let newest = str(e.newest_played_at);
    const perAccountEntries: [string, Contribution][] = [];
    if (accounts) {
      for (const a of accounts) {
        const id = str(a.user_id);
        if (!id) continue;
        const aNewest = str(a.newest_played_at);
        if (aNewest && (!newest || aNewest > newest)) newest = aNewest;
        perAccountEntries.push([
          id,
          {
            atMs,
            command,
            outcome: outcomeOf(a.outcome),
            error: str(a.error),
            plays: num(a.plays_new ?? a.plays_written) + num(a.plays_recovered),
            files: num(a.files_written),
            bytes: num(a.bytes_written),
            newest: aNewest,
          },
        ]);
      }
    }
    const top: Contribution = {
      atMs,
      command,
      outcome: outcomeOf(entry.outcome),
      error: str(entry.error),
      plays: num(e.plays_new ?? e.plays_written) + sumRecovered(accounts),
      files: num(e.files_written),
      bytes: num(e.bytes_written),
      newest,
    };
    if (!accounts && str(e.user_id)) perAccountEntries.push([str(e.user_id)!, top]);
    all.add(top);
    for (const [id, c] of perAccountEntries) accountAgg(id).add(c);
  }

  const accountList: AccountStats[] = [...perAccount.entries()]
    .filter(([id]) => options.account === undefined || id === options.account)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, agg]) => ({ user_id: id, ...agg.result(days) }));
  const scope =
    options.account === undefined
      ? all.result(days)
      : (accountList[0] ?? {
          user_id: options.account,
          ...new ScopeAggregate(nowMs, dayOf, firstDay).result(days),
        });
  const { user_id: _ignored, ...scopeFigures } = scope as AccountStats;
  return {
    generated_at: now.toISOString(),
    time_zone: options.timeZone,
    history_runs: runs,
    account: options.account ?? null,
    ...scopeFigures,
    accounts: accountList,
  };
}

function sumRecovered(accounts: Record<string, unknown>[] | undefined): number {
  return accounts ? accounts.reduce((n, a) => n + num(a.plays_recovered), 0) : 0;
}
