import { gunzipSync, gzipSync } from 'node:zlib';
import { RECORD_KEYS, type ListeningRecord } from '../record/schema.js';

/** One JSON object per line with the schema's keys in schema order, so equal records give equal bytes. */
export function recordToJsonLine(record: ListeningRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const key of RECORD_KEYS) ordered[key] = record[key] ?? null;
  return JSON.stringify(ordered);
}

export function encodeNdjson(lines: readonly string[]): Buffer {
  return Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
}

/** gzip of newline-delimited JSON (no outer array), as Snowpipe's JSON file format with GZIP expects. */
export function gzipNdjson(lines: readonly string[]): Buffer {
  return gzipSync(encodeNdjson(lines), { level: 6 });
}

/** Reads a lake object back into its parsed lines. Throws on corrupt gzip or a line that is not JSON. */
export function parseNdjsonGzip(body: Buffer): unknown[] {
  const text = gunzipSync(body).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}
