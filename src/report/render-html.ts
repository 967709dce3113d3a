import { WEEKDAYS } from '../analytics/listening-stats.js';
import { localDateTime } from '../analytics/timezone.js';
import { plural } from '../util/plural.js';
import type { ReportData } from './report-data.js';
import { columnChart, escapeXml, heatmapChart, rankedBarChart, type BarDatum } from './svg-charts.js';

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
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap: 18px; margin-bottom: 18px; }
.pair section { margin-bottom: 0; min-width: 0; }
svg.chart { display: block; height: auto; overflow: visible; }
svg .bar { fill: var(--accent); }
svg .bar:hover, svg .cell:hover { fill: var(--accent-dark); }
svg .cell { fill: var(--accent); }
svg .cell.zero { fill: #f0f2f3; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .baseline { stroke: #9aa5ac; stroke-width: 1; }
svg text { font-size: 11px; fill: var(--muted); }
svg a .label { fill: var(--accent-dark); }
svg a:hover .label, svg a:focus .label { text-decoration: underline; }
svg .label { font-size: 13px; fill: var(--ink); }
svg .sublabel { font-size: 11px; }
svg .value { font-size: 11px; fill: var(--ink); }
svg .empty { font-size: 14px; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
.note { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
table.accounts { border-collapse: collapse; width: 100%; }
table.accounts th, table.accounts td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); }
table.accounts th:first-child, table.accounts td:first-child { text-align: left; overflow-wrap: anywhere; }
/* Each chart comes twice: drawn for a wide screen and for a phone, so that its text is read at its own size
   rather than scaled down to a few pixels; the screen's width picks one. */
.narrow { display: none; }
@media (max-width: 640px) {
  main { padding: 16px 12px 32px; }
  h1 { font-size: 23px; }
  .card, section { padding: 12px; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .card b { font-size: 20px; }
  .wide { display: none; }
  .narrow { display: block; }
}
`;

/** A chart drawn twice, for a wide screen and for a phone (the CSS shows one). */
const responsive = (wide: string, narrow: string) =>
  `<div class="wide">${wide}</div><div class="narrow">${narrow}</div>`;

/** The axis label under day `i` of `days`, if any: fewer on a phone, where a label needs more of the width. */
function dayTick(days: readonly { date: string }[], i: number, narrow: boolean): string | undefined {
  const [y, m, dd] = days[i]!.date.split('-');
  const month = MONTHS[Number(m) - 1]!;
  const day = Number(dd);
  // Every day (every third on a phone) for two weeks, every week (fortnight) up to two months, else months.
  if (days.length <= 14) return i % (narrow ? 3 : 1) === 0 ? `${month} ${day}` : undefined;
  if (days.length <= 62) return i % (narrow ? 14 : 7) === 0 ? `${month} ${day}` : undefined;
  // A period that starts early in a month names that month too, not only the next one (on a wide screen: on
  // a phone its label would run into the next month's).
  const first = !narrow && i === 0 && day <= 10;
  if (dd !== '01' && !first) return undefined;
  if (narrow && (Number(m) - 1) % 3 !== 0 && !first) return undefined;
  return m === '01' || i === 0 ? `${month} ${y}` : month;
}

/** The report as one self-contained HTML document. Pure: the same data gives the same bytes. */
export function renderReportHtml(data: ReportData): string {
  const t = data.totals;
  const days = data.minutes_per_day;
  const perDayData = (narrow: boolean) =>
    days.map((d, i) => ({
      label: d.date,
      value: d.minutes,
      title: `${d.date}: ${n(d.minutes)} min, ${plural(d.plays, 'play')}`,
      tick: dayTick(days, i, narrow),
    }));
  const perDayOptions = { label: 'Minutes listened per day', kind: 'minutes-per-day', unit: 'min' };
  const perDay = responsive(
    columnChart(perDayData(false), perDayOptions),
    columnChart(perDayData(true), { ...perDayOptions, width: 330, height: 200 }),
  );
  const heatmapOptions = {
    label: 'Plays by hour of day and weekday',
    rows: WEEKDAYS,
    timezone: data.timezone,
  };
  const heatmap = responsive(
    heatmapChart(data.heatmap, heatmapOptions),
    heatmapChart(data.heatmap, { ...heatmapOptions, transposed: true }),
  );
  const ranked = (bars: BarDatum[], options: { label: string; kind: string }) =>
    responsive(rankedBarChart(bars, options), rankedBarChart(bars, { ...options, layout: 'stacked' }));
  const artists = ranked(
    data.top_artists.map((a) => ({ label: a.name, value: a.plays, note: plural(a.plays, 'play') })),
    { label: 'Top artists', kind: 'top-artists' },
  );
  const tracks = ranked(
    data.top_tracks.map((tr) => ({
      label: tr.name,
      sublabel: tr.artist,
      value: tr.plays,
      note: plural(tr.plays, 'play'),
      href: tr.url ?? undefined,
    })),
    { label: 'Top tracks', kind: 'top-tracks' },
  );
  const albums = ranked(
    data.top_albums.map((al) => ({
      label: al.name,
      sublabel: al.artist,
      value: al.plays,
      note: plural(al.plays, 'play'),
      href: al.url ?? undefined,
    })),
    { label: 'Top albums', kind: 'top-albums' },
  );
  // Podcasts only when the period has some: an empty panel would only say the export held none.
  const episodes = data.top_episodes.length
    ? `<section id="top-episodes"><h2>Top podcast episodes</h2>${ranked(
        data.top_episodes.map((e) => ({
          label: e.name,
          sublabel: e.show,
          value: e.plays,
          note: plural(e.plays, 'play'),
          href: e.url ?? undefined,
        })),
        { label: 'Top podcast episodes', kind: 'top-episodes' },
      )}</section>`
    : '';
  const months = data.new_artists_by_month;
  const discoveryTick = (i: number, narrow: boolean): string | undefined => {
    const [y, m] = months[i]!.month.split('-');
    const name = MONTHS[Number(m) - 1]!;
    if (!narrow) {
      const every = months.length <= 24 ? 1 : 12;
      if (i % every !== 0 && m !== '01') return undefined;
      return m === '01' || months.length <= 13 ? `${name} ${y}` : name;
    }
    // A phone has room for a label every other month (every sixth for long periods): the year goes on the
    // first label and wherever it changes.
    const every = months.length <= 13 ? 2 : 6;
    if (i % every !== 0) return undefined;
    const year = i === 0 || months[i - every]!.month.slice(0, 4) !== y;
    return year ? `${name} ’${y!.slice(2)}` : name;
  };
  const discoveryData = (narrow: boolean) =>
    months.map((d, i) => ({
      label: d.month,
      value: d.artists,
      title: `${d.month}: ${plural(d.artists, 'new artist')}${d.examples.length ? ` (${d.examples.join(', ')}…)` : ''}`,
      tick: discoveryTick(i, narrow),
    }));
  const discoveryOptions = {
    label: 'New artists discovered per month',
    kind: 'discovery',
    unit: 'artists',
    height: 220,
    // Plays but no new artist is not "no plays".
    emptyText:
      t.plays > 0 ? 'No new artists in this period: every artist played had been heard before' : undefined,
  };
  const discovery = responsive(
    columnChart(discoveryData(false), { ...discoveryOptions, showValues: months.length <= 24 }),
    columnChart(discoveryData(true), {
      ...discoveryOptions,
      width: 330,
      height: 200,
      showValues: months.length <= 12,
      emptyText: t.plays > 0 ? 'No new artists: all heard before' : undefined,
    }),
  );
  const household = data.accounts.length > 1;
  const accounts = household
    ? `<section id="accounts"><h2>Accounts</h2>
<p class="note" style="margin:0 0 8px">This report is the household's: the figures above and below are all ${data.accounts.length} accounts together. <code>report --account &lt;id&gt;</code> makes one of a single account.</p>
<table class="accounts"><thead><tr><th>account</th><th>plays</th><th>listened</th><th>days</th></tr></thead><tbody>
${data.accounts.map((a) => `<tr><td>${escapeXml(a.account)}</td><td>${n(a.plays)}</td><td>${escapeXml(kpiHours(a.minutes))}</td><td>${n(a.days_listened)}</td></tr>`).join('\n')}
</tbody></table></section>`
    : '';
  const period = `${data.from} to ${data.to}`;
  // Whose listening this is, always: the accounts of a household, or the one account.
  const who = household
    ? ` · ${data.accounts.length} accounts: ${data.accounts.map((a) => a.account).join(', ')}`
    : data.accounts.length === 1 && !data.account
      ? ` · account ${data.accounts[0]!.account}`
      : '';
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
<p class="sub">${escapeXml(period)} · times in ${escapeXml(data.timezone)}${escapeXml(who)}</p>
<div class="cards">
  <div class="card"><b>${n(t.plays)}</b><span>plays</span></div>
  <div class="card" title="${escapeXml(hours(t.minutes))}"><b>${escapeXml(kpiHours(t.minutes))}</b><span>listened</span></div>
  <div class="card"><b>${n(t.unique_artists)}</b><span>artists</span></div>
  <div class="card"><b>${n(t.unique_tracks)}</b><span>tracks</span></div>
  <div class="card"><b>${n(t.days_listened)}</b><span>days with music</span></div>
</div>
${accounts}
<section id="minutes-per-day"><h2>Minutes per day</h2>${perDay}</section>
<section id="heatmap"><h2>When you listen</h2>${heatmap}</section>
<div class="pair">
<section id="top-artists"><h2>Top artists</h2>${artists}</section>
<section id="top-tracks"><h2>Top tracks</h2>${tracks}</section>
<section id="top-albums"><h2>Top albums</h2>${albums}</section>
${episodes}
</div>
<section id="discovery"><h2>New artists discovered</h2>${discovery}
<p class="note">An artist counts in the month you first played them, over your whole history.</p></section>
<footer>Made by spotify-pipeline on ${escapeXml(localDateTime(Date.parse(data.generated_at), data.timezone).text)} (${escapeXml(data.timezone)}) from your own data lake. Minutes count the time played where Spotify's export records it, else the track length. Track, album and episode names open them in Spotify, where the plays carry Spotify's id.</footer>
</main>
</body>
</html>
`;
}
