import type { ListeningStats, TrackCount } from './listening-stats.js';
import { barChart, heading, sparkline, type ChartStyle } from './terminal-charts.js';

const n = (value: number) => value.toLocaleString('en-US');

export function formatMinutes(minutes: number): string {
  const total = Math.round(minutes);
  const h = Math.floor(total / 60);
  return h > 0 ? `${n(h)} h ${total % 60} min` : `${total} min`;
}

function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text;
}

function trackRows(tracks: TrackCount[]) {
  return tracks.map((t, i) => ({
    label: `${String(i + 1).padStart(2)}. ${cut(`${t.track} · ${t.artist}`, 44)}`,
    value: t.plays,
    note: `${n(t.plays)} plays`,
  }));
}

/** The listening analytics as terminal text with bar charts; `color` adds ANSI colours. */
export function formatListeningStats(stats: ListeningStats, style: ChartStyle = {}): string {
  const out: string[] = [];
  const h = (text: string) => out.push('', heading(text, style));
  out.push(
    heading(`Listening${stats.account ? ` of ${stats.account}` : ''} (times in ${stats.timezone})`, style),
  );
  if (stats.empty) {
    out.push(`  ${stats.message ?? 'No plays yet.'}`);
    return `${out.join('\n')}\n`;
  }
  const t = stats.totals;
  out.push(
    `  ${n(t.plays)} plays · ${formatMinutes(t.minutes)} · ${n(t.unique_tracks)} tracks · ${n(t.unique_artists)} artists · ${n(t.days_listened)} days`,
    `  first play ${t.first_play?.replace('T', ' ')} · last play ${t.last_play?.replace('T', ' ')}`,
  );
  const { longest, current } = stats.streaks;
  if (longest)
    out.push(
      `  longest daily streak: ${longest.days} day${longest.days === 1 ? '' : 's'} (${longest.from} → ${longest.to})` +
        (current
          ? ` · current: ${current.days} day${current.days === 1 ? '' : 's'}`
          : ' · no current streak'),
    );

  const daily = stats.daily_last_30_days;
  const total30 = daily.reduce((sum, d) => sum + d.minutes, 0);
  h(`Last 30 days: ${formatMinutes(total30)}, ${n(daily.reduce((s, d) => s + d.plays, 0))} plays`);
  out.push(
    `  minutes per day ${daily[0]?.date.slice(5)} │${sparkline(daily.map((d) => d.minutes))}│ ${daily.at(-1)?.date.slice(5)}`,
  );
  out.push(
    ...barChart(
      // The sparkline shows the quiet days; the bars list the days with music.
      daily
        .filter((d) => d.plays > 0)
        .map((d) => ({
          label: d.date,
          value: d.minutes,
          note: `${n(d.plays)} plays, ${Math.round(d.minutes)} min, ${d.unique_artists} artists`,
        })),
      { ...style, width: 30 },
    ),
  );

  h(`Top artists in ${stats.top_artists_this_month.month}`);
  if (stats.top_artists_this_month.artists.length === 0) out.push('  no plays this month yet');
  out.push(
    ...barChart(
      stats.top_artists_this_month.artists.map((a, i) => ({
        label: `${String(i + 1).padStart(2)}. ${cut(a.artist, 30)}`,
        value: a.plays,
        note: `${n(a.plays)} plays, ${formatMinutes(a.minutes)}`,
      })),
      { ...style, width: 24 },
    ),
  );
  h(`Top tracks in ${stats.top_tracks_this_month.month}`);
  if (stats.top_tracks_this_month.tracks.length === 0) out.push('  no plays this month yet');
  out.push(...barChart(trackRows(stats.top_tracks_this_month.tracks), { ...style, width: 20 }));
  h('Top tracks of all time');
  out.push(...barChart(trackRows(stats.top_tracks_all_time), { ...style, width: 20 }));

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
      `  Left out: ${stats.lake_objects_failed.length} lake object(s) could not be loaded (see the warning above).`,
    );
  return `${out.join('\n')}\n`;
}
