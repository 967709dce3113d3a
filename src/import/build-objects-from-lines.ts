import type { PreparedObject } from '../lake/build-objects.js';
import { objectKey, type Dataset } from '../lake/layout.js';
import type { GzipThread } from './gzip-thread.js';

const DAY_MS = 86_400_000;

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
 * order, names and bytes, without the record objects, and the dates compressed on the compression thread,
 * all of a batch in one message (compression is most of an import's CPU).
 */
export async function buildObjectsFromLines(
  dataset: Dataset,
  rows: readonly LineRow[],
  gzip: GzipThread,
): Promise<PreparedObject[]> {
  // By UTC day number (the date of played_at, which is derived from t): no date string per row.
  const byDay = new Map<number, LineRow[]>();
  let size = 0;
  for (const r of rows) {
    const day = Math.floor(r.t / DAY_MS);
    const group = byDay.get(day);
    if (group) group.push(r);
    else byDay.set(day, [r]);
    size += r.end - r.start;
  }
  const days = [...byDay].sort(([a], [b]) => a - b);
  const input = gzip.inputBuffer(size);
  const ends = new Uint32Array(days.length);
  let offset = 0;
  days.forEach(([, group], i) => {
    group.sort((a, b) => a.t - b.t);
    // Consecutive lines of one buffer (most of a day's rows: an export is in time order) in one copy.
    let text = group[0]!.text;
    let start = group[0]!.start;
    let end = start;
    for (const r of group) {
      if (r.text !== text || r.start !== end) {
        input.set(text.subarray(start, end), offset);
        offset += end - start;
        [text, start] = [r.text, r.start];
      }
      end = r.end;
    }
    input.set(text.subarray(start, end), offset);
    offset += end - start;
    ends[i] = offset;
  });
  const bodies = await gzip.compress(input, ends, 6);
  return days.map(([day, group], i) => {
    const body = bodies[i]!;
    const earliestPlayedAt = new Date(group[0]!.t).toISOString();
    return {
      key: objectKey(dataset, { earliestPlayedAt, count: group.length, body }),
      body,
      records: group.length,
      date: new Date(day * DAY_MS).toISOString().slice(0, 10),
    };
  });
}
