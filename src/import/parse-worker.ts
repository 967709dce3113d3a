/**
 * Worker thread of the import: scans, parses and maps the rows of one history file at a time, and renders
 * each kept row's JSON line, so the main thread (deduplication, commits) gets the second core's help. A
 * plain file is read here (FileChunks); a zip entry's bytes are posted by the main thread chunk by chunk
 * (ChunkQueue). Results come back per input chunk in columns (numbers, each string once, the lines as bytes)
 * instead of one object per row.
 */
import { parentPort } from 'node:worker_threads';
import { readInPlace } from '../util/read-in-place.js';
import { BufferPool } from './buffer-pool.js';
import { ByteWriter, Constant } from './byte-writer.js';
import { FlatObjectScanner } from './flat-object-scanner.js';
import { JsonArrayError, JsonArrayReader, type ElementSink } from './json-array-stream.js';
import {
  ACCOUNT_FIELDS,
  EXTENDED_FIELDS,
  FlatKind,
  FlatResult,
  looksLikeFlat,
  mapAccountFlat,
  mapExtendedFlat,
  type FlatMapOptions,
} from './map-flat-rows.js';
import {
  looksLike,
  mapAccountDataRow,
  mapExtendedRow,
  type HistoryKind,
  type ImportSkipReason,
  type MapOptions,
} from './map-rows.js';
import { mayHoldOverlongField, oversizedProblem } from './input-limits.js';
import { episodeLine, trackLine } from './record-lines.js';

/** Rows with invalid UTF-8 named per slice (the report keeps the first few of the file). */
const MAX_UTF8_EXAMPLES = 5;

/** Stands for the user of rows that do not name one; the main thread resolves it (it may have to ask). */
export const USER_PLACEHOLDER = '\u0000';
/** The placeholder as it appears in a rendered line. */
export const USER_PLACEHOLDER_JSON = `"user_id":${JSON.stringify(USER_PLACEHOLDER)}`;

export const ROW_TRACK = 0;
export const ROW_EPISODE = 1;
/** A skipped row that needed the fallback user: the main thread resolves it at that point (it may throw). */
export const ROW_NEEDS_USER = 2;

export type ToWorker =
  | {
      type: 'start';
      kind: HistoryKind;
      skipRows: number;
      minMsPlayed: number;
      ingestedAt: string;
      /** A plain file the worker reads itself; without it, the main thread posts the bytes chunk by chunk. */
      file?: string;
    }
  | { type: 'chunk'; bytes: Uint8Array }
  | { type: 'end' }
  /** The main thread is done with a slice: the worker may read on (it reads a file at most SLICES_AHEAD ahead). */
  | { type: 'ack' }
  /** Lines buffers the main thread no longer needs, given back (moved) to be written into again. */
  | { type: 'recycle'; buffers: ArrayBuffer[] };

/**
 * Given-back lines buffers (see ByteWriter.take): up to about what a pipeline of batches holds, so it stops
 * allocating; new ones of at least 64 KB.
 */
const linesPool = new BufferPool(64, 1 << 16);

/**
 * Slices a worker reading a file itself may post before the main thread has taken them: enough (~60 ms of
 * parsing) to ride over the main thread's pauses (a commit's writes, a garbage collection), ~6 MB of lines.
 */
export const SLICES_AHEAD = 6;

/**
 * The kept rows of a slice, by column. Numbers travel in typed arrays and the lines as one byte buffer, all
 * moved (not copied) to the main thread and outside its JS heap: the main thread's garbage, and so the
 * import's peak memory, stays small.
 */
export interface RowColumns {
  kinds: Uint8Array;
  /** played_at, epoch ms. */
  times: Float64Array;
  /** Each row's track or episode id, as an index into the file's strings; -1: none (Account Data). */
  ids: Int32Array;
  /** Each row's name, as an index into the file's strings. */
  names: Int32Array;
  /**
   * The file's strings first used by this slice, in order: a file's strings are numbered from 0 as they first
   * appear, and each is sent once, so the main thread holds one copy of each track's id and name, not one
   * per play (fewer, longer-lived objects on its heap).
   */
  strings: string[];
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

/** RowColumns being filled in the worker; the lines go straight into a ByteWriter. */
interface ColumnBuilder {
  kinds: number[];
  times: number[];
  ids: number[];
  names: number[];
  strings: string[];
  users: (string | null)[];
  lineEnds: number[];
  rowsDone: number[];
}

export type FromWorker =
  | {
      type: 'rows';
      /** Input chunks consumed so far: lets the main thread keep a bounded number in flight. */
      consumed: number;
      /** Bytes of the file the worker read itself for this slice (progress). */
      bytes: number;
      rows: RowColumns;
      /** Rows read (not skipped as committed by an earlier run) in this slice. */
      read: number;
      /** Rows skipped as committed by an earlier run in this slice. */
      alreadyImported: number;
      skipped: Partial<Record<ImportSkipReason, number>>;
      invalid: { index: number; problem: string }[];
      /** Rows of this slice holding bytes that are not UTF-8 (read with U+FFFD in their place). */
      invalidUtf8Rows: number;
      /** The first few of them, by row index. */
      invalidUtf8Examples: number[];
    }
  | { type: 'done'; rows: number }
  | {
      type: 'error';
      kind: 'json' | 'not_history' | 'io' | 'other';
      message: string;
      index?: number;
      /** The system error code of an 'io' error. */
      code?: string;
    };

const emptyColumns = (): ColumnBuilder => ({
  kinds: [],
  times: [],
  ids: [],
  names: [],
  strings: [],
  users: [],
  lineEnds: [],
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

function seal(b: ColumnBuilder, text: Uint8Array): RowColumns {
  return {
    kinds: Uint8Array.from(b.kinds),
    times: Float64Array.from(b.times),
    ids: Int32Array.from(b.ids),
    names: Int32Array.from(b.names),
    strings: b.strings,
    ...userColumn(b.users),
    text,
    lineEnds: Uint32Array.from(b.lineEnds),
    rowsDone: Uint32Array.from(b.rowsDone),
  };
}

/** Where parseFile gets its chunks: posted by the main thread, or read from a file. */
interface ChunkSource extends AsyncIterable<Buffer> {
  /** Chunks handed out so far. */
  consumed: number;
  /** Bytes read from a file since the last call of takeBytes (0 for posted chunks: the main thread counts those). */
  takeBytes(): number;
  /** Called before waiting for the next chunk: everything parsed from the chunks before it is complete. */
  onPull: () => void;
  /** A slice of rows was posted to the main thread (a file read here waits for it to be taken). */
  posted(): void;
}

/** Chunks posted by the main thread. */
class ChunkQueue implements ChunkSource {
  private readonly chunks: (Buffer | null)[] = [];
  private wake: (() => void) | undefined;
  consumed = 0;
  onPull: () => void = () => {};
  takeBytes(): number {
    return 0;
  }
  posted(): void {}
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

/**
 * A file read by the worker itself into one reused buffer: no chunk is allocated, copied or moved between
 * threads. It reads at most SLICES_AHEAD slices ahead of the main thread (acknowledgements), so memory stays
 * bounded however fast the file is read.
 */
class FileChunks implements ChunkSource {
  consumed = 0;
  onPull: () => void = () => {};
  private bytes = 0;
  private unacknowledged = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly file: string) {}

  takeBytes(): number {
    const n = this.bytes;
    this.bytes = 0;
    return n;
  }

  posted(): void {
    this.unacknowledged++;
  }

  acknowledged(): void {
    this.unacknowledged--;
    this.wake?.();
    this.wake = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const chunks = readInPlace(this.file);
    try {
      for (;;) {
        this.onPull();
        while (this.unacknowledged >= SLICES_AHEAD) await new Promise<void>((r) => (this.wake = r));
        const next = await chunks.next();
        if (next.done) return;
        this.bytes += next.value.length;
        this.consumed++;
        yield next.value;
      }
    } finally {
      await chunks.return();
    }
  }
}

function run(port: NonNullable<typeof parentPort>) {
  let queue: ChunkQueue | undefined;
  let file: FileChunks | undefined;
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'start') {
      if (msg.file !== undefined) {
        queue = undefined;
        file = new FileChunks(msg.file);
        void parseFile(port, file, msg);
      } else {
        file = undefined;
        queue = new ChunkQueue();
        void parseFile(port, queue, msg);
      }
    } else if (msg.type === 'ack') {
      file?.acknowledged();
    } else if (msg.type === 'recycle') {
      for (const b of msg.buffers) linesPool.give(b);
    } else if (msg.type === 'chunk') {
      queue!.push(Buffer.from(msg.bytes.buffer, msg.bytes.byteOffset, msg.bytes.byteLength));
    } else {
      queue!.push(null);
    }
  });
}

async function parseFile(
  port: NonNullable<typeof parentPort>,
  queue: ChunkSource,
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
  const extended = start.kind === 'extended';
  const map = extended ? mapExtendedRow : mapAccountDataRow;
  const mapFlat = extended ? mapExtendedFlat : mapAccountFlat;
  const scanner = new FlatObjectScanner(extended ? EXTENDED_FIELDS : ACCOUNT_FIELDS);
  const reader = new JsonArrayReader(scanner);
  const flatOptions: FlatMapOptions = {
    minMsPlayed: start.minMsPlayed,
    ingestedAtJson: new Constant(JSON.stringify(start.ingestedAt)),
    userPlaceholderJson: new Constant(JSON.stringify(USER_PLACEHOLDER)),
  };
  const result = new FlatResult();
  const lines = new ByteWriter(1 << 20);
  let rows = emptyColumns();
  const numbered = new Map<string, number>();
  const intern = (text: string): number => {
    let n = numbered.get(text);
    if (n === undefined) {
      numbered.set(text, (n = numbered.size));
      rows.strings.push(text);
    }
    return n;
  };
  let read = 0;
  let alreadyImported = 0;
  let skipped: Partial<Record<ImportSkipReason, number>> = {};
  let invalid: { index: number; problem: string }[] = [];
  let invalidUtf8Rows = 0;
  let invalidUtf8Examples: number[] = [];
  const flush = () => {
    if (read === 0 && alreadyImported === 0 && queue.consumed === 0) return;
    const columns = seal(rows, lines.take(linesPool));
    const msg: FromWorker = {
      type: 'rows',
      consumed: queue.consumed,
      bytes: queue.takeBytes(),
      rows: columns,
      read,
      alreadyImported,
      skipped,
      invalid,
      invalidUtf8Rows,
      invalidUtf8Examples,
    };
    port.postMessage(
      msg,
      [
        columns.kinds,
        columns.times,
        columns.ids,
        columns.names,
        columns.users,
        columns.text,
        columns.lineEnds,
        columns.rowsDone,
      ].map((a) => a.buffer as ArrayBuffer),
    );
    queue.posted();
    rows = emptyColumns();
    read = 0;
    alreadyImported = 0;
    skipped = {};
    invalid = [];
    invalidUtf8Rows = 0;
    invalidUtf8Examples = [];
  };
  queue.onPull = flush;
  let index = 0;
  let notHistory = false;

  const skip = (reason: ImportSkipReason, problem?: string) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
    if (problem) invalid.push({ index: index - 1, problem });
  };
  const keep = (kind: number, t: number, id: string | null, name: string, user: string | null) => {
    rows.kinds.push(kind);
    rows.rowsDone.push(index);
    rows.times.push(t);
    rows.ids.push(id === null ? -1 : intern(id));
    rows.names.push(intern(name));
    rows.users.push(user);
    rows.lineEnds.push(lines.pos);
  };
  /** Counts the row; false when it is not to be mapped (already imported, or the file is not a history). */
  const begin = (looksRight: boolean): boolean => {
    if (index === 0 && !looksRight) {
      notHistory = true;
      throw new NotHistory();
    }
    index++;
    if (index <= start.skipRows) {
      alreadyImported++;
      return false;
    }
    read++;
    return true;
  };
  /** A row as a parsed object: the object mappers. */
  const mapObject = (row: unknown) => {
    needsUser = false;
    const mapped = map(row, options);
    if (mapped.kind === 'skip') {
      skip(mapped.reason, mapped.problem);
      if (needsUser) keep(ROW_NEEDS_USER, 0, null, '', null);
      return;
    }
    lines.string(`${mapped.kind === 'track' ? trackLine(mapped.record) : episodeLine(mapped.record)}\n`);
    keep(
      mapped.kind === 'track' ? ROW_TRACK : ROW_EPISODE,
      mapped.key.t,
      mapped.key.id,
      mapped.key.name,
      needsUser ? null : mapped.userId,
    );
  };
  const sink: ElementSink = {
    flat: (buf, from, to) => {
      if (!begin(looksLikeFlat(scanner, extended))) return;
      // A field longer than the limit is the object mappers' to find (input-limits.ts): one rule, one place.
      if (mayHoldOverlongField(to - from)) return mapObject(JSON.parse(buf.toString('utf8', from, to)));
      mapFlat(scanner, buf, flatOptions, lines, result);
      switch (result.kind) {
        case FlatKind.Track:
        case FlatKind.Episode:
          keep(
            result.kind === FlatKind.Track ? ROW_TRACK : ROW_EPISODE,
            result.t,
            result.id,
            result.name,
            result.userId,
          );
          return;
        case FlatKind.Skip:
          skip(result.reason);
          if (result.needsUser) keep(ROW_NEEDS_USER, 0, null, '', null);
          return;
        default:
          mapObject(JSON.parse(buf.toString('utf8', from, to)));
      }
    },
    parsed: (value, invalidUtf8) => {
      if (!begin(looksLike(start.kind, value))) return;
      if (invalidUtf8) {
        invalidUtf8Rows++;
        if (invalidUtf8Examples.length < MAX_UTF8_EXAMPLES) invalidUtf8Examples.push(index - 1);
      }
      mapObject(value);
    },
    oversized: (bytes) => {
      // Never read, so nothing says whose it is or whether it is a play: an invalid row.
      if (begin(true)) skip('invalid', oversizedProblem(bytes));
    },
  };
  try {
    for await (const chunk of queue) reader.push(chunk, sink);
    reader.end();
    flush();
    port.postMessage({ type: 'done', rows: index } satisfies FromWorker);
  } catch (err) {
    if (notHistory) {
      port.postMessage({
        type: 'error',
        kind: 'not_history',
        message: 'not a streaming history',
      } satisfies FromWorker);
      return;
    }
    flush();
    const code = (err as NodeJS.ErrnoException).code;
    port.postMessage({
      type: 'error',
      kind: err instanceof JsonArrayError ? 'json' : typeof code === 'string' ? 'io' : 'other',
      message: (err as Error).message,
      index: err instanceof JsonArrayError ? err.index : undefined,
      code,
    } satisfies FromWorker);
  }
}

class NotHistory extends Error {}

if (parentPort) run(parentPort);
