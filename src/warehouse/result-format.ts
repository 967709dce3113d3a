import type { DuckDBConnection, DuckDBValue, Json } from '@duckdb/node-api';
import { plural } from '../util/plural.js';

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface WriteResultOptions {
  format: OutputFormat;
  /** Rows shown by the table format (it needs every row to align them); json and csv stream all rows. */
  maxTableRows?: number;
  /** Cells longer than this are cut in the table format. */
  maxCellWidth?: number;
}

export interface WrittenResult {
  rows: number;
  columns: string[];
}

type Sink = (text: string) => void | Promise<void>;

/** Thrown by a sink whose reader went away (`query ... | head`): the query stops quietly. */
export class OutputClosedError extends Error {
  constructor() {
    super('output closed');
    this.name = 'OutputClosedError';
  }
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

/** DuckDB's message without the node binding's framing, which means nothing to a user. */
export function duckdbMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^Failed to (extract|prepare) statements?: /, '').trim();
}

/**
 * Runs `sql` and writes its result: json and csv stream row chunks (bounded memory for any result size),
 * the table keeps the first `maxTableRows` rows to align them and counts the rest.
 */
export async function writeQueryResult(
  connection: DuckDBConnection,
  sql: string,
  write: Sink,
  options: WriteResultOptions,
): Promise<WrittenResult> {
  const result = await connection.stream(sql);
  const columns = result.columnNames();
  const numeric = result.columnTypes().map((t) => NUMERIC.test(t.toString()));
  const timestamp = result.columnTypes().map((t) => TIMESTAMP.test(t.toString()));
  let rows = 0;
  if (options.format === 'json') {
    await write('[');
    for await (const chunk of result.yieldRowsJson()) {
      for (const row of chunk) {
        const object: Record<string, unknown> = {};
        columns.forEach(
          (name, i) =>
            (object[name] = numeric[i] ? jsonNumber(row[i]) : timestamp[i] ? isoTimestamp(row[i]) : row[i]),
        );
        await write(`${rows === 0 ? '\n' : ',\n'}${JSON.stringify(object)}`);
        rows++;
      }
    }
    await write(rows === 0 ? ']\n' : '\n]\n');
    return { rows, columns };
  }
  if (options.format === 'csv') {
    await write(`${columns.map(csvCell).join(',')}\r\n`);
    // JSON values, so a list or struct cell is JSON (["a","b"]) rather than DuckDB's Python-like ['a', 'b'].
    for await (const chunk of result.yieldRowsJson()) {
      const lines = chunk.map((row) => row.map((v) => csvCell(csvText(v))).join(',')).join('\r\n');
      if (chunk.length > 0) await write(`${lines}\r\n`);
      rows += chunk.length;
    }
    return { rows, columns };
  }
  const max = options.maxTableRows ?? 1000;
  const kept: (string | null)[][] = [];
  for await (const chunk of result.yieldRows()) {
    for (const row of chunk) if (kept.length < max) kept.push(row.map(textOrNull));
    rows += chunk.length;
  }
  await write(formatTable(columns, kept, numeric, options.maxCellWidth ?? 60));
  const more = rows - kept.length;
  await write(
    `(${plural(rows, 'row')}${more > 0 ? `, first ${kept.length} shown: use --format csv or json for all, or LIMIT` : ''})\n`,
  );
  return { rows, columns };
}

function textOrNull(value: DuckDBValue): string | null {
  return value === null ? null : String(value);
}
function csvText(value: Json): string {
  if (value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const TIMESTAMP = /^TIMESTAMP(_S|_MS|_NS)?( WITH TIME ZONE)?$/;

/**
 * DuckDB's `2025-03-22 00:03:14[.fff][+00]` as ISO 8601 in UTC with milliseconds (`2025-03-22T00:03:14.000Z`),
 * like every other timestamp the tool prints for scripts. The warehouse session's time zone is UTC, so a plain
 * TIMESTAMP is UTC too. Digits beyond milliseconds are kept; anything else (infinity) is left as DuckDB wrote it.
 */
export function isoTimestamp(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:\+00(?::?00)?)?$/.exec(value);
  if (!m) return value;
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0')}Z`;
}

function jsonNumber(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const n = Number(value);
  // Keep integers beyond 2^53 as strings rather than silently changing them.
  return Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n)) ? n : value;
}

/** RFC 4180: quote fields holding a comma, quote, CR or LF; double the quotes. */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function cut(value: string, width: number): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ');
  const chars = [...flat];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : flat;
}

/** An aligned plain-text table: numbers right-aligned, NULL shown as such. */
function formatTable(
  columns: string[],
  rows: (string | null)[][],
  numeric: boolean[],
  maxCellWidth = 60,
): string {
  const cells = rows.map((row) => row.map((v) => (v === null ? 'NULL' : cut(v, maxCellWidth))));
  const widths = columns.map((name, i) =>
    Math.max([...name].length, ...cells.map((row) => [...(row[i] ?? '')].length)),
  );
  const pad = (value: string, i: number) => {
    const gap = ' '.repeat(widths[i]! - [...value].length);
    return numeric[i] ? gap + value : value + gap;
  };
  const line = (row: string[]) => row.map(pad).join(' │ ').trimEnd();
  const out = [line(columns), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...cells.map(line)];
  return `${out.join('\n')}\n`;
}
