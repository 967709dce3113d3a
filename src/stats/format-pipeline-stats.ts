import type { PipelineStats, RunCounts, ScopeStats } from './pipeline-stats.js';

const BAR_WIDTH = 30;

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatAge(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

const n = (v: number) => v.toLocaleString('en-US');
const pct = (c: RunCounts) => (c.success_rate === null ? '-' : `${(c.success_rate * 100).toFixed(1)}%`);

/** A horizontal bar chart of plays per day; the longest bar is BAR_WIDTH wide. */
export function barChart(rows: { date: string; plays: number }[]): string[] {
  const max = Math.max(0, ...rows.map((r) => r.plays));
  const width = String(n(max)).length;
  return rows.map(({ date, plays }) => {
    const len = max === 0 ? 0 : Math.round((plays / max) * BAR_WIDTH);
    const bar = plays > 0 && len === 0 ? '▏' : '█'.repeat(len);
    return `  ${date}  ${n(plays).padStart(width)}  ${bar}`;
  });
}

function runsTable(s: ScopeStats): string[] {
  const cols = [s.runs.last_24h, s.runs.last_7d, s.runs.last_30d];
  const row = (label: string, f: (c: RunCounts) => string) =>
    `  ${label.padEnd(15)}${cols.map((c) => f(c).padStart(9)).join('')}`;
  return [
    `  ${''.padEnd(15)}${['24 h', '7 d', '30 d'].map((h) => h.padStart(9)).join('')}`,
    row('ok', (c) => n(c.ok)),
    row('failed', (c) => n(c.failed)),
    row('auth required', (c) => n(c.auth_required)),
    row('success rate', pct),
  ];
}

function freshness(s: ScopeStats): string {
  if (!s.newest_played_at || s.freshness_seconds === null) return 'no play collected yet';
  return `newest play ${s.newest_played_at} (${formatAge(s.freshness_seconds)} ago)`;
}

function lastError(s: ScopeStats): string {
  return s.last_error ? `${s.last_error.at} ${s.last_error.command}: ${s.last_error.message}` : 'none';
}

/** The pipeline section of `stats` as terminal text. */
export function formatPipelineStats(stats: PipelineStats): string {
  const scope = stats.account ? `account ${stats.account}` : 'all accounts';
  const lines = [
    `Pipeline (${scope}; ${n(stats.history_runs)} runs in the history)`,
    '',
    'Runs',
    ...runsTable(stats),
  ];
  lines.push(
    '',
    `Last run       ${stats.last_run ? `${stats.last_run.at} ${stats.last_run.command} ${stats.last_run.outcome}` : 'none yet'}`,
    `Last success   ${stats.last_success_at ?? 'none yet'}`,
    `Last error     ${lastError(stats)}`,
    `Freshness      ${freshness(stats)}`,
    `Lake           ${n(stats.lake.plays)} plays in ${n(stats.lake.files)} files, ${formatBytes(stats.lake.bytes)} (written by the runs in the history)`,
    '',
    `Plays collected per day (${stats.time_zone})`,
    ...barChart(stats.plays_per_day),
  );
  if (!stats.account && stats.accounts.length > 0) {
    lines.push('', 'Accounts');
    for (const a of stats.accounts) {
      lines.push(
        `  ${a.user_id}`,
        `    runs 30 d     ${n(a.runs.last_30d.ok)} ok, ${n(a.runs.last_30d.failed)} failed, ${n(a.runs.last_30d.auth_required)} auth required (success ${pct(a.runs.last_30d)})`,
        `    freshness     ${freshness(a)}`,
        `    lake          ${n(a.lake.plays)} plays in ${n(a.lake.files)} files, ${formatBytes(a.lake.bytes)}`,
        `    last error    ${lastError(a)}`,
      );
    }
  }
  return lines.join('\n');
}
