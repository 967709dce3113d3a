/**
 * Worker thread of the import: parses and maps the rows of one history file at a time, and renders each
 * kept row's JSON line, so the main thread (deduplication, commits) gets the second core's help. A plain
 * file is read here (FileChunks); a zip entry's bytes are posted by the main thread chunk by chunk
 * (ChunkQueue). Results come back per input chunk in columns (numbers, each string once, the lines as bytes)
 * instead of one object per row.
 */
import { parentPort } from 'node:worker_threads';
import { BufferPool } from './buffer-pool.js';
import { ChunkQueue, FileChunks, type ChunkSource } from './chunk-sources.js';
import { JsonArrayError, JsonArrayReader, oversizedProblem, type ElementSink } from './json-array-stream.js';
import { recordToJsonLine } from '../../lake/encode.js';
import { EPISODE_KEYS } from '../../record/episode-schema.js';
import { looksLike, type HistoryKind, type ImportSkipReason } from '../../record/export-row.js';
import { mapExportRow, type MapOptions } from '../../record/from-export.js';
import {
  ColumnBuilder,
  ROW_EPISODE,
  ROW_TRACK,
  transferList,
  USER_EMPTY,
  USER_NONE,
  type RowColumns,
} from './row-columns.js';

/** Rows with invalid UTF-8 named per slice (the report keeps the first few of the file). */
const MAX_UTF8_EXAMPLES = 5;

/** Stands for the user of rows that do not name one; the main thread resolves it (it may have to ask). */
export const USER_PLACEHOLDER = '\u0000';
/** The placeholder as it appears in a rendered line. */
export const USER_PLACEHOLDER_JSON = `"user_id":${JSON.stringify(USER_PLACEHOLDER)}`;

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

/**
 * Given-back lines buffers: up to about what a pipeline of batches holds, so it stops allocating; new ones
 * of at least 64 KB.
 */
const linesPool = new BufferPool(64, 1 << 16);

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

/** What one slice (the rows of one input chunk) counted besides its kept rows. */
class SliceCounts {
  read = 0;
  alreadyImported = 0;
  skipped: Partial<Record<ImportSkipReason, number>> = {};
  invalid: { index: number; problem: string }[] = [];
  invalidUtf8Rows = 0;
  invalidUtf8Examples: number[] = [];
}

async function parseFile(
  port: NonNullable<typeof parentPort>,
  queue: ChunkSource,
  start: Extract<ToWorker, { type: 'start' }>,
) {
  /** The user of the row being mapped when it names none: USER_NONE or USER_EMPTY; 0: it names one. */
  let unnamed = 0;
  const options: MapOptions = {
    minMsPlayed: start.minMsPlayed,
    ingestedAt: start.ingestedAt,
    fallbackUser: (emptyName) => {
      unnamed = emptyName ? USER_EMPTY : USER_NONE;
      return USER_PLACEHOLDER;
    },
  };
  const reader = new JsonArrayReader();
  const rows = new ColumnBuilder();
  let counts = new SliceCounts();
  const flush = () => {
    if (counts.read === 0 && counts.alreadyImported === 0 && queue.consumed === 0) return;
    const columns = rows.seal(linesPool);
    const msg: FromWorker = {
      type: 'rows',
      consumed: queue.consumed,
      bytes: queue.takeBytes(),
      rows: columns,
      ...counts,
    };
    port.postMessage(msg, transferList(columns));
    queue.posted();
    counts = new SliceCounts();
  };
  queue.onPull = flush;
  let index = 0;
  let notHistory = false;

  const skip = (reason: ImportSkipReason, problem?: string) => {
    counts.skipped[reason] = (counts.skipped[reason] ?? 0) + 1;
    if (problem) counts.invalid.push({ index: index - 1, problem });
  };
  /** Counts the row; false when it is not to be mapped (already imported, or the file is not a history). */
  const begin = (looksRight: boolean): boolean => {
    if (index === 0 && !looksRight) {
      notHistory = true;
      throw new NotHistory();
    }
    index++;
    if (index <= start.skipRows) {
      counts.alreadyImported++;
      return false;
    }
    counts.read++;
    return true;
  };
  const sink: ElementSink = {
    element: (value, invalidUtf8) => {
      if (!begin(looksLike(start.kind, value))) return;
      if (invalidUtf8) {
        counts.invalidUtf8Rows++;
        if (counts.invalidUtf8Examples.length < MAX_UTF8_EXAMPLES) counts.invalidUtf8Examples.push(index - 1);
      }
      unnamed = 0;
      const mapped = mapExportRow(start.kind, value, options);
      if (mapped.kind === 'skip') {
        skip(mapped.reason, mapped.problem);
        return;
      }
      const { t, id, name } = mapped.key;
      // The one place the import serialises a record: a step that changes records goes before it.
      const line =
        mapped.kind === 'track'
          ? `${recordToJsonLine(mapped.record)}\n`
          : `${recordToJsonLine(mapped.record, EPISODE_KEYS)}\n`;
      const kind = mapped.kind === 'track' ? ROW_TRACK : ROW_EPISODE;
      rows.add(kind, index, t, id, name, unnamed === 0 ? mapped.userId : unnamed, line);
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
