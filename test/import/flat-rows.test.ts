import { describe, expect, it } from 'vitest';
import { ByteWriter, Constant } from '../../src/import/byte-writer.js';
import { FlatObjectScanner, SCAN_UNSUPPORTED } from '../../src/import/flat-object-scanner.js';
import { JsonArrayReader } from '../../src/import/json-array-stream.js';
import {
  ACCOUNT_FIELDS,
  EXTENDED_FIELDS,
  FlatKind,
  FlatResult,
  mapAccountFlat,
  mapExtendedFlat,
} from '../../src/import/map-flat-rows.js';
import { mapAccountDataRow, mapExtendedRow, type MappedRow } from '../../src/import/map-rows.js';
import { USER_PLACEHOLDER } from '../../src/import/parse-worker.js';
import { episodeLine, trackLine } from '../../src/import/record-lines.js';

const INGESTED = '2026-01-01T00:00:00.000Z';

/** What the object mappers make of a row (the reference), in the fast path's terms. */
function reference(extended: boolean, text: Buffer) {
  let needsUser = false;
  const options = {
    minMsPlayed: 30_000,
    ingestedAt: INGESTED,
    fallbackUser: () => {
      needsUser = true;
      return USER_PLACEHOLDER;
    },
  };
  const row = JSON.parse(text.toString('utf8')) as unknown;
  const mapped: MappedRow = extended ? mapExtendedRow(row, options) : mapAccountDataRow(row, options);
  if (mapped.kind === 'skip') return { kind: 'skip', reason: mapped.reason, needsUser };
  return {
    kind: mapped.kind,
    t: mapped.key.t,
    id: mapped.key.id,
    name: mapped.key.name,
    userId: needsUser ? null : mapped.userId,
    line: `${mapped.kind === 'track' ? trackLine(mapped.record as never) : episodeLine(mapped.record as never)}\n`,
  };
}

/** The fast path on the same bytes: undefined when it hands the row to the object mappers. */
function fast(extended: boolean, text: Buffer) {
  const scanner = new FlatObjectScanner(extended ? EXTENDED_FIELDS : ACCOUNT_FIELDS);
  const end = scanner.scan(text, 0);
  if (end < 0) return undefined;
  expect(end).toBe(text.length);
  const w = new ByteWriter(16);
  const out = new FlatResult();
  const map = extended ? mapExtendedFlat : mapAccountFlat;
  map(
    scanner,
    text,
    {
      minMsPlayed: 30_000,
      ingestedAtJson: new Constant(JSON.stringify(INGESTED)),
      userPlaceholderJson: new Constant(JSON.stringify(USER_PLACEHOLDER)),
    },
    w,
    out,
  );
  if (out.kind === FlatKind.Fallback) return undefined;
  if (out.kind === FlatKind.Skip) {
    expect(w.pos).toBe(0);
    return { kind: 'skip', reason: out.reason, needsUser: out.needsUser };
  }
  return {
    kind: out.kind === FlatKind.Track ? 'track' : 'episode',
    t: out.t,
    id: out.id,
    name: out.name,
    userId: out.userId,
    line: w.buf.toString('utf8', 0, w.pos),
  };
}

const base: Record<string, unknown> = {
  ts: '2024-03-05T21:14:05Z',
  username: 'alice',
  platform: 'Android OS 13',
  ms_played: 201_000,
  conn_country: 'DE',
  ip_addr: '192.0.2.1',
  user_agent_decrypted: 'Mozilla/5.0',
  master_metadata_track_name: 'Song',
  master_metadata_album_artist_name: 'Artist',
  master_metadata_album_album_name: 'Album',
  spotify_track_uri: 'spotify:track:4uLU6hMCjMI75M1A2tKUQC',
  episode_name: null,
  episode_show_name: null,
  spotify_episode_uri: null,
  audiobook_title: null,
  audiobook_uri: null,
  audiobook_chapter_uri: null,
  reason_start: 'trackdone',
  reason_end: 'fwdbtn',
  shuffle: false,
  skipped: null,
  offline: true,
  offline_timestamp: 1709673000,
  incognito_mode: false,
};
const episode = {
  ...base,
  master_metadata_track_name: null,
  master_metadata_album_artist_name: null,
  master_metadata_album_album_name: null,
  spotify_track_uri: null,
  episode_name: 'Episode 12: Pilot',
  episode_show_name: 'The Show',
  spotify_episode_uri: 'spotify:episode:0a1b2c3d4e5f6g7h8i9j0k',
};

/** Values each field is tried with: every form the mappers treat differently. */
const VARIANTS: unknown[] = [
  undefined,
  null,
  '',
  '   ',
  '\u00a0\u3000',
  ' Padded ',
  'Ünïcödé 🎵',
  'tab\tand "quote" \\ back',
  '\n\t',
  ' \r\n\f ',
  '\u00a0\n',
  'a\bb',
  '\b',
  '"',
  'café',
  0,
  1,
  2,
  -5,
  1.5,
  true,
  false,
  { nested: 1 },
  ['a'],
];
const TS_VARIANTS = [
  '2024-02-29T23:59:59Z',
  '2023-02-29T10:00:00Z',
  '2024-04-31T10:00:00Z',
  '2024-01-01T24:00:00Z',
  '2024-01-01T00:00:60Z',
  '1969-12-31T23:59:59Z',
  '1970-01-01T00:00:00Z',
  '2024-03-05T21:14:05.123Z',
  '2024-03-05T21:14:05+01:00',
  '2024-03-05T21:14:05z',
  '2024-03-05 21:14:05Z',
  '2024-03-05T21:14:05',
  'yesterday',
];
const MS_VARIANTS = [0, 29_999, 30_000, 30_000.4, 1e21, -1, '40000', 123456789012345, 1234567890123456];
const URI_VARIANTS = [
  'spotify:track:4uLU6hMCjMI75M1A2tKUQC',
  'spotify:track:4uLU6hMCjMI75M1A2tKUQ',
  'spotify:track:4uLU6hMCjMI75M1A2tKUQC ',
  'spotify:track:4uLU6hMCjMI75M1A2tKU-C',
  'spotify:local:Artist:Album:Song:200',
  'spotify:episode:0a1b2c3d4e5f6g7h8i9j0k',
];

function rowsToTry(): Buffer[] {
  const rows: Record<string, unknown>[] = [base, episode];
  for (const template of [base, episode]) {
    for (const key of Object.keys(template)) {
      for (const v of VARIANTS) rows.push({ ...template, [key]: v });
    }
    for (const ts of TS_VARIANTS) rows.push({ ...template, ts });
    for (const ms_played of MS_VARIANTS) rows.push({ ...template, ms_played });
    for (const uri of URI_VARIANTS) {
      rows.push({ ...template, spotify_track_uri: uri });
      rows.push({ ...template, spotify_episode_uri: uri });
    }
  }
  rows.push({ ...base, incognito_mode: true }, { ...base, audiobook_title: 'Book', spotify_track_uri: null });
  const texts = rows.map((r) => Buffer.from(JSON.stringify(r)));
  // The same rows as other writers lay them out: spaces, reordered keys, a key given twice, escapes.
  texts.push(
    Buffer.from(JSON.stringify(base, null, 2)),
    Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(base).reverse()))),
    Buffer.from(JSON.stringify(base).replace('{', '{"ms_played":1,')),
    Buffer.from(JSON.stringify(base).replace('"Song"', '"S\\u00f6ng \\/ \\"x\\""')),
    Buffer.from(JSON.stringify(base).replace('"Song"', '"S\\u00f6ng"').replace('"ts"', '"t\\u0073"')),
    Buffer.concat([
      Buffer.from(JSON.stringify(base).replace('"Song"', '"S')),
      Buffer.from([0xff, 0x22]),
      Buffer.from(JSON.stringify(base).slice(JSON.stringify(base).indexOf('"Song"') + 6)),
    ]),
  );
  // Titles read four bytes at a time: each kind of byte that ends that fast path (and some that do not), in
  // every lane of a word, raw (control characters make the row invalid JSON, DEL does not).
  for (const special of ['\x01', '\x1f', '\t', '\\"', '\\\\', '\x7f', 'é', '    ', ' ']) {
    for (let lane = 0; lane < 8; lane++) {
      const title = `${'abcdefgh'.slice(0, lane)}${special}ijklmnop`;
      texts.push(Buffer.from(JSON.stringify(base).replace('"Song"', `"${title}"`), 'utf8'));
    }
  }
  // Literals compared a word at a time: every byte of each one wrong in turn (none is JSON).
  for (const literal of ['true', 'false', 'null']) {
    for (let at = 0; at < literal.length; at++) {
      const wrong = `${literal.slice(0, at)}X${literal.slice(at + 1)}`;
      texts.push(Buffer.from(JSON.stringify(base).replace('"offline":true', `"offline":${wrong}`)));
    }
  }
  return texts;
}

describe('the fast path for history rows', () => {
  it('maps every kind of Extended row exactly as the object mapper does, line bytes included', () => {
    const texts = rowsToTry();
    let taken = 0;
    for (const text of texts) {
      let expected: unknown;
      try {
        expected = reference(true, text);
      } catch {
        // Not JSON at all: the fast path must not accept it either.
        expect(new FlatObjectScanner(EXTENDED_FIELDS).scan(text, 0)).toBe(SCAN_UNSUPPORTED);
        continue;
      }
      const got = fast(true, text);
      if (got === undefined) continue;
      taken++;
      expect(got, text.toString('utf8')).toEqual(expected);
    }
    // Rows in the ordinary form go the fast way, titles with quotes and the other escapes JSON.stringify
    // writes included (the rest, other escapes, nesting, fractions, go the object way).
    expect(fast(true, texts[0]!)).toBeDefined();
    expect(fast(true, texts[1]!)).toBeDefined();
    const quoted = Buffer.from(
      JSON.stringify({ ...base, master_metadata_track_name: 'Song (From "Film") \\ 2' }),
    );
    expect(fast(true, quoted)).toEqual(reference(true, quoted));
    expect((fast(true, quoted) as { name: string }).name).toBe('Song (From "Film") \\ 2');
    expect(taken).toBeGreaterThan(texts.length * 0.4);
  });

  it('maps every kind of Account Data row exactly as the object mapper does', () => {
    const acct = { endTime: '2024-08-02 22:44', artistName: 'Artist', trackName: 'Song', msPlayed: 201_000 };
    const rows: Record<string, unknown>[] = [acct];
    for (const key of Object.keys(acct)) for (const v of VARIANTS) rows.push({ ...acct, [key]: v });
    for (const endTime of [
      '2024-02-30 10:00',
      '2024-08-02 24:00',
      ' 2024-08-02 22:44',
      '0099-01-01 00:00',
      '2024-8-2 2:44',
    ])
      rows.push({ ...acct, endTime });
    for (const msPlayed of MS_VARIANTS) rows.push({ ...acct, msPlayed });
    let taken = 0;
    for (const r of rows) {
      const text = Buffer.from(JSON.stringify(r));
      const got = fast(false, text);
      if (got === undefined) continue;
      taken++;
      expect(got, text.toString('utf8')).toEqual(reference(false, text));
    }
    expect(fast(false, Buffer.from(JSON.stringify(acct)))).toBeDefined();
    expect(taken).toBeGreaterThan(rows.length * 0.4);
  });

  it('checks each key against the previous row whole: keys of one length differing anywhere are told apart', () => {
    // The scanner predicts each key from the row before and compares it four bytes at a time, then the tail.
    const keys = ['abcdefgh_1', 'xbcdefgh_1', 'abcdxfgh_1', 'abcdefgh_2', 'abcdefghz1', 'other'];
    const scanner = new FlatObjectScanner(keys);
    const rows = [
      { abcdefgh_1: 1, xbcdefgh_1: 2, abcdxfgh_1: 3, abcdefgh_2: 4, abcdefghz1: 5, other: 6 },
      { xbcdefgh_1: 10, abcdefgh_1: 20, abcdefgh_2: 30, abcdxfgh_1: 40, abcdefghz1: 50, other: 60 },
      { abcdefgh_2: 100, abcdxfgh_1: 200, xbcdefgh_1: 300, abcdefghz1: 400, abcdefgh_1: 500, other: 600 },
      { abcdefghz1: 7, xbcdefgh_1: 8, abcdxfgh_1: 9, abcdefgh_2: 10, abcdefgh_1: 11, other: 12 },
    ];
    for (const row of rows) {
      const text = Buffer.from(JSON.stringify(row));
      expect(scanner.scan(text, 0)).toBe(text.length);
      expect(keys.map((_, f) => scanner.ints[f])).toEqual(keys.map((k) => row[k as keyof typeof row]));
    }
  });

  it('reads flat rows cut anywhere by chunk boundaries, from a reused buffer', () => {
    const texts = rowsToTry().slice(0, 40);
    const whole = Buffer.from(`[${texts.map((t) => t.toString('utf8')).join(',\n')}]`);
    for (const size of [1, 2, 3, 7, 100, 1 << 16]) {
      const reader = new JsonArrayReader(new FlatObjectScanner(EXTENDED_FIELDS));
      const seen: string[] = [];
      const sink = {
        flat: (buf: Buffer, start: number, end: number) => seen.push(buf.toString('utf8', start, end)),
        parsed: (value: unknown) => seen.push(JSON.stringify(value)),
        oversized: () => seen.push('"oversized"'),
      };
      // Through one buffer, overwritten after each push (the parser thread reads a file that way): the
      // reader must keep nothing of a chunk.
      const scratch = Buffer.alloc(size);
      for (let i = 0; i < whole.length; i += size) {
        const n = whole.copy(scratch, 0, i, i + size);
        reader.push(scratch.subarray(0, n), sink);
        scratch.fill(0x7b);
      }
      reader.end();
      expect(seen.map((s) => JSON.parse(s) as unknown)).toEqual(
        texts.map((t) => JSON.parse(t.toString('utf8')) as unknown),
      );
    }
  });
});
