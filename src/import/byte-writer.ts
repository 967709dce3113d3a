import { BufferPool } from './buffer-pool.js';

/**
 * An append-only byte buffer that grows by doubling: where the import writes JSON lines as UTF-8 directly,
 * instead of building strings and encoding them afterwards.
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Appends src[start, end). Short runs are copied byte by byte: cheaper than a native call. */
  span(src: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.ensure(length);
    const buf = this.buf;
    let pos = this.pos;
    if (length < 48) {
      for (let i = start; i < end; i++) buf[pos++] = src[i]!;
    } else {
      buf.set(src.subarray(start, end), pos);
      pos += length;
    }
    this.pos = pos;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /** Appends all of src: long ones without a view of them (an import appends three such constants per row). */
  bytes(src: Uint8Array): void {
    const length = src.length;
    if (length < 48) return this.span(src, 0, length);
    this.ensure(length);
    this.buf.set(src, this.pos);
    this.pos += length;
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
