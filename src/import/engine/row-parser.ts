import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { HistoryKind } from '../../record/export-row.js';
import type { FromWorker, ToWorker } from './parse-worker.js';
import { workerScript } from '../../util/worker-script.js';

export type RowSlice = Extract<FromWorker, { type: 'rows' }>;

/** Input chunks (~64 KB each) posted ahead of the parsing: enough to keep the worker busy, bounded memory. */
const CHUNKS_IN_FLIGHT = 4;

/** A history file that failed in the worker: not JSON, not a history, or unreadable bytes. */
export class RowParseError extends Error {
  constructor(
    readonly kind: 'json' | 'not_history' | 'other',
    message: string,
    readonly index?: number,
  ) {
    super(message);
    this.name = 'RowParseError';
  }
}

/** The parser thread itself failed (it could not start, or died): not a problem of the file being read. */
export class ParserThreadError extends Error {
  constructor(cause: unknown) {
    // V8's own words for running out of heap mean nothing to a user: say what happened.
    const why =
      (cause as NodeJS.ErrnoException)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? 'it ran out of memory'
        : ((cause as Error)?.message ?? String(cause));
    super(`the import's parser thread failed (${why})`, { cause });
    this.name = 'ParserThreadError';
  }
}

/**
 * Parses history files in a worker thread (see parse-worker.ts). The main thread only reads the bytes and
 * posts them; a bounded number of chunks is in flight, so memory does not grow with the file.
 */
export class RowParser {
  // Small heap limits: the worker holds a few chunks and their rows at a time, and V8's defaults would let
  // its garbage pile up to hundreds of MB (the import's peak RSS must stay under 300 MB).
  private readonly worker = new Worker(workerScript(import.meta.url, 'import/engine', 'parse-worker.js'), {
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
  });
  private inbox: FromWorker[] = [];
  /** The strings of the file being parsed, numbered as the slices' `ids` and `names` refer to them. */
  strings: string[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor() {
    this.worker.on('message', (m: FromWorker) => {
      this.inbox.push(m);
      this.notify();
    });
    this.worker.on('error', (err) => {
      this.failure = new ParserThreadError(err);
      this.notify();
    });
    this.worker.on('exit', (code) => {
      this.failure ??= new ParserThreadError(new Error(`it exited with code ${code}`));
      this.notify();
    });
  }

  private notify() {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * Yields the file's rows in slices as the worker maps them; returns how many rows the file has. A plain
   * file the worker reads itself; a stream (a zip entry) is read here and posted chunk by chunk. Stream,
   * read and worker errors are thrown as they are; bad content as RowParseError.
   */
  async *parse(
    source: { file: string } | { stream: Readable },
    start: Omit<Extract<ToWorker, { type: 'start' }>, 'type' | 'file'> & { kind: HistoryKind },
    onBytes: (n: number) => void,
  ): AsyncGenerator<RowSlice, number> {
    this.inbox = [];
    this.strings = [];
    const stream = 'stream' in source ? source.stream : undefined;
    this.worker.postMessage({
      type: 'start',
      ...start,
      file: 'file' in source ? source.file : undefined,
    } satisfies ToWorker);
    let sent = 0;
    let consumed = 0;
    let ended = stream === undefined;
    let pumping = false;
    let readError: unknown;
    const pump = async (reader: AsyncIterator<Buffer>) => {
      pumping = true;
      try {
        while (!ended && sent - consumed < CHUNKS_IN_FLIGHT) {
          const next = await reader.next();
          if (next.done) {
            ended = true;
            this.worker.postMessage({ type: 'end' } satisfies ToWorker);
            break;
          }
          onBytes(next.value.length);
          // A copy the worker owns (stream chunks may share a pooled buffer).
          const bytes = new Uint8Array(next.value);
          this.worker.postMessage({ type: 'chunk', bytes } satisfies ToWorker, [bytes.buffer]);
          sent++;
        }
      } catch (err) {
        readError = err;
        this.notify();
      } finally {
        pumping = false;
      }
    };
    const reader = stream && (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const startPump = () => {
      if (reader && !pumping && !ended && readError === undefined) void pump(reader);
    };
    try {
      startPump();
      for (;;) {
        while (this.inbox.length === 0) {
          if (readError !== undefined) throw readError;
          if (this.failure) throw this.failure;
          await new Promise<void>((r) => (this.wake = r));
        }
        const msg = this.inbox.shift()!;
        if (msg.type === 'rows') {
          consumed = msg.consumed;
          for (const text of msg.rows.strings) this.strings.push(text);
          if (msg.bytes > 0) onBytes(msg.bytes);
          startPump();
          yield msg;
          // Taken: a worker reading a file itself may read on.
          if (!stream) this.worker.postMessage({ type: 'ack' } satisfies ToWorker);
        } else if (msg.type === 'done') {
          return msg.rows;
        } else {
          if (readError !== undefined) throw readError;
          if (msg.kind === 'io') throw Object.assign(new Error(msg.message), { code: msg.code });
          throw new RowParseError(msg.kind, msg.message, msg.index);
        }
      }
    } finally {
      if (stream && !ended) stream.destroy();
    }
  }

  /** Gives lines buffers of earlier slices back to the worker, which writes the next slices into them. */
  recycle(buffers: ArrayBuffer[]): void {
    if (buffers.length > 0) this.worker.postMessage({ type: 'recycle', buffers } satisfies ToWorker, buffers);
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
