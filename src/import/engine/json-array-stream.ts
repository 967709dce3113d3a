import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';

/**
 * The largest array element (one row) read at all, in bytes of the file. A bigger one is skipped as `invalid`
 * without being held: it is delimited as it streams past, so memory stays bounded whatever one element holds.
 * (src/import/input-limits.ts names this and the import's other bound on a row, on its fields' length.)
 */
export const MAX_ELEMENT_BYTES = 1 << 20;

/** The `invalid` problem of an element bigger than MAX_ELEMENT_BYTES. */
export function oversizedProblem(bytes: number): string {
  return `the row is ${(bytes / (1 << 20)).toFixed(1)} MB, more than the ${MAX_ELEMENT_BYTES / (1 << 20)} MB a row may be: skipped without reading it`;
}

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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** A string longer than this (in bytes) is skipped with indexOf instead of byte by byte. */
const LONG_STRING = 256;

/** The offset of the first `byte` at or after `from`, or buf.length. */
function indexOf(buf: Buffer, byte: number, from: number): number {
  const at = buf.indexOf(byte, from);
  return at < 0 ? buf.length : at;
}

/**
 * Whether decoding `bytes` put U+FFFD in place of bytes that are not UTF-8: looked for in the text first (a
 * JS string search), since checking every element's bytes costs more than parsing them.
 */
function decodedBadBytes(text: string, bytes: Buffer): boolean {
  return text.includes('\uFFFD') && !isUtf8(bytes);
}

/** JSON.parse of the text, or undefined when they are not valid JSON. */
function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Where a JsonArrayReader delivers the elements, in order, as soon as each is complete. */
export interface ElementSink {
  /**
   * An element, parsed by JSON.parse. `invalidUtf8`: its bytes are not all UTF-8, and JSON.parse got U+FFFD
   * in place of the bad ones.
   */
  element(value: unknown, invalidUtf8: boolean): void;
  /** An element of more than MAX_ELEMENT_BYTES (`bytes` long): skipped, never held in memory. */
  oversized(bytes: number): void;
}

/**
 * Reads a top-level JSON array of objects chunk by chunk, holding at most one element across chunks, so
 * memory stays bounded whatever the file size. It only delimits the elements (tracking strings and nesting);
 * JSON.parse does the parsing and the real validation, one element at a time (measured faster than one call
 * for all the elements of a chunk: a chunk with one non-ASCII character decodes to a two-byte string, which
 * V8 parses more slowly; most rows alone are one-byte). A file that is not an
 * array, has a non-object element, or ends early (truncated) throws JsonArrayError, after every element before
 * the problem has been delivered.
 */
export class JsonArrayReader {
  private state = State.BeforeArray;
  /** Elements delimited so far: the number of the element in progress. */
  index = 0;
  /** Bytes of the element in progress that arrived in earlier chunks (none kept once it is oversized). */
  private carry: Buffer[] = [];
  /** Size so far of the element in progress that arrived in earlier chunks. */
  private carryBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** Reads the chunk's elements into `sink`. Nothing of the chunk is kept: the caller may reuse it. */
  push(buf: Buffer, sink: ElementSink): void {
    let i = 0;
    if (this.state === State.InElement) {
      const end = this.delimit(buf, 0);
      this.carryBytes += end < 0 ? buf.length : end;
      // Past the limit nothing more is kept: the element is only delimited as it streams past.
      if (this.carryBytes > MAX_ELEMENT_BYTES) this.carry = [];
      if (end < 0) {
        if (this.carryBytes <= MAX_ELEMENT_BYTES) this.carry.push(Buffer.from(buf));
        return;
      }
      if (this.carryBytes > MAX_ELEMENT_BYTES) sink.oversized(this.carryBytes);
      else this.deliver(Buffer.concat([...this.carry, buf.subarray(0, end)]), sink, this.index);
      this.carry = [];
      this.carryBytes = 0;
      this.index++;
      this.state = State.AfterElement;
      i = end;
    }
    this.scan(buf, i, sink);
  }

  private scan(buf: Buffer, from: number, sink: ElementSink): void {
    const n = buf.length;
    for (let i = from; i < n; i++) {
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
            // A row is a flat object: its end is almost always the first `}`. If the text up to there parses,
            // it is the element (a JSON object ends where its text does); if not (a `}` inside a string, a
            // nested value, bad JSON), the element is delimited byte by byte below.
            const close = buf.indexOf(CLOSE_BRACE, i);
            if (close >= 0 && close - i < MAX_ELEMENT_BYTES) {
              const bytes = buf.subarray(i, close + 1);
              const text = bytes.toString('utf8');
              const value = parseOrUndefined(text);
              if (value !== undefined) {
                sink.element(value, decodedBadBytes(text, bytes));
                this.index++;
                this.state = State.AfterElement;
                i = close;
                break;
              }
            }
            this.depth = 0;
            this.inString = false;
            this.escaped = false;
            const end = this.delimit(buf, i);
            if (end < 0) {
              this.carryBytes = n - i;
              this.carry = this.carryBytes > MAX_ELEMENT_BYTES ? [] : [Buffer.from(buf.subarray(i))];
              this.state = State.InElement;
              return;
            }
            if (end - i > MAX_ELEMENT_BYTES) sink.oversized(end - i);
            else this.deliver(buf.subarray(i, end), sink, this.index);
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

  /**
   * Continues delimiting the element in progress from buf[from]; its end offset in buf, or -1. Inside a
   * string only a quote or a backslash matters: a long string (a corrupt or hostile file) is skipped with
   * indexOf (memchr) at memory speed, a short one byte by byte (cheaper than a native call).
   */
  private delimit(buf: Buffer, from: number): number {
    const n = buf.length;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    /** Plain bytes of the current string seen one by one; past LONG_STRING the rest is searched for. */
    let run = 0;
    // The next quote and backslash found by indexOf, each searched for again only once passed: linear even
    // in a string full of escapes.
    let nextQuote = -1;
    let nextBackslash = -1;
    for (let i = from; i < n; i++) {
      const b = buf[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
        else if (++run > LONG_STRING) {
          if (nextQuote < i) nextQuote = indexOf(buf, QUOTE, i);
          if (nextBackslash < i) nextBackslash = indexOf(buf, BACKSLASH, i);
          i = Math.min(nextQuote, nextBackslash) - 1;
          run = 0;
        }
      } else if (b === QUOTE) {
        inString = true;
        run = 0;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && --depth === 0) {
        this.depth = 0;
        this.inString = false;
        this.escaped = false;
        return i + 1;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return -1;
  }

  /** Parses one element and hands it to the sink, saying whether its bytes were all UTF-8. */
  private deliver(bytes: Buffer, sink: ElementSink, index: number): void {
    const text = bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (err) {
      // A SyntaxError says where the JSON breaks; anything else (V8 running out of room) is no help to a user.
      const why = err instanceof SyntaxError ? ` (${err.message})` : '';
      throw new JsonArrayError(`element ${index} is not valid JSON${why}`, index);
    }
    sink.element(value, decodedBadBytes(text, bytes));
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
  const reader = new JsonArrayReader();
  let elements: unknown[] = [];
  const sink: ElementSink = {
    element: (value) => elements.push(value),
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
