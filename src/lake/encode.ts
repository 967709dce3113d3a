import { gunzipSync } from 'node:zlib';
import { RECORD_KEYS } from '../record/schema.js';

/**
 * A record's JSON line (no "\n"): the dataset's keys (RECORD_KEYS, or EPISODE_KEYS for an episode) in that
 * order, a missing one as null, so equal records give equal bytes; custom fields (src/custom-fields/) follow
 * in the order the record holds them. The one serialiser of the lake: the import's parser thread, the
 * collector and the player watcher all write through it.
 */
export function recordToJsonLine(record: object, keys: readonly string[] = RECORD_KEYS): string {
  const r = record as Record<string, unknown>;
  // The mappers build records with the keys already in order (record/from-*.ts), so JSON.stringify alone
  // gives these bytes; copying half a million records into ordered objects costs an import measurable time.
  if (inKeyOrder(r, keys)) return JSON.stringify(r);
  const ordered: Record<string, unknown> = {};
  for (const key of keys) ordered[key] = r[key] ?? null;
  for (const key of Object.keys(r)) if (!keys.includes(key)) ordered[key] = r[key];
  return JSON.stringify(ordered);
}

/** Whether the record starts with exactly `keys`, in order, none undefined (JSON.stringify would drop it). */
function inKeyOrder(r: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(r);
  if (own.length < keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (own[i] !== keys[i] || r[keys[i]!] === undefined) return false;
  return true;
}

/**
 * The gzip level of every lake object: 3 (zlib's fast matcher), not gzip's default 6. On an import's output it
 * writes 9 % more bytes than level 6 for half the compression CPU, which is 12-14 % of an import's wall time
 * on two cores (docs/import.md#figures). The bytes cost next to nothing: Snowpipe bills JSON by its
 * uncompressed size, and a lifetime of plays is tens of MB in S3.
 */
export const LAKE_GZIP_LEVEL = 3;

/** Reads a lake object back into its parsed lines. Throws on corrupt gzip or a line that is not JSON. */
export function parseNdjsonGzip(body: Buffer): unknown[] {
  const text = gunzipSync(body).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}
