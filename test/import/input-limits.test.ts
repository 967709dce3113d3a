import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_ELEMENT_BYTES, MAX_FIELD_LENGTH } from '../../src/import/input-limits.js';
import { mapAccountDataRow, mapExtendedRow } from '../../src/record/from-export.js';
import { RowParser, type RowSlice } from '../../src/import/engine/index.js';
import type { ImportReport } from '../../src/import/run-import.js';
import { CLI, tempDir } from '../helpers/cli.js';
import { readDataset } from '../helpers/lake.js';
import { repeated, writeStreamedZip } from './zip-writer.js';

const INGESTED = '2026-01-01T00:00:00.000Z';
const MAP_OPTIONS = { minMsPlayed: 30_000, ingestedAt: INGESTED, fallbackUser: () => 'alice' };

/** An Extended row in the usual flat form (the byte scanner reads it), or with a nested value (JSON.parse does). */
function row(i: number, overrides: Record<string, unknown> = {}, nested = false): Record<string, unknown> {
  return {
    ts: `2024-01-15T14:${String(10 + i).padStart(2, '0')}:00Z`,
    username: 'alice',
    platform: 'Android',
    ms_played: 200_000,
    conn_country: 'DE',
    master_metadata_track_name: `Song ${i}`,
    master_metadata_album_artist_name: 'Artist',
    master_metadata_album_album_name: 'Album',
    spotify_track_uri: `spotify:track:0123456789abcdefghij${String(10 + i)}`,
    reason_start: 'trackdone',
    reason_end: 'trackdone',
    shuffle: false,
    skipped: false,
    offline: false,
    incognito_mode: false,
    ...(nested ? { extra: { nested: [1, 2] } } : {}),
    ...overrides,
  };
}

const parser = new RowParser();
afterAll(() => parser.close());

interface Parsed {
  kept: string[];
  skipped: Partial<Record<string, number>>;
  invalid: { index: number; problem: string }[];
  invalidUtf8Rows: number;
  invalidUtf8Examples: number[];
}

/** Runs the import's parser thread over `bytes`: read from a file by the thread, or posted in small chunks. */
async function parse(bytes: Buffer, via: 'file' | 'chunks', kind: 'extended' | 'account_data' = 'extended') {
  const dir = await tempDir('limits-');
  const file = path.join(dir, 'Streaming_History_Audio_2024.json');
  await fs.writeFile(file, bytes);
  const source =
    via === 'file'
      ? { file }
      : // 997-byte chunks: rows are cut anywhere, so every way of reading an element across chunks is used.
        {
          stream: Readable.from(
            Array.from({ length: Math.ceil(bytes.length / 997) }, (_, i) =>
              bytes.subarray(i * 997, (i + 1) * 997),
            ),
          ),
        };
  const out: Parsed = { kept: [], skipped: {}, invalid: [], invalidUtf8Rows: 0, invalidUtf8Examples: [] };
  const slices = parser.parse(
    source,
    { kind, skipRows: 0, minMsPlayed: 30_000, ingestedAt: INGESTED },
    () => {},
  );
  for (;;) {
    const next = await slices.next();
    if (next.done) break;
    const s: RowSlice = next.value;
    for (let i = 0; i < s.rows.kinds.length; i++) out.kept.push(parser.strings[s.rows.names[i]!]!);
    for (const [k, v] of Object.entries(s.skipped)) out.skipped[k] = (out.skipped[k] ?? 0) + v;
    out.invalid.push(...s.invalid);
    out.invalidUtf8Rows += s.invalidUtf8Rows;
    out.invalidUtf8Examples.push(...s.invalidUtf8Examples);
  }
  await fs.rm(dir, { recursive: true, force: true });
  return out;
}

const json = (rows: unknown[]) => Buffer.from(JSON.stringify(rows), 'utf8');

describe('a field longer than MAX_FIELD_LENGTH: one rule, whichever path reads the row', () => {
  const long = 'a'.repeat(MAX_FIELD_LENGTH + 1);
  const limit = 'é'.repeat(MAX_FIELD_LENGTH); // at the limit in characters, twice that in bytes: kept
  const problem = `"master_metadata_track_name" is ${(MAX_FIELD_LENGTH + 1).toLocaleString('en-US')} characters long, more than the ${MAX_FIELD_LENGTH.toLocaleString('en-US')} a field may hold`;

  it('the object mapper skips it as invalid, naming the field', () => {
    expect(mapExtendedRow(row(1, { master_metadata_track_name: long }), MAP_OPTIONS)).toEqual({
      kind: 'skip',
      reason: 'invalid',
      problem,
    });
    expect(
      mapAccountDataRow(
        { endTime: '2024-01-15 14:10', artistName: long, trackName: 'x', msPlayed: 200_000 },
        MAP_OPTIONS,
      ),
    ).toMatchObject({ kind: 'skip', reason: 'invalid', problem: expect.stringContaining('"artistName" is') });
    expect(mapExtendedRow(row(1, { master_metadata_track_name: limit }), MAP_OPTIONS).kind).toBe('track');
  });

  it.each(['file', 'chunks'] as const)(
    'the parser thread (%s), flat rows and rows with nested values alike',
    async (via) => {
      for (const nested of [false, true]) {
        const parsed = await parse(
          json([
            row(1, {}, nested),
            row(2, { master_metadata_track_name: long }, nested),
            row(3, { master_metadata_track_name: limit }, nested),
            row(4, {}, nested),
          ]),
          via,
        );
        expect(parsed.kept).toEqual(['Song 1', limit, 'Song 4']);
        expect(parsed.skipped).toEqual({ invalid: 1 });
        expect(parsed.invalid).toEqual([{ index: 1, problem }]);
      }
    },
  );

  it.each(['file', 'chunks'] as const)(
    'an element over MAX_ELEMENT_BYTES is skipped unread, the rows around it kept (%s)',
    async (via) => {
      const huge = row(2, { user_agent_decrypted: 'u'.repeat(MAX_ELEMENT_BYTES) });
      const parsed = await parse(json([row(1), huge, row(3)]), via);
      expect(parsed.kept).toEqual(['Song 1', 'Song 3']);
      expect(parsed.invalid).toEqual([
        { index: 1, problem: expect.stringMatching(/^the row is 1\.0 MB, more than the 1 MB a row may be/) },
      ]);
    },
  );
});

describe('invalid UTF-8 and negative ms_played', () => {
  it.each(['file', 'chunks'] as const)(
    'rows with bytes that are not UTF-8 are counted and named, on both paths (%s)',
    async (via) => {
      // A Latin-1 "é" (0xE9) inside the track name of a flat row and of a nested one.
      const bad = (i: number, nested: boolean) =>
        Buffer.from(
          JSON.stringify(row(i, { master_metadata_track_name: 'Caf#' }, nested)).replace('#', '\u0000'),
          'utf8',
        ).map((b) => (b === 0 ? 0xe9 : b));
      const bytes = Buffer.concat([
        Buffer.from('['),
        Buffer.from(JSON.stringify(row(1))),
        Buffer.from(','),
        Buffer.from(bad(2, false)),
        Buffer.from(','),
        Buffer.from(bad(3, true)),
        Buffer.from(']'),
      ]);
      const parsed = await parse(bytes, via);
      expect(parsed.kept).toEqual(['Song 1', 'Caf\uFFFD', 'Caf\uFFFD']);
      expect(parsed.invalidUtf8Rows).toBe(2);
      expect(parsed.invalidUtf8Examples).toEqual([1, 2]);
    },
  );

  it.each(['file', 'chunks'] as const)('a negative ms_played has its own message (%s)', async (via) => {
    const parsed = await parse(json([row(1, { ms_played: -1200 }), row(2, { ms_played: 'x' })]), via);
    expect(parsed.invalid).toEqual([
      { index: 0, problem: '"ms_played" is negative (-1200)' },
      { index: 1, problem: '"ms_played" is missing or not a number' },
    ]);
    const account = await parse(
      json([{ endTime: '2024-01-15 14:10', artistName: 'A', trackName: 'T', msPlayed: -5 }]),
      via,
      'account_data',
    );
    expect(account.invalid).toEqual([{ index: 0, problem: '"msPlayed" is negative (-5)' }]);
  });
});

const RSS_PRELOAD = fileURLToPath(new URL('./report-max-rss.mjs', import.meta.url));

/** The CLI's import, with its peak resident size (every thread of the process) read at exit. */
function importWithRss(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string; maxRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', RSS_PRELOAD, CLI, 'import', ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const kb = /MAXRSS_KB (\d+)/.exec(stderr);
      resolve({ code, stdout, stderr, maxRssMb: kb ? Number(kb[1]) / 1024 : NaN });
    });
  });
}

describe('the import CLI on hostile input', () => {
  it('a 1 GiB string in a small zip: skipped as invalid, memory stays bounded, no V8 error text', async () => {
    const cwd = await tempDir('limits-zip-');
    const zip = path.join(cwd, 'my_spotify_data.zip');
    const [head, tail] = JSON.stringify(row(2, { master_metadata_track_name: '#' })).split('#');
    await writeStreamedZip(zip, [
      {
        name: 'Spotify Extended Streaming History/Streaming_History_Audio_2024.json',
        pieces: function* () {
          yield Buffer.from(`[${JSON.stringify(row(1))},${head}`);
          yield* repeated('a', 1 << 30);
          yield Buffer.from(`${tail},${JSON.stringify(row(3))}]`);
        },
      },
    ]);
    expect((await fs.stat(zip)).size).toBeLessThan(8 << 20);

    const r = await importWithRss([zip, '--json'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ImportReport;
    expect(report.rows_written).toBe(2);
    expect(report.skipped_by_reason).toEqual({ invalid: 1 });
    expect(report.invalid_examples[0]!.problem).toMatch(
      /^the row is 1024\.0 MB, more than the 1 MB a row may be/,
    );
    expect(r.stdout + r.stderr).not.toMatch(/0x1fffffe8|Cannot create a string|heap out of memory/);
    // Before the bound this import peaked at 2.2 GB; now the threads' usual working set.
    expect(r.maxRssMb).toBeLessThan(400);
  });

  it('a 10 MB track name stays out of the lake and the ledger, counted as invalid', async () => {
    const cwd = await tempDir('limits-name-');
    const file = path.join(cwd, 'Streaming_History_Audio_2024.json');
    // Account Data style rows keep their names in the ledger (no track id): none may be 10 MB.
    await fs.writeFile(
      path.join(cwd, 'StreamingHistory_music_0.json'),
      JSON.stringify([
        { endTime: '2024-02-01 10:00', artistName: 'A', trackName: 'n'.repeat(10 << 20), msPlayed: 200_000 },
        { endTime: '2024-02-01 11:00', artistName: 'A', trackName: 'Fine', msPlayed: 200_000 },
      ]),
    );
    await fs.writeFile(
      file,
      JSON.stringify([row(1, { master_metadata_track_name: 'x'.repeat(100_000) }), row(2)]),
    );
    const r = await importWithRss([file, path.join(cwd, 'StreamingHistory_music_0.json'), '--json'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ImportReport;
    expect(report.rows_written).toBe(2);
    expect(report.skipped_by_reason.invalid).toBe(2);
    const { records } = await readDataset(path.join(cwd, 'data', 'spotify_listening_history'));
    expect(records.map((x) => x.track_name).sort()).toEqual(['Fine', 'Song 2']);
    const ledger = path.join(cwd, '.pipeline', 'users', 'alice', 'ledger');
    for (const month of await fs.readdir(ledger))
      expect((await fs.stat(path.join(ledger, month))).size).toBeLessThan(64 << 10);
  });

  it('reports rows with invalid UTF-8 (file and row) instead of importing them silently', async () => {
    const cwd = await tempDir('limits-utf8-');
    const file = path.join(cwd, 'Streaming_History_Audio_2024.json');
    const text = JSON.stringify([row(1), row(2, { master_metadata_track_name: 'Caf#' })]);
    await fs.writeFile(
      file,
      Buffer.from(text.replace('#', '\u0000'), 'utf8').map((b) => (b === 0 ? 0xe9 : b)),
    );
    const human = await importWithRss([file], cwd);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('warning: 1 row(s) hold bytes that are not UTF-8');
    expect(human.stdout).toContain(`invalid UTF-8: ${file} row 1`);
    const again = await importWithRss([file, '--json'], await tempDir('limits-utf8-'));
    const report = JSON.parse(again.stdout) as ImportReport;
    expect(report.invalid_utf8_rows).toBe(1);
    expect(report.invalid_utf8_examples).toEqual([{ file, index: 1 }]);
  });
});
