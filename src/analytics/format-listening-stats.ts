import { plural } from '../util/plural.js';
import type { AccountSummary, ListeningStats } from './listening-stats.js';
import type { AlbumCount, ArtistCount, ListeningRates, TrackCount } from './stat-rows.js';
import { barChart, heading, sparkline, type ChartStyle } from './terminal-charts.js';

const n = (value: number) => value.toLocaleString('en-US');

export function formatMinutes(minutes: number): string {
  const total = Math.round(minutes);
  const h = Math.floor(total / 60);
  return h > 0 ? `${n(h)} h ${total % 60} min` : `${total} min`;
}

/** Days from `from` to `to`, both included (YYYY-MM-DD). */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text;
}

function trackRows(tracks: TrackCount[]) {
  return tracks.map((t, i) => ({
    label: `${String(i + 1).padStart(2)}. ${cut(`${t.track} · ${t.artist}`, 44)}`,
    value: t.plays,
    note: plural(t.plays, 'play'),
  }));
}

function artistRows(artists: ArtistCount[]) {
  return artists.map((a, i) => ({
    label: `${String(i + 1).padStart(2)}. ${cut(a.artist, 30)}`,
    value: a.plays,
    note: `${plural(a.plays, 'play')}, ${formatMinutes(a.minutes)}`,
  }));
}

function albumRows(albums: AlbumCount[]) {
  return albums.map((a, i) => ({
    label: `${String(i + 1).padStart(2)}. ${cut(`${a.album} · ${a.artist}`, 44)}`,
    value: a.plays,
    note: plural(a.plays, 'play'),
  }));
}

/** Who is in the figures when the lake holds several accounts: each one, then the total they add up to. */
function householdLines(accounts: AccountSummary[]): string[] {
  if (accounts.length < 2) return [];
  const width = Math.min(24, Math.max(...accounts.map((a) => [...a.account].length)));
  const line = (a: AccountSummary) =>
    `    ${cut(a.account, 24).padEnd(width)}  ${plural(a.plays, 'play')} · ${formatMinutes(a.minutes)} · ${plural(a.unique_tracks, 'track')} · ${plural(a.unique_artists, 'artist')} · ${a.first_play?.slice(0, 10)} … ${a.last_play?.slice(0, 10)}`;
  return [
    `  This lake holds the plays of ${accounts.length} accounts: every figure below is the household's, all of them`,
    '  together. `--account <id>` shows one of them alone.',
    ...accounts.map(line),
  ];
}

const percent = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)} %`);

/** `41.2 % of 30,112 plays`: a rate always shows the plays it is based on. */
function rateCell(rate: number | null, known: number): string {
  return rate === null ? 'no data' : `${percent(rate)} of ${plural(known, 'play')}`;
}

function ratesTable(rates: ListeningStats['rates']): string[] {
  const a = rates.last_12_months;
  const b = rates.all_time;
  if (b.skip_known + b.completion_known + b.share_known === 0)
    return [
      '  no play carries `skipped`, `reason_end` or `ms_played` with a track length: these come from the',
      '  Extended Streaming History of your privacy export (`import`); plays collected by the API have none.',
    ];
  const row = (label: string, f: (r: ListeningRates) => string) =>
    `  ${label.padEnd(28)}${f(a).padEnd(30)}${f(b)}`;
  return [
    `  ${''.padEnd(28)}${'last 12 months'.padEnd(30)}all time`,
    row('skipped', (r) => rateCell(r.skip_rate, r.skip_known)),
    row('played to the end', (r) => rateCell(r.completion_rate, r.completion_known)),
    row('share of the track played', (r) =>
      r.share_known === 0 && r.skip_known + r.completion_known > 0
        ? 'needs track lengths'
        : rateCell(r.share_played, r.share_known),
    ),
    '  skipped: Next was pressed (`skipped` is true; where an older export leaves it empty, `reason_end` is',
    '  fwdbtn) · to the end: `reason_end` is trackdone · share: ms_played / track length.',
    '  Each rate counts only the plays that carry its field (API plays carry none; the track length of an',
    '  imported play needs `import --enrich`). Plays under `--min-ms-played` (30 s) are never imported.',
  ];
}

/** The listening analytics as terminal text with bar charts; `color` adds ANSI colours. */
export function formatListeningStats(stats: ListeningStats, style: ChartStyle = {}): string {
  const out: string[] = [];
  const h = (text: string) => out.push('', heading(text, style));
  const household = stats.accounts.length > 1;
  out.push(
    heading(
      `Listening${stats.account ? ` of ${stats.account}` : household ? `, household of ${stats.accounts.length} accounts` : ''} (times in ${stats.timezone})`,
      style,
    ),
  );
  if (stats.empty) {
    out.push(`  ${stats.message ?? 'No plays yet.'}`);
    return `${out.join('\n')}\n`;
  }
  const t = stats.totals;
  out.push(...householdLines(stats.accounts));
  out.push(
    `  ${household ? 'household total: ' : ''}${plural(t.plays, 'play')} · ${formatMinutes(t.minutes)} · ${plural(t.unique_tracks, 'track')} · ${plural(t.unique_artists, 'artist')} · ${plural(t.days_listened, 'day')}`,
    `  first play ${t.first_play?.replace('T', ' ')} · last play ${t.last_play?.replace('T', ' ')}`,
  );
  const { longest, current } = stats.streaks;
  if (longest)
    out.push(
      `  longest daily streak: ${plural(longest.days, 'day')} (${longest.from} → ${longest.to})` +
        (current ? ` · current: ${plural(current.days, 'day')}` : ' · no current streak'),
    );

  const daily = stats.daily_last_30_days;
  const total30 = daily.reduce((sum, d) => sum + d.minutes, 0);
  const first = daily[0]?.date ?? '';
  const last = daily.at(-1)?.date ?? '';
  h(
    `Last ${plural(daily.length, 'day')} (${first} … ${last}, today included): ${formatMinutes(total30)}, ${plural(
      daily.reduce((s, d) => s + d.plays, 0),
      'play',
    )}`,
  );
  out.push(
    `  minutes per day ${first.slice(5)} │${sparkline(daily.map((d) => d.minutes))}│ ${last.slice(5)}`,
  );
  // A row per day with plays: the sparkline above has every day, and 30 rows of "no plays" bury the few that count.
  const active = daily.filter((d) => d.plays > 0);
  out.push(
    ...barChart(
      active.map((d) => ({
        label: d.date,
        value: d.minutes,
        note: `${plural(d.plays, 'play')}, ${Math.round(d.minutes)} min, ${plural(d.unique_artists, 'artist')}`,
      })),
      { ...style, width: 30 },
    ),
  );
  if (active.length < daily.length)
    out.push(`  (${plural(daily.length - active.length, 'day')} without plays not shown)`);

  // Whole history inside the last 12 months: the all-time lists would only repeat them.
  const allIn12 = (t.first_play?.slice(0, 10) ?? '') >= stats.last_12_months.from;
  const period12 = `${stats.last_12_months.from} … ${stats.last_12_months.to}`;
  h(`Top artists, last 12 months (${period12})`);
  if (stats.top_artists_last_12_months.length === 0) out.push('  no plays in the last 12 months');
  out.push(...barChart(artistRows(stats.top_artists_last_12_months), { ...style, width: 24 }));
  h('Top artists of all time');
  if (allIn12) out.push('  the same as the last 12 months: the whole history is inside them');
  else out.push(...barChart(artistRows(stats.top_artists_all_time), { ...style, width: 24 }));
  const m = stats.top_artists_this_month;
  h(`Top artists this month (${m.from} … ${m.to}, ${plural(daysBetween(m.from, m.to), 'day')} so far)`);
  if (m.artists.length === 0) out.push('  no plays this month yet');
  out.push(...barChart(artistRows(m.artists), { ...style, width: 24 }));

  h(`Top tracks, last 12 months (${period12})`);
  if (stats.top_tracks_last_12_months.length === 0) out.push('  no plays in the last 12 months');
  out.push(...barChart(trackRows(stats.top_tracks_last_12_months), { ...style, width: 20 }));
  h('Top tracks of all time');
  if (allIn12) out.push('  the same as the last 12 months: the whole history is inside them');
  else out.push(...barChart(trackRows(stats.top_tracks_all_time), { ...style, width: 20 }));
  const tm = stats.top_tracks_this_month;
  h(`Top tracks this month (${tm.from} … ${tm.to}, ${plural(daysBetween(tm.from, tm.to), 'day')} so far)`);
  if (tm.tracks.length === 0) out.push('  no plays this month yet');
  out.push(...barChart(trackRows(tm.tracks), { ...style, width: 20 }));

  h(`Top albums, last 12 months (${period12})`);
  if (stats.top_albums_last_12_months.length === 0)
    out.push('  no plays with an album name in the last 12 months');
  out.push(...barChart(albumRows(stats.top_albums_last_12_months), { ...style, width: 20 }));
  h('Top albums of all time');
  if (allIn12) out.push('  the same as the last 12 months: the whole history is inside them');
  else out.push(...barChart(albumRows(stats.top_albums_all_time), { ...style, width: 20 }));

  h('Skips and completion');
  out.push(...ratesTable(stats.rates));

  h('By hour of day (plays)');
  out.push(
    ...barChart(
      stats.by_hour.map((r) => ({
        label: `${String(r.hour).padStart(2, '0')}:00`,
        value: r.plays,
        note: n(r.plays),
      })),
      style,
    ),
  );
  h('By day of week (plays)');
  out.push(
    ...barChart(
      stats.by_weekday.map((r) => ({ label: r.weekday, value: r.plays, note: n(r.plays) })),
      style,
    ),
  );

  const discovery = stats.new_artists_by_month.slice(-12);
  h('New artists discovered per month (last 12 months)');
  out.push(
    ...barChart(
      discovery.map((r) => ({ label: r.month, value: r.artists, note: n(r.artists) })),
      style,
    ),
  );

  if (stats.lake_objects_failed.length > 0)
    out.push(
      '',
      `  Left out: ${plural(stats.lake_objects_failed.length, 'lake object')} could not be loaded (see the warning above).`,
    );
  return `${out.join('\n')}\n`;
}
