import { BufferPool } from './buffer-pool.js';

/**
 * Bytes known ahead (a line's keys and punctuation, the keys a scanner expects), copied and held with their
 * little-endian 32-bit words, so that they are appended (ByteWriter.constant) or compared four bytes at a time.
 */
export class Constant {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;

  constructor(content: string | Uint8Array) {
    this.bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Uint8Array.from(content);
    this.words = new Int32Array(this.bytes.length >> 2);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    for (let w = 0; w < this.words.length; w++) this.words[w] = view.getInt32(w * 4, true);
  }
}

/** Spans shorter than this are copied in JavaScript (four bytes at a time): cheaper than a native call. */
const NATIVE_COPY_FROM = 256;

/**
 * An append-only byte buffer that grows by doubling: where the import writes JSON lines as UTF-8 directly,
 * instead of building strings and encoding them afterwards. Most of a line is constants and short values
 * copied from the export's bytes, so both are copied a 32-bit word at a time through DataViews.
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;
  private view: DataView;
  /** The source last copied from, and a view of it. */
  private from: Uint8Array | undefined;
  private fromView: DataView = new DataView(new ArrayBuffer(0));

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  private viewOf(src: Uint8Array): DataView {
    if (src !== this.from) {
      this.fromView = new DataView(src.buffer, src.byteOffset, src.byteLength);
      this.from = src;
    }
    return this.fromView;
  }

  /** Appends src[start, end). */
  span(src: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.ensure(length);
    const buf = this.buf;
    let pos = this.pos;
    if (length >= NATIVE_COPY_FROM) {
      buf.set(src.subarray(start, end), pos);
      pos += length;
    } else {
      let i = start;
      if (length >= 8) {
        const from = this.viewOf(src);
        const to = this.view;
        for (; i + 4 <= end; i += 4, pos += 4) to.setInt32(pos, from.getInt32(i, true), true);
      }
      for (; i < end; i++) buf[pos++] = src[i]!;
    }
    this.pos = pos;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /** Appends a constant. */
  constant(c: Constant): void {
    const bytes = c.bytes;
    const length = bytes.length;
    this.ensure(length);
    const words = c.words;
    const to = this.view;
    let pos = this.pos;
    for (let w = 0; w < words.length; w++, pos += 4) to.setInt32(pos, words[w]!, true);
    const buf = this.buf;
    for (let k = words.length * 4; k < length; k++) buf[pos++] = bytes[k]!;
    this.pos = pos;
  }

  /** Appends a non-negative integer (< 2^53) in decimal. */
  uint(value: number): void {
    this.ensure(16);
    if (value < 10) {
      this.buf[this.pos++] = 0x30 + value;
      return;
    }
    let digits = 0;
    for (let v = value; v >= 1; v = Math.floor(v / 10)) digits++;
    let at = this.pos + digits;
    this.pos = at;
    for (let v = value; v >= 1; v = Math.floor(v / 10)) this.buf[--at] = 0x30 + (v % 10);
  }

  /** Appends a string as UTF-8. */
  string(text: string): void {
    this.ensure(Buffer.byteLength(text, 'utf8'));
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /**
   * The bytes written, in an ArrayBuffer of their own (to move to another thread), taken from `pool` (see
   * BufferPool); the writer starts over.
   */
  take(pool: BufferPool = new BufferPool(0)): Uint8Array {
    const out = pool.take(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}
