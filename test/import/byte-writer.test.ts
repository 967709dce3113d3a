import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/import/buffer-pool.js';
import { ByteWriter, Constant } from '../../src/import/byte-writer.js';

describe('ByteWriter', () => {
  it('copies spans and constants of every length exactly, across growth and sources', () => {
    const w = new ByteWriter(16); // tiny: it grows many times
    const expected: number[] = [];
    const a = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7 + 3) & 0xff));
    const b = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 13 + 5) & 0xff));
    for (let length = 0; length <= 300; length++) {
      // Alternate sources and odd offsets, so word copies start unaligned on both sides.
      const src = length % 2 ? a : b;
      const start = length % 5;
      w.span(src, start, start + length);
      expected.push(...src.subarray(start, start + length));
      const c = new Constant(
        Buffer.from(Array.from({ length: length % 70 }, (_, i) => (i * 31 + length) & 0xff)),
      );
      w.constant(c);
      expected.push(...c.bytes);
      w.byte(length & 0xff);
      expected.push(length & 0xff);
      w.uint(length * 1_000_003);
      expected.push(...Buffer.from(String(length * 1_000_003)));
    }
    w.string('é ✓');
    expected.push(...Buffer.from('é ✓'));
    const out = w.take(new BufferPool(1));
    expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
    expect(w.pos).toBe(0);
  });

  it('keeps a constant made from a string as its UTF-8 bytes', () => {
    const c = new Constant(',"played_at_date":"');
    expect(Buffer.from(c.bytes).toString('utf8')).toBe(',"played_at_date":"');
    expect(c.words.length).toBe(Math.floor(c.bytes.length / 4));
  });
});
