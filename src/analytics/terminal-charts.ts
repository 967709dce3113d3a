const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export interface ChartStyle {
  color?: boolean;
}

const paint = (text: string, style: ChartStyle, code = 32) =>
  style.color && text ? `\x1b[${code}m${text}\x1b[0m` : text;

/** A horizontal bar `width` cells long at `max`, in eighths of a cell. */
export function hbar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}

/** One character per value, scaled to the largest; zero shows as a space so gaps read as gaps. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((v) => (v <= 0 || max === 0 ? ' ' : SPARKS[Math.min(7, Math.floor((v / max) * 7.999))]!))
    .join('');
}

/** Labelled horizontal bars: `label  bar  value`. */
export function barChart(
  rows: readonly { label: string; value: number; note?: string }[],
  style: ChartStyle & { width?: number } = {},
): string[] {
  const width = style.width ?? 40;
  const max = Math.max(0, ...rows.map((r) => r.value));
  const labelWidth = Math.max(0, ...rows.map((r) => [...r.label].length));
  return rows.map((r) => {
    const bar = hbar(r.value, max, width);
    const label = r.label + ' '.repeat(labelWidth - [...r.label].length);
    const gap = ' '.repeat(width - [...bar].length);
    return `  ${label} ${paint(bar, style)}${gap} ${r.note ?? String(r.value)}`.trimEnd();
  });
}

export function heading(text: string, style: ChartStyle): string {
  return paint(text, style, 1);
}
