import type { Readable } from 'node:stream';

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
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * Yields the elements of a top-level JSON array of objects as they stream in, holding one element at a time,
 * so memory stays bounded whatever the file size. The scanner only finds where each element starts and ends
 * (tracking strings and nesting); each element is then parsed by `JSON.parse`, which does the real validation.
 * This is several times faster than a token-level streaming parser, which matters for exports of millions of
 * rows. A file that is not an array, has a non-object element, or ends early (truncated) throws JsonArrayError.
 */
export async function* streamJsonArray(input: Readable | AsyncIterable<Buffer>): AsyncGenerator<unknown> {
  for await (const elements of streamJsonArrayBatches(input)) yield* elements;
}

/**
 * streamJsonArray by input chunk: the elements each chunk completes, as one array (none when a chunk
 * completes none). One await per chunk instead of one per element: an import reads millions of elements.
 * On bad input, the elements before the problem are yielded first, then the error is thrown.
 */
export async function* streamJsonArrayBatches(
  input: Readable | AsyncIterable<Buffer>,
): AsyncGenerator<unknown[]> {
  let state = State.BeforeArray;
  let depth = 0;
  let inString = false;
  let index = 0;
  /** Bytes of the element in progress that arrived in earlier chunks. */
  let carry: Buffer[] = [];

  const parse = (bytes: Buffer): unknown => {
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (err) {
      throw new JsonArrayError(`element ${index} is not valid JSON (${(err as Error).message})`, index);
    }
  };

  for await (const raw of input as AsyncIterable<Buffer | string>) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    let start = state === State.InElement ? 0 : -1;
    const n = chunk.length;
    let elements: unknown[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const b = chunk[i]!;
        if (state === State.InElement) {
          if (inString) {
            // Jump to the next quote; it ends the string unless an odd number of backslashes precede it.
            const q = chunk.indexOf(QUOTE, i);
            if (q === -1) {
              i = n;
              // A backslash at the very end of the chunk escapes the first byte of the next one.
              break;
            }
            let slashes = 0;
            for (let j = q - 1; j >= 0 && chunk[j] === BACKSLASH; j--) slashes++;
            if (q - slashes === 0) slashes += trailingBackslashes(carry);
            if (slashes % 2 === 0) inString = false;
            i = q;
            continue;
          }
          if (b === QUOTE) inString = true;
          else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
          else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
            depth--;
            if (depth === 0) {
              const tail = chunk.subarray(start, i + 1);
              const bytes = carry.length ? Buffer.concat([...carry, tail]) : tail;
              carry = [];
              elements.push(parse(bytes));
              index++;
              state = State.AfterElement;
              start = -1;
            }
          }
          continue;
        }
        if (isSpace(b)) continue;
        switch (state) {
          case State.BeforeArray:
            if (b === 0xef || b === 0xbb || b === 0xbf) break; // a UTF-8 byte order mark, maybe split across chunks
            if (b !== OPEN_BRACKET) {
              throw new JsonArrayError(
                'it is not a JSON array (a streaming history file is one array of plays)',
              );
            }
            state = State.BeforeElement;
            break;
          case State.BeforeElement:
          case State.AfterElement:
            if (b === CLOSE_BRACKET && (state === State.AfterElement || index === 0)) {
              state = State.AfterArray;
            } else if (b === COMMA && state === State.AfterElement) {
              state = State.BeforeElement;
            } else if (b === OPEN_BRACE && state === State.BeforeElement) {
              state = State.InElement;
              depth = 1;
              inString = false;
              start = i;
            } else {
              throw new JsonArrayError(
                state === State.BeforeElement && b !== CLOSE_BRACKET && b !== COMMA
                  ? `element ${index} is not a JSON object`
                  : `unexpected "${String.fromCharCode(b)}" after element ${index - 1}`,
                index,
              );
            }
            break;
          case State.AfterArray:
            throw new JsonArrayError('unexpected content after the end of the array');
        }
      }
    } catch (err) {
      if (elements.length > 0) yield elements;
      throw err;
    }
    if (state === State.InElement) carry.push(start >= 0 ? chunk.subarray(start) : chunk);
    if (elements.length > 0) {
      yield elements;
      elements = [];
    }
  }
  if (state === State.BeforeArray) throw new JsonArrayError('the file is empty');
  if (state !== State.AfterArray) {
    throw new JsonArrayError(
      `the file ends in the middle of ${state === State.InElement ? `element ${index}` : 'the array'} (truncated: download or extract it again)`,
      index,
    );
  }
}

function trailingBackslashes(parts: Buffer[]): number {
  let count = 0;
  for (let p = parts.length - 1; p >= 0; p--) {
    const part = parts[p]!;
    for (let j = part.length - 1; j >= 0; j--) {
      if (part[j] !== BACKSLASH) return count;
      count++;
    }
  }
  return count;
}
