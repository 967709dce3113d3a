import { gzipSync } from 'node:zlib';
import { LAKE_GZIP_LEVEL, recordToJsonLine } from './encode.js';
import { objectKey, type Dataset } from './layout.js';

/**
 * The one object builder of the lake: the collector, the player watcher and the import all turn lines into
 * objects here. Rows are grouped by the UTC date of their play into one gzipped NDJSON object per date (an
 * object never spans two dates), in time order, named from the earliest play, the count and the content.
 */

/** A lake object ready to write: its final key and exact bytes. */
export interface PreparedObject {
  key: string;
  body: Buffer;
  records: number;
  date: string;
}

const DAY_MS = 86_400_000;

/**
 * Rows as JSON lines, by column: no object per row (half a million in a big import), since a batch lives
 * until it is compressed, and objects that live that long cost the main thread's garbage collector more than
 * all the rest of its work on them. Row i is played at t[i]; its JSON line and "\n" are
 * text[i][start[i], end[i]), in a buffer shared with other rows (the import's: the one the parser thread sent
 * it in, not copied, since most rows of a slice are kept and copying them cost more time and memory).
 */
export class LineBatch {
  readonly t: number[] = [];
  readonly text: Uint8Array[] = [];
  readonly start: number[] = [];
  readonly end: number[] = [];
  /** The shared buffer each row's line lies in, held until release() (undefined: a buffer of its own). */
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

  /** Lets go of every row's shared buffer; returns those no one holds any more (to be written into again). */
  release(): ArrayBuffer[] {
    const free: ArrayBuffer[] = [];
    for (const owner of this.owner) if (owner && --owner.refs === 0) free.push(owner.buffer);
    this.owner.fill(undefined);
    return free;
  }
}

/** A buffer of lines (the import's parser thread sends them), and how many holders still need it. */
export interface SliceLines {
  buffer: ArrayBuffer;
  refs: number;
}

/** What compresses a batch's dates, all in one call: each date's lines are input[ends[d-1], ends[d]). */
export interface Compressor {
  /** A buffer of at least `size` bytes for the lines. */
  inputBuffer(size: number): Uint8Array;
  compress(input: Uint8Array, ends: Uint32Array, level: number): Promise<Buffer[]>;
}

/** The rows' lines grouped by date, copied into one buffer, with where each date's lines end. */
interface DayLines {
  /** UTC day number and the date's row numbers, in time order; dates in order. */
  days: [number, number[]][];
  input: Uint8Array;
  ends: Uint32Array;
}

function groupByDay(rows: LineBatch, inputBuffer: (size: number) => Uint8Array): DayLines {
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
  const input = inputBuffer(size);
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
  return { days, input, ends };
}

function named(
  dataset: Dataset,
  rows: LineBatch,
  days: DayLines['days'],
  bodies: Buffer[],
): PreparedObject[] {
  return days.map(([day, group], d) => {
    const body = bodies[d]!;
    const earliestPlayedAt = new Date(rows.t[group[0]!]!).toISOString();
    return {
      key: objectKey(dataset, { earliestPlayedAt, count: group.length, body }),
      body,
      records: group.length,
      date: new Date(day * DAY_MS).toISOString().slice(0, 10),
    };
  });
}

/** gzip of each date's lines on the calling thread (the collector's few plays need no thread). */
function gzipInline(input: Uint8Array, ends: Uint32Array): Buffer[] {
  const bodies: Buffer[] = [];
  let from = 0;
  for (const to of ends) {
    bodies.push(gzipSync(input.subarray(from, to), { level: LAKE_GZIP_LEVEL }));
    from = to;
  }
  return bodies;
}

/**
 * The objects of rows already rendered as lines, the dates compressed by `gzip` (the import's compression
 * thread, all of a batch in one message: compression is most of an import's CPU), or inline without one.
 */
export async function buildObjectsFromLines(
  dataset: Dataset,
  rows: LineBatch,
  gzip?: Compressor,
  /** Called once the lines are copied for compression: the rows' buffers may be given back from then on. */
  linesCopied: () => void = () => {},
): Promise<PreparedObject[]> {
  const { days, input, ends } = groupByDay(
    rows,
    gzip ? (size) => gzip.inputBuffer(size) : Buffer.allocUnsafe,
  );
  linesCopied();
  const bodies = gzip ? await gzip.compress(input, ends, LAKE_GZIP_LEVEL) : gzipInline(input, ends);
  return named(dataset, rows, days, bodies);
}

/** Lines (without "\n") and the times of their plays as one LineBatch, in one buffer. */
export function lineBatch(lines: readonly string[], times: readonly number[]): LineBatch {
  const text = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
  const rows = new LineBatch();
  let offset = 0;
  lines.forEach((line, i) => {
    const end = offset + Buffer.byteLength(line, 'utf8') + 1;
    rows.push(times[i]!, text, offset, end);
    offset = end;
  });
  return rows;
}

/**
 * The objects of records (the collector's and the player watcher's), through the same lines path as the
 * import's: each record's line (recordToJsonLine unless told), then grouped, compressed inline and named.
 */
export function buildObjects<R extends { played_at: string }>(
  dataset: Dataset,
  records: readonly R[],
  toLine: (record: R) => string = recordToJsonLine,
): PreparedObject[] {
  const rows = lineBatch(
    records.map(toLine),
    records.map((r) => Date.parse(r.played_at)),
  );
  const { days, input, ends } = groupByDay(rows, Buffer.allocUnsafe);
  return named(dataset, rows, days, gzipInline(input, ends));
}
