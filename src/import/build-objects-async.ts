import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { PreparedObject } from '../lake/build-objects.js';
import { objectKey, type Dataset } from '../lake/layout.js';

const gzipAsync = promisify(gzip);
const DAY_MS = 86_400_000;
const GZIP_CONCURRENCY = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4);

/** A row of a batch as the import holds it: its play time and its JSON line + "\n" as bytes. */
export interface LineRow {
  t: number;
  /**
   * The line is text[start, end), in the buffer the parser thread sent it in: not copied, since most rows of
   * a slice are kept and copying them cost more time, and more memory (freed buffers), than it saved.
   */
  text: Uint8Array;
  start: number;
  end: number;
  /** The parser's buffer `text` lies in, given back to it once no row needs it (absent: a buffer of its own). */
  owner?: SliceLines;
}

/** A buffer of lines from the parser thread, and how many holders (rows, the slice being read) still need it. */
export interface SliceLines {
  buffer: ArrayBuffer;
  refs: number;
}

/**
 * `buildObjects` for rows already rendered as lines (the parser thread renders them): the same grouping,
 * order, names and bytes, without the record objects, and the dates compressed concurrently on libuv's
 * thread pool instead of one after the other on the main thread (compression is most of an import's CPU).
 */
export async function buildObjectsFromLines(
  dataset: Dataset,
  rows: readonly LineRow[],
): Promise<PreparedObject[]> {
  // By UTC day number (the date of played_at, which is derived from t): no date string per row.
  const byDay = new Map<number, LineRow[]>();
  for (const r of rows) {
    const day = Math.floor(r.t / DAY_MS);
    const group = byDay.get(day);
    if (group) group.push(r);
    else byDay.set(day, [r]);
  }
  const entries = [...byDay]
    .sort(([a], [b]) => a - b)
    .map(([day, group]) => {
      group.sort((a, b) => a.t - b.t);
      return [new Date(day * DAY_MS).toISOString().slice(0, 10), group] as const;
    });
  const out: PreparedObject[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    // One input buffer per compression slot, reused from one date to the next (not one per date).
    let scratch = Buffer.allocUnsafe(0);
    while (next < entries.length) {
      const i = next++;
      const [date, group] = entries[i]!;
      let size = 0;
      for (const r of group) size += r.end - r.start;
      if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, 2 * scratch.length));
      const text = scratch.subarray(0, size);
      let offset = 0;
      for (const r of group) {
        text.set(r.text.subarray(r.start, r.end), offset);
        offset += r.end - r.start;
      }
      const body = await gzipAsync(text, { level: 6 });
      const earliestPlayedAt = new Date(group[0]!.t).toISOString();
      const key = objectKey(dataset, { earliestPlayedAt, count: group.length, body });
      out[i] = { key, body, records: group.length, date };
    }
  };
  await Promise.all(Array.from({ length: Math.min(GZIP_CONCURRENCY, entries.length) }, worker));
  return out;
}
