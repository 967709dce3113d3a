import { describe, expect, it } from 'vitest';
import {
  axisTicks,
  columnChart,
  escapeXml,
  estimateTextWidth,
  fitText,
  heatmapChart,
  rankedBarChart,
} from '../../src/report/svg-charts.js';

describe('svg charts', () => {
  it('picks round axis steps and never fractional ones for small counts', () => {
    expect(axisTicks(0)).toEqual({ step: 1, top: 1 });
    expect(axisTicks(3)).toEqual({ step: 1, top: 3 });
    expect(axisTicks(13)).toEqual({ step: 5, top: 15 });
    expect(axisTicks(2974)).toEqual({ step: 1000, top: 3000 });
  });

  it('draws one bar per non-zero value, with escaped tooltips', () => {
    const svg = columnChart(
      [
        { label: 'a', value: 3, title: 'A <b>&' },
        { label: 'b', value: 0, title: 'B' },
        { label: 'c', value: 1, title: 'C', tick: 'Jan' },
      ],
      { label: 'x', kind: 'k', unit: 'min' },
    );
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(svg).toContain('<title>A &lt;b&gt;&amp;</title>');
    expect(svg).toContain('>Jan</text>');
    expect(columnChart([{ label: 'a', value: 0, title: '' }], { label: 'x', kind: 'k', unit: '' })).toContain(
      'No plays in this period',
    );
  });

  it('draws a 7 × 24 heatmap and ranked bars', () => {
    const matrix = Array.from({ length: 7 }, (_, d) =>
      Array.from({ length: 24 }, (_, h) => (d === 2 && h === 8 ? 5 : 0)),
    );
    const svg = heatmapChart(matrix, {
      label: 'h',
      rows: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
      timezone: 'Asia/Tokyo',
    });
    // The axis names the report's time zone, never a vague "local time".
    expect(svg).toContain('hour of day in Asia/Tokyo');
    expect(svg).not.toContain('local time');
    expect(svg.match(/<rect class="cell/g)).toHaveLength(168);
    expect(svg.match(/<rect class="cell zero"/g)).toHaveLength(167);
    expect(svg).toContain('Wed 08:00–08:59: 5 plays');
    const bars = rankedBarChart(
      [
        { label: 'One', value: 4, note: '4 plays' },
        { label: 'Two', sublabel: 'by "X"', value: 2, note: '2 plays' },
      ],
      { label: 't', kind: 'top' },
    );
    expect(bars.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(bars).toContain('by &quot;X&quot;');
    expect(escapeXml(`<'">&`)).toBe('&lt;&#39;&quot;&gt;&amp;');
  });

  it('draws for a phone too: labels above their bars, a heatmap of 24 rows, links, and why a chart is empty', () => {
    const bars = rankedBarChart(
      [
        {
          label: 'One',
          sublabel: 'Artist',
          value: 4,
          note: '4 plays',
          href: 'https://open.spotify.com/track/x',
        },
        { label: 'Two', sublabel: 'Artist', value: 2, note: '2 plays' },
      ],
      { label: 't', kind: 'top', layout: 'stacked' },
    );
    expect(bars).toContain('viewBox="0 0 330 ');
    // Each label starts at the left edge, above its bar (which starts at 14).
    expect(bars).toMatch(/<text class="label" x="0" y="14">1\. One<\/text>/);
    expect(bars).toMatch(/<rect class="bar" x="14" y="36"/);
    expect(bars).toContain(
      '<a href="https://open.spotify.com/track/x" target="_blank" rel="noopener noreferrer"><text class="label"',
    );
    expect(bars.match(/<a /g)).toHaveLength(1);
    const matrix = Array.from({ length: 7 }, (_, d) =>
      Array.from({ length: 24 }, (_, h) => (d === 6 && h === 23 ? 1 : 0)),
    );
    const tall = heatmapChart(matrix, {
      label: 'h',
      rows: ['M', 'T', 'W', 'T', 'F', 'S', 'Sun'],
      timezone: 'UTC',
      transposed: true,
    });
    expect(tall).toMatch(/viewBox="0 0 316 468"/);
    expect(tall.match(/<rect class="cell/g)).toHaveLength(168);
    expect(tall).toContain('Sun 23:00–23:59: 1 play<');
    expect(
      columnChart([{ label: 'a', value: 0, title: '' }], {
        label: 'x',
        kind: 'k',
        unit: '',
        emptyText: 'No new artists',
      }),
    ).toContain('>No new artists</text>');
  });

  it('cuts long labels to what fits before the bars, keeping the full name as a tooltip', () => {
    const long = 'W'.repeat(40);
    const bars = rankedBarChart(
      [
        {
          label: long,
          sublabel: '東京の夜に踊る長い長い曲のタイトルとアーティスト',
          value: 4,
          note: '4 plays',
        },
        { label: 'Short', value: 2, note: '2 plays' },
      ],
      { label: 't', kind: 'top' },
    );
    const shown = /<text class="label"[^>]*>1\. (W+…)<title>/.exec(bars)?.[1];
    expect(shown).toBeDefined();
    expect(estimateTextWidth(`1. ${shown}`, 13)).toBeLessThanOrEqual(180);
    expect(bars).toContain(`<title>${long}</title>`);
    expect(bars).toContain('>2. Short</text>');
    // Labels are clipped at the same edge whatever the real font's widths.
    expect(bars).toMatch(/<clipPath id="clip-top"><rect x="0" y="0" width="180"/);
    expect(bars).toMatch(/<g clip-path="url\(#clip-top\)"><text class="label"/);
    expect(fitText('Short', 100, 13)).toBe('Short');
    expect(estimateTextWidth('東京', 10)).toBeGreaterThan(estimateTextWidth('ab', 10));
  });
});
