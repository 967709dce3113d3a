import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonArrayError, streamJsonArray } from '../../src/import/engine/index.js';

async function collect(text: string, chunkSize = 1 << 16): Promise<unknown[]> {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const out: unknown[] = [];
  for await (const v of streamJsonArray(Readable.from(chunks))) out.push(v);
  return out;
}

const tricky = [
  { a: 'quote " and backslash \\', b: [1, { c: '}]' }] },
  { s: 'ends with backslash \\\\', u: 'Ünïcödé 🎵', n: null },
  { e: '\\"', nested: { deep: [[], {}] } },
];

describe('streamJsonArray', () => {
  it('yields every element whatever the chunk boundaries (strings, escapes, multi-byte UTF-8)', async () => {
    const text = `\ufeff[\n ${tricky.map((t) => JSON.stringify(t, null, 1)).join(' ,\n')} ]\n`;
    for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
      expect(await collect(text, size)).toEqual(tricky);
    }
  });

  it('reads flat rows whose strings hold braces (a row does not always end at its first "}")', async () => {
    const rows = [{ a: '}', b: 1 }, { c: '{}', d: '\\}' }, { e: 'x' }];
    for (const size of [1, 2, 5, 64]) expect(await collect(JSON.stringify(rows), size)).toEqual(rows);
  });

  it('reads an empty array', async () => {
    expect(await collect('[ ]')).toEqual([]);
  });

  it.each([
    ['', /empty/],
    ['{"ts": 1}', /not a JSON array/],
    ['[1, 2]', /element 0 is not a JSON object/],
    ['[{"a":1}', /truncated/],
    ['[{"a":1},{"b":"unterminated', /ends in the middle of element 1 \(truncated/],
    ['[{"a":1}] x', /after the end/],
    ['[{"a":1} {"b":2}]', /unexpected/],
    ['[{"a":tru}]', /element 0 is not valid JSON/],
  ])('refuses %j with a clear problem', async (text, problem) => {
    const err = await collect(text, 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JsonArrayError);
    expect((err as Error).message).toMatch(problem);
  });
});
