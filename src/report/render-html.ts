import { WEEKDAYS } from '../analytics/listening-stats.js';
import { plural } from '../util/plural.js';
import type { ReportData } from './report-data.js';
import { columnChart, escapeXml, heatmapChart, rankedBarChart } from './svg-charts.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const n = (v: number) => v.toLocaleString('en-US');

function hours(minutes: number): string {
  const total = Math.round(minutes);
  return total >= 60 ? `${n(Math.floor(total / 60))} h ${total % 60} min` : `${total} min`;
}

/** The figure of a KPI card, short enough for one line: whole hours from 100 h on (the exact time is its tooltip). */
function kpiHours(minutes: number): string {
  return minutes >= 100 * 60 ? `${n(Math.round(minutes / 60))} h` : hours(minutes);
}

/** `YYYY-MM-DD HH:MM` of an instant in a time zone (sv-SE formats that way). */
function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));
}

/** Everything inline: the page must work from disk, offline, with no request of any kind. */
const STYLE = `
:root { --ink: #1d2327; --muted: #5f6b73; --accent: #1db954; --accent-dark: #128a3e; --line: #e3e7ea; --bg: #fafbfb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
main { max-width: 1040px; margin: 0 auto; padding: 28px 20px 48px; }
h1 { margin: 0 0 4px; font-size: 28px; }
h2 { margin: 0 0 12px; font-size: 18px; }
.sub { color: var(--muted); margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 20px; }
.card, section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
section { margin-bottom: 18px; }
.card b { display: block; font-size: 22px; white-space: nowrap; }
.card span { color: var(--muted); font-size: 13px; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 18px; }
.pair section { margin-bottom: 0; }
svg.chart { display: block; height: auto; overflow: visible; }
svg .bar { fill: var(--accent); }
svg .bar:hover, svg .cell:hover { fill: var(--accent-dark); }
svg .cell { fill: var(--accent); }
svg .cell.zero { fill: #f0f2f3; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .baseline { stroke: #9aa5ac; stroke-width: 1; }
svg text { font-size: 11px; fill: var(--muted); }
svg .label { font-size: 13px; fill: var(--ink); }
svg .sublabel { font-size: 11px; }
svg .value { font-size: 11px; fill: var(--ink); }
svg .empty { font-size: 14px; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
.note { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
`;

/** The report as one self-contained HTML document. Pure: the same data gives the same bytes. */
export function renderReportHtml(data: ReportData): string {
  const t = data.totals;
  const days = data.minutes_per_day;
  const perDay = columnChart(
    days.map((d, i) => {
      const [y, m, dd] = d.date.split('-');
      const month = MONTHS[Number(m) - 1]!;
      // Every day for two weeks, every week up to two months, else the first of each month.
      let tick: string | undefined;
      if (days.length <= 14) tick = `${month} ${Number(dd)}`;
      else if (days.length <= 62) tick = i % 7 === 0 ? `${month} ${Number(dd)}` : undefined;
      else if (dd === '01') tick = m === '01' || i === 0 ? `${month} ${y}` : month;
      return {
        label: d.date,
        value: d.minutes,
        title: `${d.date}: ${n(d.minutes)} min, ${plural(d.plays, 'play')}`,
        tick,
      };
    }),
    { label: 'Minutes listened per day', kind: 'minutes-per-day', unit: 'min' },
  );
  const heatmap = heatmapChart(data.heatmap, {
    label: 'Plays by hour of day and weekday',
    rows: WEEKDAYS,
    timezone: data.timezone,
  });
  const artists = rankedBarChart(
    data.top_artists.map((a) => ({ label: a.name, value: a.plays, note: plural(a.plays, 'play') })),
    { label: 'Top artists', kind: 'top-artists' },
  );
  const tracks = rankedBarChart(
    data.top_tracks.map((tr) => ({
      label: tr.name,
      sublabel: tr.artist,
      value: tr.plays,
      note: plural(tr.plays, 'play'),
    })),
    { label: 'Top tracks', kind: 'top-tracks' },
  );
  const discovery = columnChart(
    data.new_artists_by_month.map((d) => {
      const [y, m] = d.month.split('-');
      return {
        label: d.month,
        value: d.artists,
        title: `${d.month}: ${plural(d.artists, 'new artist')}${d.examples.length ? ` (${d.examples.join(', ')}…)` : ''}`,
        tick:
          data.new_artists_by_month.length <= 24 || m === '01'
            ? `${MONTHS[Number(m) - 1]}${m === '01' || data.new_artists_by_month.length <= 13 ? ` ${y}` : ''}`
            : undefined,
      };
    }),
    {
      label: 'New artists discovered per month',
      kind: 'discovery',
      unit: 'artists',
      height: 220,
      showValues: data.new_artists_by_month.length <= 24,
    },
  );
  const period = `${data.from} to ${data.to}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeXml(`${data.title}, ${period}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeXml(data.title)}</h1>
<p class="sub">${escapeXml(period)} · times in ${escapeXml(data.timezone)}</p>
<div class="cards">
  <div class="card"><b>${n(t.plays)}</b><span>plays</span></div>
  <div class="card" title="${escapeXml(hours(t.minutes))}"><b>${escapeXml(kpiHours(t.minutes))}</b><span>listened</span></div>
  <div class="card"><b>${n(t.unique_artists)}</b><span>artists</span></div>
  <div class="card"><b>${n(t.unique_tracks)}</b><span>tracks</span></div>
  <div class="card"><b>${n(t.days_listened)}</b><span>days with music</span></div>
</div>
<section id="minutes-per-day"><h2>Minutes per day</h2>${perDay}</section>
<section id="heatmap"><h2>When you listen</h2>${heatmap}</section>
<div class="pair">
<section id="top-artists"><h2>Top artists</h2>${artists}</section>
<section id="top-tracks"><h2>Top tracks</h2>${tracks}</section>
</div>
<section id="discovery" style="margin-top:18px"><h2>New artists discovered</h2>${discovery}
<p class="note">An artist counts in the month you first played them, over your whole history.</p></section>
<footer>Made by spotify-pipeline on ${escapeXml(localTime(data.generated_at, data.timezone))} (${escapeXml(data.timezone)}) from your own data lake. Minutes count the time played where Spotify's export records it, else the track length.</footer>
</main>
</body>
</html>
`;
}
