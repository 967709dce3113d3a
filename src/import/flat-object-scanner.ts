import { isUtf8 } from 'node:buffer';
import { Constant } from './byte-writer.js';

/** What a field held in the last object scanned. */
export const enum FieldType {
  Absent = 0,
  String = 1,
  Integer = 2,
  True = 3,
  False = 4,
  Null = 5,
}

/** scan() results that are not an end offset. */
export const SCAN_INCOMPLETE = -1;
export const SCAN_UNSUPPORTED = -2;

/** JSON's structural bytes, shared with the array reader. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const CLOSE_BRACE = 0x7d;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const SPACE = 0x20;

/**
 * Reads one JSON object whose values are all strings, integers, true, false or null (what every row of a
 * Spotify history file is), straight from its UTF-8 bytes: for the fields it was built for, it records where
 * each value is, so a row can be mapped and its line written without `JSON.parse`, without a JS object per
 * row and without decoding strings that are only copied. Strings may hold the escapes JSON.stringify itself
 * writes (\" \\ \b \f \n \r \t: a title with quotes), so copying them gives what stringifying the parsed
 * value would. Anything else (another escape, a nested value, a fraction, invalid JSON, invalid UTF-8) is
 * SCAN_UNSUPPORTED, and the caller parses that element with JSON.parse instead, so what is accepted, refused
 * and produced never differs from JSON.parse.
 */
export class FlatObjectScanner {
  /** Per field: FieldType. */
  readonly types: Uint8Array;
  /** Per field: the value's bytes [start, end); for strings, without the quotes. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Per field, for strings: whether it holds something other than spaces (what `.trim() !== ''` tests). */
  readonly nonBlank: Uint8Array;
  /** Per field, for strings: whether it holds an escape (its text is then not the value's; see stringAt). */
  readonly escaped: Uint8Array;
  /** Per field, for integers: the value. */
  readonly ints: Float64Array;
  /** The keys by byte length, each with its field number. */
  private readonly byLength: { bytes: Uint8Array; field: number }[][] = [];
  /**
   * The keys of the previous object, in order, with their field numbers (-1: not looked at): the rows of a
   * file all list the same keys in the same order, so each key is checked against its predecessor's bytes
   * instead of being read and looked up.
   */
  private readonly order: KnownKey[] = [];
  /** A view of the buffer being scanned, to compare keys four bytes at a time. */
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private viewOf: Uint8Array | undefined;

  constructor(readonly keys: readonly string[]) {
    const n = keys.length;
    this.types = new Uint8Array(n);
    this.starts = new Int32Array(n);
    this.ends = new Int32Array(n);
    this.nonBlank = new Uint8Array(n);
    this.escaped = new Uint8Array(n);
    this.ints = new Float64Array(n);
    keys.forEach((key, field) => {
      const bytes = Buffer.from(key, 'latin1');
      (this.byLength[bytes.length] ??= []).push({ bytes, field });
    });
  }

  private viewFor(buf: Uint8Array): DataView<ArrayBufferLike> {
    if (buf !== this.viewOf) {
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.viewOf = buf;
    }
    return this.view;
  }

  /** The field number of the key in buf[start, end), or -1 for a key this scanner does not look at. */
  private fieldOf(buf: Uint8Array, start: number, end: number): number {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return -1;
    outer: for (const c of candidates) {
      const k = c.bytes;
      for (let j = 0; j < k.length; j++) if (buf[start + j] !== k[j]) continue outer;
      return c.field;
    }
    return -1;
  }

  /**
   * Scans the object starting at buf[start] (its `{`). Returns the offset just after its `}`, SCAN_INCOMPLETE
   * when buf ends first, or SCAN_UNSUPPORTED. Fields not present are FieldType.Absent; a key given twice keeps
   * its last value, as JSON.parse does.
   */
  scan(buf: Uint8Array, start: number): number {
    this.types.fill(FieldType.Absent);
    const n = buf.length;
    let high = false;
    let i = start + 1;
    // Whitespace, then `}` (an empty object) or the first key.
    while (i < n && isSpace(buf[i]!)) i++;
    if (i >= n) return SCAN_INCOMPLETE;
    if (buf[i] === CLOSE_BRACE) return i + 1;
    for (let position = 0; ; position++) {
      // Key.
      if (buf[i] !== QUOTE) return SCAN_UNSUPPORTED;
      const keyStart = i + 1;
      let j: number;
      let field: number;
      const expected = this.order[position];
      if (expected !== undefined && matches(this.viewFor(buf), buf, keyStart, expected)) {
        j = keyStart + expected.bytes.length;
        field = expected.field;
        if (expected.high) high = true;
      } else {
        let keyHigh = false;
        for (j = keyStart; j < n; j++) {
          const b = buf[j]!;
          if (b === QUOTE) break;
          if (b === BACKSLASH || b < SPACE) return SCAN_UNSUPPORTED;
          if (b >= 0x80) keyHigh = true;
        }
        if (j >= n) return SCAN_INCOMPLETE;
        if (keyHigh) high = true;
        field = this.fieldOf(buf, keyStart, j);
        this.order[position] = new KnownKey(buf.subarray(keyStart, j), field, keyHigh);
      }
      i = j + 1;
      while (i < n && isSpace(buf[i]!)) i++;
      if (i >= n) return SCAN_INCOMPLETE;
      if (buf[i] !== COLON) return SCAN_UNSUPPORTED;
      i++;
      while (i < n && isSpace(buf[i]!)) i++;
      if (i >= n) return SCAN_INCOMPLETE;
      // Value.
      const b = buf[i]!;
      if (b === QUOTE) {
        const valueStart = i + 1;
        let solid = false;
        let escaped = false;
        let k = valueStart;
        const view = this.viewFor(buf);
        for (; k < n; k++) {
          // Four bytes at a time while none of them is a quote, a backslash, a control or a non-ASCII byte.
          while (k + 4 <= n) {
            const x = view.getInt32(k, true);
            if (x & HIGH_BITS || special(x)) break;
            if (x !== SPACES) solid = true;
            k += 4;
          }
          if (k >= n) break;
          const c = buf[k]!;
          if (c === QUOTE) break;
          if (c === BACKSLASH) {
            if (k + 1 >= n) return SCAN_INCOMPLETE;
            const e = buf[k + 1]!;
            // \" \\ \b stand for characters trim() keeps; \f \n \r \t for ones it removes.
            if (e === QUOTE || e === BACKSLASH || e === 0x62) solid = true;
            else if (e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return SCAN_UNSUPPORTED;
            escaped = true;
            k++;
            continue;
          }
          if (c < SPACE) return SCAN_UNSUPPORTED;
          if (c >= 0x80) high = true;
          else if (c !== SPACE) solid = true;
        }
        if (k >= n) return SCAN_INCOMPLETE;
        // Only spaces, escaped spaces and non-ASCII: whether it is blank depends on which characters those are.
        if (!solid && k > valueStart && (high || escaped)) solid = decodedNonBlank(buf, valueStart, k);
        if (field >= 0) {
          this.types[field] = FieldType.String;
          this.starts[field] = valueStart;
          this.ends[field] = k;
          this.nonBlank[field] = solid ? 1 : 0;
          this.escaped[field] = escaped ? 1 : 0;
        }
        i = k + 1;
      } else if (b === MINUS || (b >= ZERO && b <= NINE)) {
        // Integers only: -?(0|[1-9][0-9]*), at most 15 digits (exact as a double); anything else is rare
        // enough to leave to JSON.parse.
        let k = b === MINUS ? i + 1 : i;
        const digitsStart = k;
        let value = 0;
        for (; k < n; k++) {
          const c = buf[k]!;
          if (c < ZERO || c > NINE) break;
          value = value * 10 + (c - ZERO);
        }
        if (k >= n) return SCAN_INCOMPLETE;
        const digits = k - digitsStart;
        if (digits === 0 || digits > 15 || (digits > 1 && buf[digitsStart] === ZERO)) return SCAN_UNSUPPORTED;
        const next = buf[k]!;
        if (next === 0x2e || next === 0x65 || next === 0x45) return SCAN_UNSUPPORTED; // . e E
        if (b === MINUS) {
          if (value === 0) return SCAN_UNSUPPORTED; // -0
          value = -value;
        }
        if (field >= 0) {
          this.types[field] = FieldType.Integer;
          this.starts[field] = i;
          this.ends[field] = k;
          this.ints[field] = value;
        }
        i = k;
      } else {
        const type =
          b === 0x74 ? FieldType.True : b === 0x66 ? FieldType.False : b === 0x6e ? FieldType.Null : 0;
        if (type === 0) return SCAN_UNSUPPORTED; // an object, an array, or not JSON
        const length = type === FieldType.False ? 5 : 4;
        if (i + length > n) return SCAN_INCOMPLETE;
        // The first four bytes as one word (all of `true` and `null`), then the `e` of `false`.
        const word = type === FieldType.True ? TRUE_WORD : type === FieldType.False ? FALSE_WORD : NULL_WORD;
        if (this.viewFor(buf).getInt32(i, true) !== word) return SCAN_UNSUPPORTED;
        if (length === 5 && buf[i + 4] !== 0x65) return SCAN_UNSUPPORTED;
        if (field >= 0) {
          this.types[field] = type;
          this.starts[field] = i;
          this.ends[field] = i + length;
        }
        i += length;
      }
      // `,` and the next key, or `}`.
      while (i < n && isSpace(buf[i]!)) i++;
      if (i >= n) return SCAN_INCOMPLETE;
      const sep = buf[i]!;
      if (sep === CLOSE_BRACE) {
        // JSON.parse decodes invalid UTF-8 to U+FFFD: such an object must take that path to come out the same.
        if (high && !isUtf8(buf.subarray(start, i + 1))) return SCAN_UNSUPPORTED;
        return i + 1;
      }
      if (sep !== COMMA) return SCAN_UNSUPPORTED;
      i++;
      while (i < n && isSpace(buf[i]!)) i++;
      if (i >= n) return SCAN_INCOMPLETE;
    }
  }
}

const HIGH_BITS = 0x80808080 | 0;
const LOW_BITS = 0x01010101;
const SPACES = 0x20202020;

/** Whether any byte of x (four ASCII bytes) is zero. */
function hasZeroByte(x: number): boolean {
  return (((x - LOW_BITS) | 0) & ~x & HIGH_BITS) !== 0;
}

/** Whether any byte of x (four ASCII bytes) is a quote, a backslash or a control: the fast path ends there. */
function special(x: number): boolean {
  return (
    (((x - SPACES) | 0) & ~x & HIGH_BITS) !== 0 || hasZeroByte(x ^ 0x22222222) || hasZeroByte(x ^ 0x5c5c5c5c)
  );
}

/** `true`, `fals` and `null` as little-endian 32-bit words. */
const TRUE_WORD = Buffer.from('true').readInt32LE(0);
const FALSE_WORD = Buffer.from('fals').readInt32LE(0);
const NULL_WORD = Buffer.from('null').readInt32LE(0);

/** A key seen in an earlier row: its bytes (copied), also as little-endian 32-bit words, and what it is. */
class KnownKey extends Constant {
  constructor(
    bytes: Uint8Array,
    readonly field: number,
    readonly high: boolean,
  ) {
    super(bytes);
  }
}

/** Whether buf (and its view) holds `key` followed by its closing quote at `at`; four bytes at a time. */
function matches(view: DataView<ArrayBufferLike>, buf: Uint8Array, at: number, key: KnownKey): boolean {
  const bytes = key.bytes;
  const length = bytes.length;
  if (at + length >= buf.length || buf[at + length] !== QUOTE) return false;
  const words = key.words;
  for (let w = 0; w < words.length; w++) if (view.getInt32(at + w * 4, true) !== words[w]) return false;
  for (let k = words.length * 4; k < length; k++) if (buf[at + k] !== bytes[k]) return false;
  return true;
}

export function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function decodedNonBlank(buf: Uint8Array, start: number, end: number): boolean {
  return stringAt(buf, start, end).trim() !== '';
}

/** The value of the JSON string whose text (without quotes, escapes allowed) is buf[start, end). */
export function stringAt(buf: Uint8Array, start: number, end: number): string {
  const text = Buffer.from(buf.buffer, buf.byteOffset + start - 1, end - start + 2).toString('utf8');
  return text.includes('\\') ? (JSON.parse(text) as string) : text.slice(1, -1);
}
