import { plural } from '../util/plural.js';
import type { PipelineStats, RunCounts, ScopeStats, SourceStats } from './pipeline-stats.js';

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
    row('of them imports', (c) => n(c.imports)),
  ];
}

/**
 * How current the lake is. Only API collections keep it current: an export is a snapshot taken when it was
 * requested, so an import-only lake is labelled as such, with how old its newest play is.
 */
function freshness(s: ScopeStats): string {
  if (s.newest_played_at && s.freshness_seconds !== null)
    return `newest play collected by the API ${s.newest_played_at} (${formatAge(s.freshness_seconds)} ago)`;
  const imported = s.imported;
  if (imported.newest_played_at && imported.age_seconds !== null)
    return `no play collected by the API yet · newest imported play ${imported.newest_played_at} (${formatAge(imported.age_seconds)} old; an export is a snapshot: \`run-continuous\` keeps the lake current)`;
  return 'no play collected yet';
}

function sourceLine(s: SourceStats, what: 'collection' | 'import'): string {
  if (s.runs === 0)
    return what === 'collection'
      ? 'none yet (`run-once` collects once, `run-continuous` keeps collecting)'
      : 'none yet (`import my_spotify_data.zip` brings in your history)';
  return `${plural(s.plays, 'play')} in ${plural(s.files, 'file')}, ${formatBytes(s.bytes)}, by ${plural(s.runs, what)}; last ${s.last_run_at}`;
}

function lastError(s: ScopeStats): string {
  return s.last_error ? `${s.last_error.at} ${s.last_error.command}: ${s.last_error.message}` : 'none';
}

/** The pipeline section of `stats` as terminal text. */
export function formatPipelineStats(stats: PipelineStats): string {
  const scope = stats.account ? `account ${stats.account}` : 'all accounts';
  const lines = [
    `Pipeline (${scope}; ${plural(stats.history_runs, 'run')} in the history)`,
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
    `Collected      ${sourceLine(stats.collected, 'collection')}`,
    `Imported       ${sourceLine(stats.imported, 'import')}`,
    `Lake           ${plural(stats.lake.plays, 'play')} in ${plural(stats.lake.files, 'file')}, ${formatBytes(stats.lake.bytes)} (collected and imported, written by the runs in the history)`,
    '',
    `Plays collected by the API per day (${stats.time_zone})`,
  );
  const days = stats.plays_per_day;
  if (days.some((d) => d.collected > 0))
    lines.push(...barChart(days.map((d) => ({ date: d.date, plays: d.collected }))));
  else
    lines.push(
      `  none from ${days[0]?.date} to ${days.at(-1)?.date}${stats.collected.runs === 0 ? ': no collection from the API yet' : ''}`,
    );
  const importDays = days.filter((d) => d.imported > 0);
  if (importDays.length > 0) {
    lines.push('', `Plays imported per day (${stats.time_zone}; the day of the import, not of the plays)`);
    lines.push(...barChart(importDays.map((d) => ({ date: d.date, plays: d.imported }))));
  }
  if (!stats.account && stats.accounts.length > 0) {
    lines.push('', 'Accounts');
    for (const a of stats.accounts) {
      lines.push(
        `  ${a.user_id}`,
        `    runs 30 d     ${n(a.runs.last_30d.ok)} ok, ${n(a.runs.last_30d.failed)} failed, ${n(a.runs.last_30d.auth_required)} auth required (success ${pct(a.runs.last_30d)})`,
        `    freshness     ${freshness(a)}`,
        `    collected     ${sourceLine(a.collected, 'collection')}`,
        `    imported      ${sourceLine(a.imported, 'import')}`,
        `    lake          ${plural(a.lake.plays, 'play')} in ${plural(a.lake.files, 'file')}, ${formatBytes(a.lake.bytes)}`,
        `    last error    ${lastError(a)}`,
      );
    }
  }
  return lines.join('\n');
}
