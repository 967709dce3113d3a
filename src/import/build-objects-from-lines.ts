import type { PreparedObject } from '../lake/build-objects.js';
import { LAKE_GZIP_LEVEL } from '../lake/encode.js';
import { objectKey, type Dataset } from '../lake/layout.js';
import type { GzipThread } from './gzip-thread.js';

const DAY_MS = 86_400_000;

/**
 * A batch's rows as the import holds them, by column: no object per row (half a million in a big import),
 * since a batch lives until it is compressed, and objects that live that long cost the main thread's
 * garbage collector more than all the rest of its work on them. Row i is played at t[i]; its JSON line and
 * "\n" are text[i][start[i], end[i]), in the buffer the parser thread sent it in: not copied, since most rows
 * of a slice are kept and copying them cost more time, and more memory (freed buffers), than it saved.
 */
export class LineBatch {
  readonly t: number[] = [];
  readonly text: Uint8Array[] = [];
  readonly start: number[] = [];
  readonly end: number[] = [];
  /** The parser's buffer each row's line lies in, held until release() (undefined: a buffer of its own). */
  readonly owner: (SliceLines | undefined)[] = [];

  get length(): number {
    return this.t.length;
  }

  push(t: number, text: Uint8Array, start: number, end: number, owner?: SliceLines): void {
    this.t.push(t);
    this.text.push(text);
    this.start.push(start);
    this.end.push(end);
    this.owner.push(owner);
    if (owner) owner.refs++;
  }

  /** Lets go of every row's parser buffer; returns those no one holds any more (to give back to the parser). */
  release(): ArrayBuffer[] {
    const free: ArrayBuffer[] = [];
    for (const owner of this.owner) if (owner && --owner.refs === 0) free.push(owner.buffer);
    this.owner.fill(undefined);
    return free;
  }
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
  rows: LineBatch,
  gzip: GzipThread,
  /** Called once the lines are copied for compression: the rows' buffers may be given back from then on. */
  linesCopied: () => void = () => {},
): Promise<PreparedObject[]> {
  const { t, text, start, end } = rows;
  // Row numbers by UTC day number (the date of played_at, which is derived from t): no date string per row.
  const byDay = new Map<number, number[]>();
  let size = 0;
  for (let i = 0; i < rows.length; i++) {
    const day = Math.floor(t[i]! / DAY_MS);
    const group = byDay.get(day);
    if (group) group.push(i);
    else byDay.set(day, [i]);
    size += end[i]! - start[i]!;
  }
  const days = [...byDay].sort(([a], [b]) => a - b);
  const input = gzip.inputBuffer(size);
  const ends = new Uint32Array(days.length);
  let offset = 0;
  days.forEach(([, group], d) => {
    // A stable sort: plays of one instant stay in the order they were read.
    group.sort((a, b) => t[a]! - t[b]!);
    // Consecutive lines of one buffer (most of a day's rows: an export is in time order) in one copy.
    let from = text[group[0]!]!;
    let runStart = start[group[0]!]!;
    let runEnd = runStart;
    for (const i of group) {
      if (text[i] !== from || start[i] !== runEnd) {
        input.set(from.subarray(runStart, runEnd), offset);
        offset += runEnd - runStart;
        [from, runStart] = [text[i]!, start[i]!];
      }
      runEnd = end[i]!;
    }
    input.set(from.subarray(runStart, runEnd), offset);
    offset += runEnd - runStart;
    ends[d] = offset;
  });
  linesCopied();
  const bodies = await gzip.compress(input, ends, LAKE_GZIP_LEVEL);
  return days.map(([day, group], d) => {
    const body = bodies[d]!;
    const earliestPlayedAt = new Date(t[group[0]!]!).toISOString();
    return {
      key: objectKey(dataset, { earliestPlayedAt, count: group.length, body }),
      body,
      records: group.length,
      date: new Date(day * DAY_MS).toISOString().slice(0, 10),
    };
  });
}
