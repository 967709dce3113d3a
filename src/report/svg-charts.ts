/**
 * Charts as inline SVG strings: no script, no library, nothing fetched, so the report opens from disk
 * anywhere. Every mark carries a <title>, which browsers show as a tooltip.
 */

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * A generous estimate of a text's rendered width in px: SVG has no text measurement without a script, so
 * labels are cut to what surely fits (and clipped as well). Widths are of the widest common sans-serif
 * (DejaVu Sans, Linux's usual fallback), per class of character, in em.
 */
export function estimateTextWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (/[\u0300-\u036f]/.test(ch)) continue; // combining marks take no room
    if (
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      c >= 0x1f000
    )
      em += 1.05; // CJK, full-width forms, emoji
    else if (/[iljtfrI.,:;'|!()[\] ]/.test(ch)) em += 0.4;
    else if (/[mwMW@%]/.test(ch)) em += 1.0;
    else if (/[A-Z]/.test(ch)) em += 0.78;
    else em += 0.62;
  }
  return em * fontSize;
}

/** `text`, cut with an ellipsis so that its estimated width stays within `maxWidth`. */
export function fitText(text: string, maxWidth: number, fontSize: number): string {
  if (estimateTextWidth(text, fontSize) <= maxWidth) return text;
  const chars = [...text];
  const room = maxWidth - estimateTextWidth('…', fontSize);
  let width = 0;
  let end = 0;
  for (; end < chars.length; end++) {
    const w = estimateTextWidth(chars[end]!, fontSize);
    if (width + w > room) break;
    width += w;
  }
  return `${chars.slice(0, end).join('').trimEnd()}…`;
}

const fmt = (n: number) => (Number.isInteger(n) ? n : Math.round(n * 10) / 10).toLocaleString('en-US');
const px = (n: number) => Math.round(n * 100) / 100;

/** Axis ticks: a round step (1, 2 or 5 times a power of ten) and the top of the axis, a multiple of it. */
export function axisTicks(max: number): { step: number; top: number } {
  if (max <= 4) return { step: 1, top: Math.max(1, Math.ceil(max)) }; // small counts never tick at fractions
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((v) => v >= rough) ?? 10 * power;
  return { step, top: Math.ceil(max / step) * step };
}

function svgOpen(width: number, height: number, label: string, kind: string): string {
  return `<svg class="chart chart-${kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeXml(label)}">`;
}

const NO_PLAYS = 'No plays in this period';

/** A chart with nothing to draw says why: by default that there are no plays, else `message`. */
function emptyChart(width: number, height: number, label: string, kind: string, message = NO_PLAYS): string {
  return `${svgOpen(width, height, label, kind)}<text class="empty" x="${width / 2}" y="${height / 2}" text-anchor="middle">${escapeXml(message)}</text></svg>`;
}

/** A link that opens in a new tab (the report is a file: leaving it would lose the reader's place). */
function link(href: string | undefined, inner: string): string {
  return href ? `<a href="${escapeXml(href)}" target="_blank" rel="noopener noreferrer">${inner}</a>` : inner;
}

export interface ColumnDatum {
  label: string;
  value: number;
  /** Tooltip text. */
  title: string;
  /** Axis label under this column, if any. */
  tick?: string;
}

/** Vertical bars with a y axis: minutes per day, new artists per month. */
export function columnChart(
  data: readonly ColumnDatum[],
  options: {
    label: string;
    kind: string;
    unit: string;
    width?: number;
    height?: number;
    showValues?: boolean;
    /** What an all-zero chart says (default: that there are no plays). */
    emptyText?: string;
  },
): string {
  const width = options.width ?? 960;
  const height = options.height ?? 240;
  if (!data.some((d) => d.value > 0))
    return emptyChart(width, height, options.label, options.kind, options.emptyText);
  const m = { left: 48, right: 8, top: 24, bottom: 28 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const { step: tickStep, top: max } = axisTicks(Math.max(...data.map((d) => d.value)));
  const step = plotW / data.length;
  const barW = Math.min(64, Math.max(0.6, step * (data.length > 60 ? 0.9 : 0.7)));
  const parts: string[] = [svgOpen(width, height, options.label, options.kind)];
  for (let v = 0; v <= max + tickStep / 2; v += tickStep) {
    const y = m.top + plotH - (v / max) * plotH;
    parts.push(
      `<line class="grid" x1="${m.left}" x2="${width - m.right}" y1="${px(y)}" y2="${px(y)}"/>`,
      `<text class="axis" x="${m.left - 6}" y="${px(y + 4)}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  parts.push(
    `<text class="axis unit" x="${m.left - 6}" y="${m.top - 12}" text-anchor="end">${escapeXml(options.unit)}</text>`,
  );
  data.forEach((d, i) => {
    const x = m.left + i * step + (step - barW) / 2;
    if (d.tick)
      parts.push(
        `<text class="axis" x="${px(m.left + i * step)}" y="${height - m.bottom + 16}">${escapeXml(d.tick)}</text>`,
      );
    if (d.value <= 0) return;
    const h = Math.max(1, (d.value / max) * plotH);
    parts.push(
      `<rect class="bar" x="${px(x)}" y="${px(m.top + plotH - h)}" width="${px(barW)}" height="${px(h)}"><title>${escapeXml(d.title)}</title></rect>`,
    );
    if (options.showValues)
      parts.push(
        `<text class="value" x="${px(x + barW / 2)}" y="${px(m.top + plotH - h - 3)}" text-anchor="middle">${fmt(d.value)}</text>`,
      );
  });
  parts.push(
    `<line class="baseline" x1="${m.left}" x2="${width - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}"/>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

export interface BarDatum {
  label: string;
  sublabel?: string;
  value: number;
  note: string;
  /** Where the label links to (opens the item in Spotify). */
  href?: string;
}

/**
 * Horizontal ranked bars: top artists, tracks and albums. `side` puts the labels left of the bars (wide
 * screens); `stacked` puts each label above its bar, across the whole width (phones).
 */
export function rankedBarChart(
  data: readonly BarDatum[],
  options: { label: string; kind: string; width?: number; layout?: 'side' | 'stacked' },
): string {
  if (options.layout === 'stacked') return stackedBarChart(data, { ...options, width: options.width ?? 330 });
  const width = options.width ?? 460;
  const rowH = 30;
  const height = Math.max(60, data.length * rowH + 8);
  if (!data.some((d) => d.value > 0)) return emptyChart(width, height, options.label, options.kind);
  const labelW = 190;
  // Labels end this far before the bars: cut to fit by estimate, and clipped there whatever the font.
  const labelRoom = labelW - 10;
  const noteW = 70;
  const barMax = width - labelW - noteW - 12;
  const max = Math.max(...data.map((d) => d.value));
  const clip = `clip-${options.kind}`;
  const parts: string[] = [
    svgOpen(width, height, options.label, options.kind),
    `<clipPath id="${clip}"><rect x="0" y="0" width="${labelRoom}" height="${height}"/></clipPath>`,
  ];
  const labels: string[] = [];
  data.forEach((d, i) => {
    const y = 4 + i * rowH;
    const w = Math.max(1, (d.value / max) * barMax);
    const rank = `${i + 1}. `;
    const label = fitText(d.label, labelRoom - estimateTextWidth(rank, 13), 13);
    const sub = d.sublabel === undefined ? undefined : fitText(d.sublabel, labelRoom - 14, 11);
    const full = `${d.label}${d.sublabel ? ` · ${d.sublabel}` : ''}`;
    labels.push(
      link(
        d.href,
        `<text class="label" x="0" y="${y + (sub ? 12 : 18)}">${escapeXml(rank + label)}${label === d.label ? '' : `<title>${escapeXml(d.label)}</title>`}</text>`,
      ),
      sub
        ? `<text class="sublabel" x="14" y="${y + 25}">${escapeXml(sub)}${sub === d.sublabel ? '' : `<title>${escapeXml(d.sublabel!)}</title>`}</text>`
        : '',
    );
    parts.push(
      `<rect class="bar" x="${labelW}" y="${y + 6}" width="${px(w)}" height="16" rx="2"><title>${escapeXml(`${full}: ${d.note}`)}</title></rect>`,
      `<text class="value" x="${px(labelW + w + 6)}" y="${y + 18}">${escapeXml(d.note)}</text>`,
    );
  });
  parts.push(`<g clip-path="url(#${clip})">${labels.join('')}</g>`, '</svg>');
  return parts.join('');
}

/** Ranked bars for a narrow screen: each row is its label (and sublabel) over the whole width, then the bar. */
function stackedBarChart(
  data: readonly BarDatum[],
  options: { label: string; kind: string; width: number },
): string {
  const { width } = options;
  const hasSub = data.some((d) => d.sublabel !== undefined);
  const rowH = hasSub ? 56 : 42;
  const height = Math.max(60, data.length * rowH + 4);
  if (!data.some((d) => d.value > 0)) return emptyChart(width, height, options.label, options.kind);
  const noteW = 76;
  const barMax = width - 14 - noteW;
  const max = Math.max(...data.map((d) => d.value));
  const parts: string[] = [svgOpen(width, height, options.label, options.kind)];
  data.forEach((d, i) => {
    const y = i * rowH;
    const rank = `${i + 1}. `;
    const label = fitText(d.label, width - estimateTextWidth(rank, 13), 13);
    const sub = d.sublabel === undefined ? undefined : fitText(d.sublabel, width - 14, 12);
    const full = `${d.label}${d.sublabel ? ` · ${d.sublabel}` : ''}`;
    const barY = y + (hasSub ? 36 : 22);
    const w = Math.max(1, (d.value / max) * barMax);
    parts.push(
      link(
        d.href,
        `<text class="label" x="0" y="${y + 14}">${escapeXml(rank + label)}${label === d.label ? '' : `<title>${escapeXml(d.label)}</title>`}</text>`,
      ),
      sub
        ? `<text class="sublabel" x="14" y="${y + 30}">${escapeXml(sub)}${sub === d.sublabel ? '' : `<title>${escapeXml(d.sublabel!)}</title>`}</text>`
        : '',
      `<rect class="bar" x="14" y="${barY}" width="${px(w)}" height="12" rx="2"><title>${escapeXml(`${full}: ${d.note}`)}</title></rect>`,
      `<text class="value" x="${px(14 + w + 6)}" y="${barY + 11}">${escapeXml(d.note)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Hour-by-weekday heatmap in the report's time zone: rows Monday..Sunday and columns 0..23, or `transposed`
 * (for a narrow screen) columns Monday..Sunday and rows 0..23.
 */
export function heatmapChart(
  matrix: readonly (readonly number[])[],
  options: { label: string; rows: readonly string[]; timezone: string; transposed?: boolean },
): string {
  if (options.transposed) return tallHeatmap(matrix, options);
  return wideHeatmap(matrix, options);
}

const cellTitle = (day: string | undefined, h: number, value: number) =>
  `${day} ${String(h).padStart(2, '0')}:00–${String(h).padStart(2, '0')}:59: ${fmt(value)} ${value === 1 ? 'play' : 'plays'}`;

function tallHeatmap(
  matrix: readonly (readonly number[])[],
  options: { label: string; rows: readonly string[]; timezone: string },
): string {
  const cell = { w: 40, h: 17 };
  const m = { left: 34, top: 20 };
  const width = m.left + matrix.length * cell.w + 2;
  const height = m.top + 24 * cell.h + 40;
  const max = Math.max(0, ...matrix.flat());
  if (max === 0) return emptyChart(width, height, options.label, 'heatmap');
  const parts: string[] = [svgOpen(width, height, options.label, 'heatmap')];
  matrix.forEach((_, d) =>
    parts.push(
      `<text class="axis" x="${m.left + d * cell.w + cell.w / 2}" y="${m.top - 6}" text-anchor="middle">${escapeXml(options.rows[d] ?? '')}</text>`,
    ),
  );
  for (let h = 0; h < 24; h += 1)
    parts.push(
      `<text class="axis" x="${m.left - 6}" y="${m.top + h * cell.h + cell.h / 2 + 4}" text-anchor="end">${String(h).padStart(2, '0')}</text>`,
    );
  matrix.forEach((row, d) =>
    row.forEach((value, h) => {
      const level = value > 0 ? 0.12 + 0.88 * Math.sqrt(value / max) : 0;
      parts.push(
        `<rect class="cell${value > 0 ? '' : ' zero'}" x="${m.left + d * cell.w + 1}" y="${m.top + h * cell.h + 1}" width="${cell.w - 2}" height="${cell.h - 2}" rx="2" fill-opacity="${value > 0 ? level.toFixed(3) : '1'}"><title>${escapeXml(cellTitle(options.rows[d], h, value))}</title></rect>`,
      );
    }),
  );
  parts.push(
    `<text class="axis" x="0" y="${height - 22}">hour of day in ${escapeXml(options.timezone)} · darker = more</text>`,
    `<text class="axis" x="0" y="${height - 6}">busiest hour ${fmt(max)} ${max === 1 ? 'play' : 'plays'}</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

/** Hour-by-weekday heatmap: rows Monday..Sunday, columns 0..23 in the report's time zone. */
function wideHeatmap(
  matrix: readonly (readonly number[])[],
  options: { label: string; rows: readonly string[]; timezone: string },
): string {
  const cell = { w: 36, h: 26 };
  const m = { left: 40, top: 20 };
  const width = m.left + 24 * cell.w + 4;
  const height = m.top + matrix.length * cell.h + 24;
  const max = Math.max(0, ...matrix.flat());
  if (max === 0) return emptyChart(width, height, options.label, 'heatmap');
  const parts: string[] = [svgOpen(width, height, options.label, 'heatmap')];
  for (let h = 0; h < 24; h += 1)
    parts.push(
      `<text class="axis" x="${m.left + h * cell.w + cell.w / 2}" y="${m.top - 6}" text-anchor="middle">${String(h).padStart(2, '0')}</text>`,
    );
  matrix.forEach((row, d) => {
    const y = m.top + d * cell.h;
    parts.push(
      `<text class="axis" x="${m.left - 6}" y="${y + cell.h / 2 + 4}" text-anchor="end">${escapeXml(options.rows[d] ?? '')}</text>`,
    );
    row.forEach((value, h) => {
      // sqrt keeps quiet hours visible beside the busiest one.
      const level = value > 0 ? 0.12 + 0.88 * Math.sqrt(value / max) : 0;
      parts.push(
        `<rect class="cell${value > 0 ? '' : ' zero'}" x="${m.left + h * cell.w + 1}" y="${y + 1}" width="${cell.w - 2}" height="${cell.h - 2}" rx="3" fill-opacity="${value > 0 ? level.toFixed(3) : '1'}"><title>${escapeXml(cellTitle(options.rows[d], h, value))}</title></rect>`,
      );
    });
  });
  parts.push(
    `<text class="axis" x="${m.left}" y="${height - 4}">hour of day in ${escapeXml(options.timezone)} · darker = more plays · busiest hour ${fmt(max)} plays</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}
