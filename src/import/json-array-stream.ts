import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import {
  BACKSLASH,
  CLOSE_BRACE,
  COMMA,
  FlatObjectScanner,
  isSpace,
  QUOTE,
  SCAN_INCOMPLETE,
} from './flat-object-scanner.js';
import { MAX_ELEMENT_BYTES } from './input-limits.js';

/** A history file that cannot be read as a JSON array of objects; `index` is the element, when known. */
export class JsonArrayError extends Error {
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
    this.name = 'JsonArrayError';
  }
}

const enum State {
  BeforeArray,
  BeforeElement,
  AfterElement,
  InElement,
  AfterArray,
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** An element started in an earlier chunk is scanned again from its start while it is smaller than this. */
const RESCAN_LIMIT = 1 << 20;

/** Where a JsonArrayReader delivers the elements, in order, as soon as each is complete. */
export interface ElementSink {
  /** A flat element: the reader's scanner holds its fields; buf[start, end) is its text. */
  flat(buf: Buffer, start: number, end: number): void;
  /**
   * Any other element, parsed by JSON.parse. `invalidUtf8`: its bytes are not all UTF-8, and JSON.parse got
   * U+FFFD in place of the bad ones (the byte scanner refuses such elements, so every one comes here).
   */
  parsed(value: unknown, invalidUtf8: boolean): void;
  /** An element of more than MAX_ELEMENT_BYTES (`bytes` long): skipped, never held in memory. */
  oversized(bytes: number): void;
}

/**
 * Reads a top-level JSON array of objects chunk by chunk, holding at most one element across chunks, so
 * memory stays bounded whatever the file size. Flat elements (the rows of a history file) are read by the
 * FlatObjectScanner in one pass, without JSON.parse; any other element is delimited (tracking strings and
 * nesting) and parsed by JSON.parse, which does the real validation. A file that is not an array, has a
 * non-object element, or ends early (truncated) throws JsonArrayError, after every element before the problem
 * has been delivered.
 */
export class JsonArrayReader {
  private state = State.BeforeArray;
  /** Elements completed so far: the number of the element in progress. */
  index = 0;
  /** Bytes of the element in progress that arrived in earlier chunks (none kept once it is oversized). */
  private carry: Buffer[] = [];
  /** Size so far of the element in progress that arrived in earlier chunks. */
  private carryBytes = 0;
  /** The element in progress is delimited by the resumable scanner below (not flat, or very long). */
  private slow = false;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(readonly scanner: FlatObjectScanner) {}

  /** Reads the chunk's elements into `sink`. Nothing of the chunk is kept: the caller may reuse it. */
  push(chunk: Buffer, sink: ElementSink): void {
    let buf = chunk;
    let i = 0;
    if (this.state === State.InElement) {
      if (this.slow) {
        const end = this.delimit(chunk, 0);
        this.carryBytes += end < 0 ? chunk.length : end;
        // Past the limit nothing more is kept: the element is only delimited as it streams past.
        if (this.carryBytes > MAX_ELEMENT_BYTES) this.carry = [];
        if (end < 0) {
          if (this.carryBytes <= MAX_ELEMENT_BYTES) this.carry.push(Buffer.from(chunk));
          return;
        }
        if (this.carryBytes > MAX_ELEMENT_BYTES) sink.oversized(this.carryBytes);
        else this.deliver(Buffer.concat([...this.carry, chunk.subarray(0, end)]), sink);
        this.carry = [];
        this.carryBytes = 0;
        this.index++;
        this.state = State.AfterElement;
        i = end;
      } else {
        // A flat element cut by the chunk boundary: read it again from its start, joined to as much of this
        // chunk as it needs (not the whole chunk: a copy of every chunk would be garbage for nothing).
        const carried = Buffer.concat(this.carry);
        this.carry = [];
        for (let take = Math.min(chunk.length, 4096); ; take = Math.min(chunk.length, take * 8)) {
          const joined = Buffer.concat([carried, chunk.subarray(0, take)]);
          const end = this.scanner.scan(joined, 0);
          if (end >= 0) {
            if (end > MAX_ELEMENT_BYTES) sink.oversized(end);
            else sink.flat(joined, 0, end);
            this.index++;
            this.state = State.AfterElement;
            i = end - carried.length;
            break;
          }
          if (end === SCAN_INCOMPLETE && take < chunk.length) continue;
          // Longer than this chunk, or not flat: read it from the joined bytes as any element.
          buf = Buffer.concat([carried, chunk]);
          this.state = State.BeforeElement;
          break;
        }
      }
    }
    const n = buf.length;
    for (; i < n; i++) {
      const b = buf[i]!;
      if (isSpace(b)) continue;
      switch (this.state) {
        case State.BeforeArray:
          if (b === 0xef || b === 0xbb || b === 0xbf) break; // a UTF-8 byte order mark, maybe split across chunks
          if (b !== OPEN_BRACKET) {
            throw new JsonArrayError(
              'it is not a JSON array (a streaming history file is one array of plays)',
            );
          }
          this.state = State.BeforeElement;
          break;
        case State.BeforeElement:
        case State.AfterElement:
          if (b === CLOSE_BRACKET && (this.state === State.AfterElement || this.index === 0)) {
            this.state = State.AfterArray;
          } else if (b === COMMA && this.state === State.AfterElement) {
            this.state = State.BeforeElement;
          } else if (b === OPEN_BRACE && this.state === State.BeforeElement) {
            const end = this.scanner.scan(buf, i);
            if (end >= 0) {
              if (end - i > MAX_ELEMENT_BYTES) sink.oversized(end - i);
              else sink.flat(buf, i, end);
            } else if (end === SCAN_INCOMPLETE && n - i <= RESCAN_LIMIT) {
              this.carry = [Buffer.from(buf.subarray(i))];
              this.slow = false;
              this.state = State.InElement;
              return;
            } else {
              this.depth = 0;
              this.inString = false;
              this.escaped = false;
              const slowEnd = this.delimit(buf, i);
              if (slowEnd < 0) {
                this.carryBytes = n - i;
                this.carry = this.carryBytes > MAX_ELEMENT_BYTES ? [] : [Buffer.from(buf.subarray(i))];
                this.slow = true;
                this.state = State.InElement;
                return;
              }
              if (slowEnd - i > MAX_ELEMENT_BYTES) sink.oversized(slowEnd - i);
              else this.deliver(buf.subarray(i, slowEnd), sink);
              i = slowEnd - 1;
              this.index++;
              this.state = State.AfterElement;
              break;
            }
            this.index++;
            this.state = State.AfterElement;
            i = end - 1;
          } else {
            throw new JsonArrayError(
              this.state === State.BeforeElement && b !== CLOSE_BRACKET && b !== COMMA
                ? `element ${this.index} is not a JSON object`
                : `unexpected "${String.fromCharCode(b)}" after element ${this.index - 1}`,
              this.index,
            );
          }
          break;
        case State.AfterArray:
          throw new JsonArrayError('unexpected content after the end of the array');
      }
    }
  }

  /** Call after the last chunk: throws when the array is empty or unfinished. */
  end(): void {
    if (this.state === State.BeforeArray) throw new JsonArrayError('the file is empty');
    if (this.state !== State.AfterArray) {
      throw new JsonArrayError(
        `the file ends in the middle of ${this.state === State.InElement ? `element ${this.index}` : 'the array'} (truncated: download or extract it again)`,
        this.index,
      );
    }
  }

  /** Continues delimiting the element in progress from buf[from]; its end offset in buf, or -1. */
  private delimit(buf: Buffer, from: number): number {
    const n = buf.length;
    // Inside a string only a quote or a backslash matters: found with indexOf (memchr), not byte by byte, so
    // a huge string (a corrupt or hostile file) streams past at memory speed. Each position is searched for
    // again only once passed, so a string full of escapes stays linear.
    let nextQuote = -1;
    let nextBackslash = -1;
    for (let i = from; i < n; i++) {
      if (this.inString && !this.escaped) {
        if (nextQuote < i && nextQuote !== -2) nextQuote = buf.indexOf(QUOTE, i);
        if (nextBackslash < i && nextBackslash !== -2) nextBackslash = buf.indexOf(BACKSLASH, i);
        // -2: none left in this buffer.
        if (nextQuote === -1) nextQuote = -2;
        if (nextBackslash === -1) nextBackslash = -2;
        const next = Math.min(nextQuote < 0 ? n : nextQuote, nextBackslash < 0 ? n : nextBackslash);
        if (next >= n) return -1;
        i = next;
      }
      const b = buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
      } else if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.depth++;
      else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && --this.depth === 0) return i + 1;
    }
    return -1;
  }

  /** Parses a whole element and hands it to the sink, saying whether its bytes were all UTF-8. */
  private deliver(bytes: Buffer, sink: ElementSink): void {
    sink.parsed(this.parse(bytes), !isUtf8(bytes));
  }

  private parse(bytes: Buffer): unknown {
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (err) {
      // A SyntaxError says where the JSON breaks; anything else (V8 running out of room) is no help to a user.
      const why = err instanceof SyntaxError ? ` (${err.message})` : '';
      throw new JsonArrayError(`element ${this.index} is not valid JSON${why}`, this.index);
    }
  }
}

/** What streamJsonArray yields for an element too big to read (more than MAX_ELEMENT_BYTES). */
export const OVERSIZED = Symbol('oversized element');

/** Yields the elements of a top-level JSON array of objects as they stream in (see JsonArrayReader). */
export async function* streamJsonArray(input: Readable | AsyncIterable<Buffer>): AsyncGenerator<unknown> {
  for await (const elements of streamJsonArrayBatches(input)) yield* elements;
}

/**
 * streamJsonArray by input chunk: the elements each chunk completes, as one array (none when a chunk
 * completes none). On bad input, the elements before the problem are yielded first, then the error is thrown.
 */
export async function* streamJsonArrayBatches(
  input: Readable | AsyncIterable<Buffer>,
): AsyncGenerator<unknown[]> {
  const reader = new JsonArrayReader(new FlatObjectScanner([]));
  let elements: unknown[] = [];
  const sink: ElementSink = {
    flat: (buf, start, end) => elements.push(JSON.parse(buf.toString('utf8', start, end))),
    parsed: (value) => elements.push(value),
    // Yielded as a marker no caller takes for a row (not an object).
    oversized: () => elements.push(OVERSIZED),
  };
  for await (const raw of input as AsyncIterable<Buffer | string>) {
    try {
      reader.push(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, sink);
    } catch (err) {
      if (elements.length > 0) yield elements;
      throw err;
    }
    if (elements.length > 0) {
      yield elements;
      elements = [];
    }
  }
  reader.end();
}
