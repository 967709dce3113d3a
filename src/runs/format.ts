import { plural } from '../util/plural.js';
import type { PipelineStats, RunCounts, ScopeStats, SourceStats } from './stats.js';
import { localDateTime } from '../analytics/timezone.js';

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

/** A time for people: `2026-06-15 14:00 GMT+2` in the stats' time zone, and how long ago when `nowIso` is given. */
export function localTime(iso: string, timeZone: string, nowIso?: string): string {
  const { text: local, offset } = localDateTime(Date.parse(iso), timeZone);
  const text = `${local} ${offset}`;
  if (nowIso === undefined) return text;
  const seconds = Math.max(0, Math.round((Date.parse(nowIso) - Date.parse(iso)) / 1000));
  return `${text} (${formatAge(seconds)} ago)`;
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

/** Config errors (exit 2) stopped before any pipeline work: said apart, never in the success rate. */
function configErrorsNote(s: ScopeStats): string[] {
  const count = s.runs.all_time.config_errors;
  return count
    ? [`  ${plural(count, 'config error')} not counted (the command stopped on its settings before any run)`]
    : [];
}

/**
 * How current the lake is. Only API collections keep it current: an export is a snapshot taken when it was
 * requested, so an import-only lake is labelled as such, with how old its newest play is.
 */
function freshness(s: ScopeStats, tz: string): string {
  if (s.newest_played_at && s.freshness_seconds !== null)
    return `newest play collected by the API ${localTime(s.newest_played_at, tz)} (${formatAge(s.freshness_seconds)} ago)`;
  const imported = s.imported;
  if (imported.newest_played_at && imported.age_seconds !== null)
    return `no play collected by the API yet · newest imported play ${localTime(imported.newest_played_at, tz)} (${formatAge(imported.age_seconds)} old; an export is a snapshot: \`run-continuous\` keeps the lake current)`;
  return 'no play collected yet';
}

function sourceLine(s: SourceStats, what: 'collection' | 'import', tz: string): string {
  if (s.runs === 0)
    return what === 'collection'
      ? 'none yet (`run-once` collects once, `run-continuous` keeps collecting)'
      : 'none yet (`import my_spotify_data.zip` brings in your history)';
  const last = s.last_run_at ? `; last ${localTime(s.last_run_at, tz)}` : '';
  return `${plural(s.plays, 'play')} in ${plural(s.files, 'file')}, ${formatBytes(s.bytes)}, by ${plural(s.runs, what)}${last}`;
}

/** Where the lake's plays came from: the two API endpoints apart, then the export. */
function bySource(s: ScopeStats): string {
  const p = s.plays_by_source;
  return `${n(p.recently_played)} recently played, ${n(p.player)} from the player, ${n(p.import)} imported`;
}

function lastError(s: ScopeStats, tz: string, now: string): string {
  return s.last_error
    ? `${localTime(s.last_error.at, tz, now)} ${s.last_error.command}: ${s.last_error.message}`
    : 'none';
}

/** The days of a chart that had plays; the quiet ones are counted, not drawn. */
function activeDays(rows: { date: string; plays: number }[]): string[] {
  const active = rows.filter((r) => r.plays > 0);
  const quiet = rows.length - active.length;
  return [...barChart(active), ...(quiet ? [`  (${plural(quiet, 'day')} without plays not shown)`] : [])];
}

/** The pipeline section of `stats` as terminal text; times in the stats' time zone. */
export function formatPipelineStats(stats: PipelineStats): string {
  const tz = stats.timezone;
  const now = stats.generated_at;
  const scope = stats.account ? `account ${stats.account}` : 'all accounts';
  const lines = [
    `Pipeline (${scope}; ${plural(stats.history_runs, 'run')} in the history; times in ${tz})`,
    '',
    'Runs',
    ...runsTable(stats),
    ...configErrorsNote(stats),
  ];
  const lastRun = stats.last_run;
  lines.push(
    '',
    `Last run       ${lastRun ? `${localTime(lastRun.at, tz, now)} ${lastRun.command} ${lastRun.outcome.replaceAll('_', ' ')}` : 'none yet'}`,
    `Last success   ${stats.last_success_at ? localTime(stats.last_success_at, tz, now) : 'none yet'}`,
    `Last error     ${lastError(stats, tz, now)}`,
    `Freshness      ${freshness(stats, tz)}`,
    `Collected      ${sourceLine(stats.collected, 'collection', tz)}`,
    `Imported       ${sourceLine(stats.imported, 'import', tz)}`,
    `Lake           ${plural(stats.lake.plays, 'play')} in ${plural(stats.lake.files, 'file')}, ${formatBytes(stats.lake.bytes)} (collected and imported, written by the runs in the history)`,
    `By source      ${bySource(stats)}`,
    '',
    `Plays collected by the API per day (${tz})`,
  );
  const days = stats.plays_per_day;
  if (days.some((d) => d.collected > 0))
    lines.push(...activeDays(days.map((d) => ({ date: d.date, plays: d.collected }))));
  else
    lines.push(
      `  none from ${days[0]?.date} to ${days.at(-1)?.date}${stats.collected.runs === 0 ? ': no collection from the API yet' : ''}`,
    );
  const importDays = days.filter((d) => d.imported > 0);
  if (importDays.length > 0) {
    lines.push('', `Plays imported per day (${tz}; the day of the import, not of the plays)`);
    lines.push(...barChart(importDays.map((d) => ({ date: d.date, plays: d.imported }))));
  }
  if (!stats.account && stats.accounts.length > 0) {
    lines.push('', 'Accounts');
    for (const a of stats.accounts) {
      const month = a.runs.last_30d;
      lines.push(
        `  ${a.user_id}`,
        `    runs 30 d     ${n(month.ok)} ok, ${n(month.failed)} failed, ${n(month.auth_required)} auth required (success ${pct(month)})`,
        `    freshness     ${freshness(a, tz)}`,
        `    collected     ${sourceLine(a.collected, 'collection', tz)}`,
        `    imported      ${sourceLine(a.imported, 'import', tz)}`,
        `    lake          ${plural(a.lake.plays, 'play')} in ${plural(a.lake.files, 'file')}, ${formatBytes(a.lake.bytes)}`,
        `    by source     ${bySource(a)}`,
        `    last error    ${lastError(a, tz, now)}`,
      );
    }
  }
  return lines.join('\n');
}
