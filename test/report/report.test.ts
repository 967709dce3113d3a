import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localDate } from '../../src/analytics/timezone.js';
import { silentLogger } from '../../src/log.js';
import { loadReportData } from '../../src/report/report-data.js';
import { writeReport } from '../../src/report/write-report.js';
import { openWarehouse } from '../../src/warehouse/warehouse.js';
import { chromiumPath, renderInChromium } from './chromium.js';
import { localSetup, writeEpisodes, writePlays } from '../warehouse/lake-fixture.js';
import { episode, play } from '../helpers/records.js';

async function sampleLake(name: string) {
  const s = localSetup(name);
  const plays = [];
  // 2023: 60 days with 1..4 plays at varied hours, three artists, one name that must be escaped.
  for (let d = 0; d < 60; d++) {
    const base = Date.UTC(2023, 0, 1) + d * 3 * 86_400_000;
    for (let i = 0; i <= d % 4; i++)
      plays.push(
        play(base + (7 + ((d * 5 + i * 3) % 16)) * 3_600_000, {
          primary_artist_name: ['Nina <script>alert(1)</script>', 'Björk & Co', 'Third "Artist"'][
            (d + i) % 3
          ]!,
          track_name: `Song ${(d + i) % 9}`,
        }),
      );
  }
  // Outside the period: must not count.
  plays.push(play('2022-12-31T12:00:00.000Z', { primary_artist_name: 'Early Band' }));
  plays.push(play('2024-01-01T12:00:00.000Z', { primary_artist_name: 'Late Band' }));
  await writePlays(s.store, plays);
  return { s, inPeriod: plays.length - 2, plays: plays.slice(0, -2) };
}

describe('report', () => {
  it('gathers the period in local time: days, heatmap, tops, discovery over the whole history', async () => {
    const { s, inPeriod } = await sampleLake('report-data');
    const wh = await openWarehouse(s.config, silentLogger);
    try {
      await wh.refresh();
      const data = await loadReportData(wh, { tz: 'UTC', from: '2023-01-01', to: '2023-12-31' });
      expect(data.totals.plays).toBe(inPeriod);
      expect(data.minutes_per_day).toHaveLength(365);
      expect(data.minutes_per_day.reduce((sum, d) => sum + d.plays, 0)).toBe(inPeriod);
      expect(data.heatmap.flat().reduce((a, b) => a + b, 0)).toBe(inPeriod);
      expect(data.top_artists.map((a) => a.name).sort()).toEqual(
        ['Björk & Co', 'Nina <script>alert(1)</script>', 'Third "Artist"'].sort(),
      );
      // The three artists were all first heard in January 2023; Early Band (2022) is not new in 2023.
      expect(data.new_artists_by_month).toHaveLength(12);
      expect(data.new_artists_by_month[0]).toMatchObject({ month: '2023-01', artists: 3 });
      expect(data.new_artists_by_month.slice(1).every((m) => m.artists === 0)).toBe(true);
    } finally {
      wh.close();
    }
  });

  it('writes one self-contained HTML file that renders in headless Chromium with no errors', async (ctx) => {
    if (!chromiumPath() && !process.env.CI) {
      ctx.skip(); // CI installs Debian's chromium (.ci/run) and must run this.
      return;
    }
    const { s, inPeriod, plays } = await sampleLake('report-html');
    const out = path.join(s.root, 'out', 'report.html');
    const result = await writeReport(s.config, silentLogger, {
      out,
      from: '2023-01-01',
      to: '2023-12-31',
      tz: 'Europe/Berlin',
    });
    expect(result).toMatchObject({
      out,
      plays: inPeriod,
      from: '2023-01-01',
      to: '2023-12-31',
      failedObjects: 0,
    });
    const html = readFileSync(out, 'utf8');
    // Nothing external: no script, no link, no remote URL; names are escaped.
    // Links that open a track in Spotify are navigation, not requests: the only URLs allowed.
    expect(html).not.toMatch(
      /<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg|open\.spotify\.com\/)/i,
    );
    expect(html).toContain('Nina &lt;script&gt;alert(1)&lt;/script&gt;');

    const page = await renderInChromium(out);
    expect(page.consoleErrors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    expect(page.requests).toEqual([`file://${out}`]);
    expect(page.title).toContain('2023-01-01 to 2023-12-31');
    expect(page.text).toContain(String(inPeriod));
    expect(page.charts.map((c) => c.kind)).toEqual([
      'minutes-per-day',
      'heatmap',
      'top-artists',
      'top-tracks',
      'top-albums',
      'discovery',
    ]);
    for (const chart of page.charts) {
      expect(chart.width, chart.kind).toBeGreaterThan(100);
      expect(chart.height, chart.kind).toBeGreaterThan(40);
      expect(chart.marks, chart.kind).toBeGreaterThan(0);
    }
    // One bar per local day with music: late UTC evenings are the next day in Berlin.
    const berlinDays = new Set(plays.map((p) => localDate(new Date(p.played_at), 'Europe/Berlin')));
    expect(berlinDays.size).toBeGreaterThan(60);
    expect(page.charts.find((c) => c.kind === 'minutes-per-day')!.marks).toBe(berlinDays.size);
    expect(page.charts.find((c) => c.kind === 'top-artists')!.marks).toBe(3);
  });

  it('keeps KPI figures on one line, long titles clear of their bars, and one time zone throughout', async (ctx) => {
    if (!chromiumPath() && !process.env.CI) {
      ctx.skip();
      return;
    }
    const s = localSetup('report-layout');
    const titles = [
      'W'.repeat(48),
      'Dream (feat. Ünïcödé "Quotes") — Extended Club Remix by Somebody Famous',
      '東京の夜に踊る長い長い曲のタイトルはここまで続きます',
      'Mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm 🎧🎧🎧',
    ];
    // 20 plays of 5,583 min 15 s each (long, to reach it with few rows): 1,861 h 5 min, the figure that wrapped.
    const plays = Array.from({ length: 20 }, (_, i) =>
      play(Date.UTC(2024, 2, 1 + i, 20), {
        track_name: titles[i % titles.length]!,
        primary_artist_name: `${'Artist with a very long name, really '.repeat(2)}${i % 4}`,
        ms_played: 334_995_000,
      }),
    );
    await writePlays(s.store, plays);
    const out = path.join(s.root, 'layout.html');
    await writeReport(s.config, silentLogger, {
      out,
      from: '2024-01-01',
      to: '2024-12-31',
      tz: 'UTC',
      now: new Date('2024-12-31T23:30:00Z'),
    });
    const html = readFileSync(out, 'utf8');
    const page = await renderInChromium(out, {
      screenshot: process.env.REPORT_SCREENSHOT,
      probe: `(() => {
        const cards = [...document.querySelectorAll('.card b')].map((b) => ({
          text: b.textContent,
          height: b.getBoundingClientRect().height,
          lineHeight: parseFloat(getComputedStyle(b).lineHeight),
          fits: b.scrollWidth <= b.parentElement.clientWidth,
        }));
        // For each ranked row: where its label and sublabel end, and where its bar starts, on screen.
        const overlaps = [];
        for (const svg of [...document.querySelectorAll('svg.chart-top-artists, svg.chart-top-tracks')].filter((e) => e.getClientRects().length > 0)) {
          const bars = [...svg.querySelectorAll('rect.bar')];
          const labels = [...svg.querySelectorAll('text.label')];
          const subs = [...svg.querySelectorAll('text.sublabel')];
          bars.forEach((bar, i) => {
            const left = bar.getBoundingClientRect().left;
            for (const t of [labels[i], subs[i]].filter(Boolean)) {
              const right = t.getBoundingClientRect().right;
              if (right > left - 2) overlaps.push({ text: t.textContent, right, left });
            }
          });
        }
        return { cards, overlaps, header: document.querySelector('.sub').textContent, footer: document.querySelector('footer').textContent };
      })()`,
    });
    const probe = page.probe as {
      cards: { text: string; height: number; lineHeight: number; fits: boolean }[];
      overlaps: unknown[];
      header: string;
      footer: string;
    };
    for (const card of probe.cards) {
      expect(card.height, card.text).toBeLessThan(card.lineHeight * 1.5);
      expect(card.fits, card.text).toBe(true);
    }
    expect(probe.overlaps).toEqual([]);
    // The exact time stays one hover away.
    expect(html).toContain('<div class="card" title="1,861 h 5 min"><b>1,861 h</b>');
    // The header, the heatmap and the footer all speak of the same zone.
    expect(probe.header).toContain('times in UTC');
    expect(page.text).not.toContain('local time');
    expect(html).toContain('hour of day in UTC');
    expect(probe.footer).toContain('on 2024-12-31 23:30 (UTC)');
    expect(page.consoleErrors).toEqual([]);

    const berlin = path.join(s.root, 'berlin.html');
    await writeReport(s.config, silentLogger, {
      out: berlin,
      from: '2024-01-01',
      to: '2024-12-31',
      tz: 'Europe/Berlin',
      now: new Date('2024-12-31T23:30:00Z'),
    });
    const b = readFileSync(berlin, 'utf8');
    expect(b).toContain('times in Europe/Berlin');
    expect(b).toContain('hour of day in Europe/Berlin');
    expect(b).toContain('on 2025-01-01 00:30 (Europe/Berlin)');
  });

  it('an empty lake gives an empty report and a note saying how to fill it (no data is not an error)', async () => {
    const s = localSetup('report-empty');
    const out = path.join(s.root, 'r.html');
    const notes: string[] = [];
    const result = await writeReport(s.config, silentLogger, {
      out,
      tz: 'UTC',
      onWarning: (text) => notes.push(text),
    });
    expect(result.plays).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<html');
    expect(notes.join('\n')).toMatch(/report is empty.*holds no plays yet.*run-once/);
  });
});

/** A year of two accounts' plays with long names, Spotify ids and albums: what a household's report holds. */
async function householdLake(name: string) {
  const s = localSetup(name);
  const id = (n: number, c: string) => `${c}${String(n).padStart(21, '0')}`;
  const names = [
    'Dream (feat. Ünïcödé "Quotes") — Extended Club Remix by Somebody Famous',
    '東京の夜に踊る長い長い曲のタイトルはここまで続きます',
    'Short',
    'W'.repeat(40),
  ];
  const plays = [];
  for (let d = 0; d < 300; d++)
    for (let i = 0; i <= d % 5; i++) {
      const n = (d * 7 + i) % 23;
      plays.push(
        play(Date.UTC(2024, 0, 1 + d, 6 + ((d * 3 + i * 5) % 17)), {
          user_id: i % 3 === 0 ? 'bob' : 'alice-with-a-rather-long-account-name',
          track_name: `${names[n % 4]} ${n}`,
          track_id: id(n, 'T'),
          primary_artist_name: `Artist with a very long name, really ${n % 6}`,
          album_name: `The album that goes on and on ${n % 5}`,
          album_id: id(n % 5, 'A'),
          // A late month of 12,345 plays' worth of time on one day: the widest figures.
          ms_played: d === 250 ? 3_600_000 * 20 : 200_000,
        }),
      );
    }
  await writePlays(s.store, plays);
  await writeEpisodes(
    s.store,
    Array.from({ length: 12 }, (_, i) =>
      episode(new Date(Date.UTC(2024, 2, 1 + i, 19)).toISOString(), {
        episode_id: id(i % 3, 'E'),
        episode_name: `Episode ${i % 3} of a show about very long episode titles`,
        show_name: 'The Long Show',
        user_id: 'bob',
      }),
    ),
  );
  return s;
}

/** Measured in the page: what overflows, what is cut off, and the smallest text on screen. */
const LAYOUT_PROBE = `(() => {
  const visible = (el) => el.getClientRects().length > 0;
  const doc = document.documentElement;
  const texts = [...document.querySelectorAll('svg.chart text')].filter(visible).filter((t) => t.textContent.trim());
  // The size a text is drawn at: its font size times the scale of its chart's viewBox on screen.
  const sizes = texts.map((t) => ({ text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a }));
  const smallest = sizes.reduce((a, b) => (b.px < a.px ? b : a), { text: '', px: Infinity });
  // Every play count inside its chart and its panel: nothing cut off at the right.
  const cut = [...document.querySelectorAll('svg.chart text.value')].filter(visible).filter((t) => {
    const r = t.getBoundingClientRect();
    const panel = t.closest('section').getBoundingClientRect();
    return r.right > panel.right - 1 || r.right > doc.clientWidth;
  }).map((t) => t.textContent);
  const sections = [...document.querySelectorAll('section, .card')].filter((e) => e.getBoundingClientRect().right > doc.clientWidth + 0.5).map((e) => e.id || e.className);
  const links = [...document.querySelectorAll('a')].filter(visible).map((a) => a.getAttribute('href'));
  // No two labels of a chart drawn over each other (axis ticks that run into the next, say).
  const overlaps = [];
  for (const svg of [...document.querySelectorAll('svg.chart')].filter(visible)) {
    const boxes = [...svg.querySelectorAll('text')].filter((t) => t.textContent.trim()).map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }));
    boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
      const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (x > 1 && y > 1) overlaps.push(a.text + ' / ' + b.text);
    }));
  }
  return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, smallest, cut, sections, links, overlaps };
})()`;

describe('the report on a phone and on a desktop', () => {
  it('fits 360, 390 and 1280 px: no sideways scrolling, nothing cut off, text of 10 px or more, links to Spotify', async (ctx) => {
    if (!chromiumPath() && !process.env.CI) {
      ctx.skip();
      return;
    }
    const s = await householdLake('report-widths');
    const out = path.join(s.root, 'household.html');
    await writeReport(s.config, silentLogger, {
      out,
      from: '2023-12-08',
      to: '2024-12-07',
      tz: 'UTC',
      now: new Date('2024-12-31T23:30:00Z'),
    });
    for (const width of [360, 390, 1280]) {
      const shot = process.env.REPORT_SCREENSHOT_DIR
        ? path.join(process.env.REPORT_SCREENSHOT_DIR, `report-${width}.png`)
        : undefined;
      const page = await renderInChromium(out, { width, probe: LAYOUT_PROBE, screenshot: shot });
      const probe = page.probe as {
        scrollWidth: number;
        clientWidth: number;
        smallest: { text: string; px: number };
        cut: string[];
        sections: string[];
        links: string[];
        overlaps: string[];
      };
      expect(page.consoleErrors, `${width}`).toEqual([]);
      expect(probe.clientWidth, `${width}`).toBe(width);
      expect(probe.scrollWidth, `${width}: the page scrolls sideways`).toBeLessThanOrEqual(width);
      expect(probe.sections, `${width}`).toEqual([]);
      expect(probe.cut, `${width}: play counts cut off`).toEqual([]);
      expect(probe.overlaps, `${width}: labels drawn over each other`).toEqual([]);
      expect(probe.smallest.px, `${width}: "${probe.smallest.text}" is too small`).toBeGreaterThanOrEqual(10);
      // Every chart once, each with its marks: the phone's and the desktop's drawings alike.
      expect(page.charts.map((c) => c.kind)).toEqual([
        'minutes-per-day',
        'heatmap',
        'top-artists',
        'top-tracks',
        'top-albums',
        'top-episodes',
        'discovery',
      ]);
      for (const chart of page.charts) expect(chart.marks, `${width} ${chart.kind}`).toBeGreaterThan(0);
      expect(probe.links).toContain(`https://open.spotify.com/episode/E${'0'.repeat(20)}1`);
      expect(probe.links).toContain(`https://open.spotify.com/track/T${'0'.repeat(20)}1`);
      expect(probe.links).toContain(`https://open.spotify.com/album/A${'0'.repeat(20)}1`);
      expect(probe.links.every((l) => l.startsWith('https://open.spotify.com/'))).toBe(true);
      // Two accounts: the report says it is a household's, and names both.
      expect(page.title).toContain('household of 2 accounts');
      expect(page.text).toContain('alice-with-a-rather-long-account-name');
      expect(page.text).toMatch(/the figures above and below are all 2 accounts together/);
      expect(page.requests).toEqual([`file://${out}`]);
    }
  });

  it('says "no new artists" (not "no plays") when a period has plays of artists heard before', async () => {
    const s = localSetup('report-no-new');
    await writePlays(s.store, [
      play('2023-05-01T12:00:00.000Z', { primary_artist_name: 'Known' }),
      play('2024-05-01T12:00:00.000Z', { primary_artist_name: 'Known' }),
    ]);
    const out = path.join(s.root, 'r.html');
    await writeReport(s.config, silentLogger, { out, from: '2024-01-01', to: '2024-12-31', tz: 'UTC' });
    const html = readFileSync(out, 'utf8');
    const discovery = html.slice(html.indexOf('<section id="discovery">'));
    expect(discovery).toContain('No new artists in this period: every artist played had been heard before');
    expect(discovery).not.toContain('No plays in this period');
    // One account: no household wording, but the page says whose listening it is.
    expect(html).not.toContain('household');
    expect(html).toContain('times in UTC · account user1</p>');
    // No podcast episodes: no podcast panel at all (rather than an empty one).
    expect(html).not.toContain('Top podcast episodes');
  });
});

describe('the Chromium check itself', () => {
  it('sees console errors, page errors and outside requests', async (ctx) => {
    if (!chromiumPath() && !process.env.CI) {
      ctx.skip();
      return;
    }
    const s = localSetup('chromium-check');
    const file = path.join(s.root, 'broken.html');
    writeFileSync(
      file,
      '<!doctype html><title>t</title><script>console.error("boom"); undefinedFunction();</script><img src="http://127.0.0.1:9/x.png"><svg class="chart chart-x"></svg>',
    );
    const page = await renderInChromium(file);
    expect(page.consoleErrors.some((e) => e.includes('boom'))).toBe(true);
    expect(page.pageErrors.join()).toContain('undefinedFunction');
    expect(page.requests).toContain('http://127.0.0.1:9/x.png');
    expect(page.charts).toEqual([
      { kind: 'x', width: expect.any(Number), height: expect.any(Number), marks: 0 },
    ]);
  });
});
