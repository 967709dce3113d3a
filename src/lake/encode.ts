import { gunzipSync, gzipSync } from 'node:zlib';
import { RECORD_KEYS, type ListeningRecord } from '../record/schema.js';

const CORE_KEYS: ReadonlySet<string> = new Set(RECORD_KEYS);

/**
 * One JSON object per line with the schema's keys in schema order, so equal records give equal bytes; custom
 * fields (src/custom-fields/) follow the core keys in the order the record holds them.
 */
export function recordToJsonLine(record: ListeningRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const key of RECORD_KEYS) ordered[key] = record[key] ?? null;
  for (const key of Object.keys(record)) {
    if (!CORE_KEYS.has(key)) ordered[key] = (record as unknown as Record<string, unknown>)[key];
  }
  return JSON.stringify(ordered);
}

export function encodeNdjson(lines: readonly string[]): Buffer {
  return Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
}

/**
 * The gzip level of every lake object: 3 (zlib's fast matcher), not gzip's default 6. On an import's output it
 * writes 9 % more bytes than level 6 for half the compression CPU, which is 12-14 % of an import's wall time
 * on two cores (docs/import.md#figures). The bytes cost next to nothing: Snowpipe bills JSON by its
 * uncompressed size, and a lifetime of plays is tens of MB in S3.
 */
export const LAKE_GZIP_LEVEL = 3;

/** gzip of newline-delimited JSON (no outer array), as Snowpipe's JSON file format with GZIP expects. */
export function gzipNdjson(lines: readonly string[]): Buffer {
  return gzipSync(encodeNdjson(lines), { level: LAKE_GZIP_LEVEL });
}

/** Reads a lake object back into its parsed lines. Throws on corrupt gzip or a line that is not JSON. */
export function parseNdjsonGzip(body: Buffer): unknown[] {
  const text = gunzipSync(body).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}
