/**
 * Worker thread of the import: scans, parses and maps the rows of one history file at a time, and renders
 * each kept row's JSON line, so the main thread (deduplication, commits) gets the second core's help. The
 * bytes are read by the main thread and posted here chunk by chunk; results come back per input chunk in
 * columns (numbers and strings, cheap to copy between threads) instead of one object per row.
 */
import { parentPort } from 'node:worker_threads';
import { JsonArrayError, streamJsonArrayBatches } from './json-array-stream.js';
import {
  looksLike,
  mapAccountDataRow,
  mapExtendedRow,
  type HistoryKind,
  type ImportSkipReason,
  type MapOptions,
} from './map-rows.js';
import { episodeLine, trackLine } from './record-lines.js';

/** Stands for the user of rows that do not name one; the main thread resolves it (it may have to ask). */
export const USER_PLACEHOLDER = '\u0000';
/** The placeholder as it appears in a rendered line. */
export const USER_PLACEHOLDER_JSON = `"user_id":${JSON.stringify(USER_PLACEHOLDER)}`;

export const ROW_TRACK = 0;
export const ROW_EPISODE = 1;
/** A skipped row that needed the fallback user: the main thread resolves it at that point (it may throw). */
export const ROW_NEEDS_USER = 2;

export type ToWorker =
  | { type: 'start'; kind: HistoryKind; skipRows: number; minMsPlayed: number; ingestedAt: string }
  | { type: 'chunk'; bytes: Uint8Array }
  | { type: 'end' };

/**
 * The kept rows of a slice, by column. Numbers travel in typed arrays and the lines as one byte buffer, all
 * moved (not copied) to the main thread and outside its JS heap: the main thread's garbage, and so the
 * import's peak memory, stays small.
 */
export interface RowColumns {
  kinds: Uint8Array;
  /** played_at, epoch ms. */
  times: Float64Array;
  ids: (string | null)[];
  names: string[];
  /** Each row's user as an index into `userNames`; -1: the row does not name one (its line holds USER_PLACEHOLDER). */
  users: Int32Array;
  /** The distinct users of the slice (an export has one or two): not one string per row to copy. */
  userNames: string[];
  /** Every row's JSON line and "\n", UTF-8, back to back. */
  text: Uint8Array;
  /** End of each row's line in `text` (it starts where the previous one ends; empty for ROW_NEEDS_USER). */
  lineEnds: Uint32Array;
  /** Rows of the file read once this row is done (what a checkpoint after it may say). */
  rowsDone: Uint32Array;
}

/** RowColumns being filled in the worker. */
interface ColumnBuilder {
  kinds: number[];
  times: number[];
  ids: (string | null)[];
  names: string[];
  users: (string | null)[];
  lines: string[];
  rowsDone: number[];
}

export type FromWorker =
  | {
      type: 'rows';
      /** Input chunks consumed so far: lets the main thread keep a bounded number in flight. */
      consumed: number;
      rows: RowColumns;
      /** Rows read (not skipped as committed by an earlier run) in this slice. */
      read: number;
      /** Rows skipped as committed by an earlier run in this slice. */
      alreadyImported: number;
      skipped: Partial<Record<ImportSkipReason, number>>;
      invalid: { index: number; problem: string }[];
    }
  | { type: 'done'; rows: number }
  | { type: 'error'; kind: 'json' | 'not_history' | 'other'; message: string; index?: number };

const emptyColumns = (): ColumnBuilder => ({
  kinds: [],
  times: [],
  ids: [],
  names: [],
  users: [],
  lines: [],
  rowsDone: [],
});

function userColumn(users: (string | null)[]): Pick<RowColumns, 'users' | 'userNames'> {
  const userNames: string[] = [];
  const index = new Map<string, number>();
  const column = Int32Array.from(users, (u) => {
    if (u === null) return -1;
    let i = index.get(u);
    if (i === undefined) index.set(u, (i = userNames.push(u) - 1));
    return i;
  });
  return { users: column, userNames };
}

function seal(b: ColumnBuilder): RowColumns {
  const lineEnds = new Uint32Array(b.lines.length);
  return {
    kinds: Uint8Array.from(b.kinds),
    times: Float64Array.from(b.times),
    ids: b.ids,
    names: b.names,
    ...userColumn(b.users),
    text: encodeLines(b.lines, lineEnds),
    lineEnds,
    rowsDone: Uint32Array.from(b.rowsDone),
  };
}

/** Chunks posted by the main thread, as the async iterable streamJsonArray reads. */
class ChunkQueue implements AsyncIterable<Buffer> {
  private readonly chunks: (Buffer | null)[] = [];
  private wake: (() => void) | undefined;
  consumed = 0;
  onPull: () => void = () => {};
  push(chunk: Buffer | null) {
    this.chunks.push(chunk);
    this.wake?.();
    this.wake = undefined;
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      // Everything parsed from the chunks before is done: report it before waiting for more.
      this.onPull();
      while (this.chunks.length === 0) await new Promise<void>((r) => (this.wake = r));
      const chunk = this.chunks.shift()!;
      if (chunk === null) return;
      this.consumed++;
      yield chunk;
    }
  }
}

function run(port: NonNullable<typeof parentPort>) {
  let queue: ChunkQueue | undefined;
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'start') {
      queue = new ChunkQueue();
      void parseFile(port, queue, msg);
    } else if (msg.type === 'chunk') {
      queue!.push(Buffer.from(msg.bytes.buffer, msg.bytes.byteOffset, msg.bytes.byteLength));
    } else {
      queue!.push(null);
    }
  });
}

async function parseFile(
  port: NonNullable<typeof parentPort>,
  queue: ChunkQueue,
  start: Extract<ToWorker, { type: 'start' }>,
) {
  let needsUser = false;
  const options: MapOptions = {
    minMsPlayed: start.minMsPlayed,
    ingestedAt: start.ingestedAt,
    fallbackUser: () => {
      needsUser = true;
      return USER_PLACEHOLDER;
    },
  };
  const map = start.kind === 'extended' ? mapExtendedRow : mapAccountDataRow;
  let rows = emptyColumns();
  let read = 0;
  let alreadyImported = 0;
  let skipped: Partial<Record<ImportSkipReason, number>> = {};
  let invalid: { index: number; problem: string }[] = [];
  const flush = () => {
    if (read === 0 && alreadyImported === 0 && queue.consumed === 0) return;
    const columns = seal(rows);
    const msg: FromWorker = {
      type: 'rows',
      consumed: queue.consumed,
      rows: columns,
      read,
      alreadyImported,
      skipped,
      invalid,
    };
    port.postMessage(
      msg,
      [columns.kinds, columns.times, columns.users, columns.text, columns.lineEnds, columns.rowsDone].map(
        (a) => a.buffer as ArrayBuffer,
      ),
    );
    rows = emptyColumns();
    read = 0;
    alreadyImported = 0;
    skipped = {};
    invalid = [];
  };
  queue.onPull = flush;
  let index = 0;
  try {
    for await (const elements of streamJsonArrayBatches(queue)) {
      for (const row of elements) {
        if (index === 0 && !looksLike(start.kind, row)) {
          port.postMessage({
            type: 'error',
            kind: 'not_history',
            message: 'not a streaming history',
          } satisfies FromWorker);
          return;
        }
        if (index < start.skipRows) {
          index++;
          alreadyImported++;
          continue;
        }
        index++;
        read++;
        needsUser = false;
        const mapped = map(row, options);
        if (mapped.kind === 'skip') {
          skipped[mapped.reason] = (skipped[mapped.reason] ?? 0) + 1;
          if (mapped.problem) invalid.push({ index: index - 1, problem: mapped.problem });
          if (!needsUser) continue;
        }
        rows.kinds.push(
          mapped.kind === 'track' ? ROW_TRACK : mapped.kind === 'episode' ? ROW_EPISODE : ROW_NEEDS_USER,
        );
        rows.rowsDone.push(index);
        if (mapped.kind === 'skip') {
          rows.times.push(0);
          rows.ids.push(null);
          rows.names.push('');
          rows.users.push(null);
          rows.lines.push('');
          continue;
        }
        rows.times.push(mapped.key.t);
        rows.ids.push(mapped.key.id);
        rows.names.push(mapped.key.name);
        rows.users.push(needsUser ? null : mapped.userId);
        rows.lines.push(mapped.kind === 'track' ? trackLine(mapped.record) : episodeLine(mapped.record));
      }
    }
    flush();
    port.postMessage({ type: 'done', rows: index } satisfies FromWorker);
  } catch (err) {
    flush();
    port.postMessage({
      type: 'error',
      kind: err instanceof JsonArrayError ? 'json' : 'other',
      message: (err as Error).message,
      index: err instanceof JsonArrayError ? err.index : undefined,
    } satisfies FromWorker);
  }
}

/** The lines as one UTF-8 buffer of its own (transferable), with each line's end offset in `ends`. */
function encodeLines(lines: string[], ends: Uint32Array): Uint8Array {
  let joined = '';
  for (const line of lines) if (line !== '') joined += `${line}\n`;
  const bytes = Buffer.from(joined, 'utf8');
  // Offsets in characters are offsets in bytes when every character is one byte (the usual case).
  const ascii = bytes.length === joined.length;
  let end = 0;
  lines.forEach((line, i) => {
    if (line !== '') end += ascii ? line.length + 1 : Buffer.byteLength(line, 'utf8') + 1;
    ends[i] = end;
  });
  // Small buffers come from Node's shared pool: copy those into their own memory before moving them.
  return bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length ? bytes : new Uint8Array(bytes);
}

if (parentPort) run(parentPort);
