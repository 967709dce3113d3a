import { describe, expect, it } from 'vitest';
import {
  axisTicks,
  columnChart,
  escapeXml,
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
    const svg = heatmapChart(matrix, { label: 'h', rows: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] });
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
});
