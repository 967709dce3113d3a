import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { localSetup, writePlays, type LocalSetup } from './lake-fixture.js';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import { play } from '../helpers/records.js';

/** The built CLI in a child process, in the setup's folder, with only the settings a user would have. */
function cli(s: LocalSetup, args: string[]): Promise<CliResult> {
  return runCli(args, {
    cwd: s.root,
    env: { DATA_DIR: s.dataDir, STATE_DIR: s.stateDir },
    home: s.root,
    logLevel: 'warn',
  });
}

async function lakeWithPlays(name: string) {
  const s = localSetup(name);
  const records = [];
  for (let d = 0; d < 10; d++)
    for (let i = 0; i < 3; i++)
      records.push(
        play(Date.UTC(2024, 4, 1 + d, 8 + i), {
          primary_artist_name: i === 0 ? 'Comma, "Quoted"' : `Artist ${i}`,
          track_name: `Track ${d}-${i}`,
        }),
      );
  await writePlays(s.store, records);
  return { s, records };
}

describe('query and report commands', () => {
  it('query answers from the lake as a table, JSON or CSV', async () => {
    const { s, records } = await lakeWithPlays('cli-query');
    const table = await cli(s, [
      'query',
      'SELECT primary_artist_name, count(*) AS plays FROM spotify_listening_history GROUP BY 1 ORDER BY 1',
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^primary_artist_name\s+│ plays\n─+┼─+\n/);
    expect(table.stdout).toMatch(/Artist 1\s+│\s+10\n/);
    expect(table.stdout).toContain('(3 rows)');

    const json = await cli(s, [
      'query',
      '--format',
      'json',
      'SELECT count(*) AS n, min(played_at) AS first, max(artist_names) AS a FROM spotify_listening_history',
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      // ISO 8601 in UTC with milliseconds, like every other timestamp printed for scripts.
      { n: records.length, first: '2024-05-01T08:00:00.000Z', a: ['Comma, "Quoted"'] },
    ]);

    const csv = await cli(s, [
      'query',
      '--format',
      'csv',
      "SELECT DISTINCT primary_artist_name AS artist FROM spotify_listening_history WHERE primary_artist_name LIKE 'Comma%'",
    ]);
    expect(csv.stdout).toBe('artist\r\n"Comma, ""Quoted"""\r\n');
    // A list cell is JSON, not DuckDB's Python-like ['a', 'b'].
    const list = await cli(s, [
      'query',
      '--format',
      'csv',
      "SELECT ['Fire heart', 'it''s'] AS artists, true AS ok FROM spotify_listening_history LIMIT 1",
    ]);
    expect(list.stdout).toBe('artists,ok\r\n"[""Fire heart"",""it\'s""]",true\r\n');

    // The second query found nothing new to load: the warehouse persisted in STATE_DIR.
    expect(existsSync(path.join(s.stateDir, 'warehouse', 'spotify.duckdb'))).toBe(true);
  });

  it("query shows DuckDB's message and exits 1 on bad SQL, and cannot change the warehouse", async () => {
    const { s } = await lakeWithPlays('cli-bad-sql');
    const bad = await cli(s, ['query', 'SELECT * FROM no_such_table']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Catalog Error: Table with name no_such_table does not exist');
    expect(bad.stdout).toBe('');
    // The episode table exists (empty) before any episode is in the lake: sample queries do not fail.
    const episodes = await cli(s, [
      'query',
      '--format',
      'csv',
      'SELECT count(*) AS n FROM spotify_episode_history',
    ]);
    expect(episodes.code).toBe(0);
    expect(episodes.stdout).toBe('n\r\n0\r\n');
    const badJson = await cli(s, ['query', '--format', 'json', 'SELEC 1']);
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toContain('SQL error: Parser Error: syntax error at or near "SELEC"');
    expect(badJson.stdout).toBe('');
    const del = await cli(s, ['query', 'DELETE FROM spotify_listening_history']);
    expect(del.code).toBe(1);
    expect(del.stderr).toContain('read-only');
    const count = await cli(s, [
      'query',
      '--format',
      'csv',
      'SELECT count(*) AS n FROM spotify_listening_history',
    ]);
    expect(count.stdout).toBe('n\r\n30\r\n');
  });

  it('query stops quietly when its reader goes away (| head)', async () => {
    const s = localSetup('cli-epipe');
    const many = Array.from({ length: 3000 }, (_, i) =>
      play(Date.UTC(2024, 0, 1 + (i % 30), 0, i % 60, Math.floor(i / 60))),
    );
    await writePlays(s.store, many);
    const child = spawn(
      process.execPath,
      [CLI, 'query', '--format', 'csv', 'SELECT * FROM spotify_listening_history'],
      {
        cwd: s.root,
        env: { PATH: process.env.PATH, DATA_DIR: s.dataDir, STATE_DIR: s.stateDir, LOG_LEVEL: 'warn' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('query on an empty lake says how to fill it', async () => {
    const s = localSetup('cli-empty');
    const r = await cli(s, ['query', 'SELECT count(*) AS n FROM spotify_listening_history']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('holds no plays yet');
    expect(r.stderr).toContain('spotify-pipeline import');
    expect(r.stdout).toContain('(1 row)');
  });

  it('query on an empty lake: a SQL error is only that, and a missing lake folder is named', async () => {
    const s = localSetup('cli-empty-bad-sql');
    const bad = await cli(s, ['query', 'SELEC 1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('syntax error at or near "SELEC"');
    expect(bad.stderr).not.toContain('holds no plays');
    const missing = await cli(s, ['--data-dir', 'no-such-lake', 'query', 'SELECT 1 AS x']);
    expect(missing.code).toBe(0);
    expect(missing.stderr).toContain('holds no plays yet (its folder does not exist yet)');
  });

  it('query names a corrupt object, exits 1, and answers from the rest', async () => {
    const { s, records } = await lakeWithPlays('cli-corrupt');
    const bad = 'spotify_listening_history/2024/06/01/spotify_tracks_20240601_080000_batch_1_bad1.json.gz';
    await s.store.putIfAbsent(bad, gzipSync('{"played_at": "2024-06-01T08:00:00.000Z"}\n').subarray(0, 25));
    const r = await cli(s, [
      'query',
      '--format',
      'csv',
      'SELECT count(*) AS n FROM spotify_listening_history',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('could not be loaded');
    expect(r.stdout).toBe(`n\r\n${records.length}\r\n`);
  });

  it('report writes the HTML file, and refuses bad options with exit 2', async () => {
    const { s, records } = await lakeWithPlays('cli-report');
    const r = await cli(s, ['report', '--out', 'my-report.html', '--year', '2024', '--tz', 'UTC']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${records.length} plays from 2024-01-01 to 2024-12-31 (UTC)`);
    const html = readFileSync(path.join(s.root, 'my-report.html'), 'utf8');
    expect(html).toContain('Comma, &quot;Quoted&quot;');
    // Six charts, each drawn for a wide screen and for a phone.
    expect(html.match(/<div class="wide"><svg class="chart/g)).toHaveLength(6);
    expect(html.match(/<div class="narrow"><svg class="chart/g)).toHaveLength(6);

    const tz = await cli(s, ['report', '--out', 'x.html', '--tz', 'Nowhere/City']);
    expect(tz.code).toBe(2);
    expect(tz.stderr).toContain('is not a timezone');
    const both = await cli(s, ['report', '--out', 'x.html', '--year', '2024', '--from', '2024-01-01']);
    expect(both.code).toBe(2);
    const date = await cli(s, ['report', '--out', 'x.html', '--from', '2024-13-01']);
    expect(date.code).toBe(2);
    expect(existsSync(path.join(s.root, 'x.html'))).toBe(false);
    // A folder as --out is the user's to fix: exit 2, saying what to pass, before any work.
    const folder = await cli(s, ['report', '--out', '.']);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(
      `--out ${s.root} is a folder: give the report's file name, for example --out ${path.join(s.root, 'report.html')}.`,
    );
  });

  it('lists both commands in --help', async () => {
    const s = localSetup('cli-help');
    const help = await cli(s, ['--help']);
    expect(help.stdout).toMatch(/query \[options\] <sql>/);
    expect(help.stdout).toMatch(/report \[options\]/);
    const q = await cli(s, ['query', '--help']);
    expect(q.stdout).toContain('--format <format>');
  });
});

describe('warehouse in use', () => {
  /** A child process that holds DuckDB's file lock for `ms` (a second open inside one process does not conflict). */
  async function holdLock(file: string, ms: number) {
    const api = JSON.stringify(import.meta.resolve('@duckdb/node-api'));
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { DuckDBInstance } = await import(${api}); globalThis.held = await DuckDBInstance.create(${JSON.stringify(file)}); console.log('held'); setTimeout(() => {}, ${ms});`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const released = new Promise((resolve) => holder.on('close', resolve));
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    // Wrapped: an async function returning the bare promise would make the caller's await wait for the release.
    return { released };
  }

  it('waits for another process holding the warehouse, and names the holder when it keeps it', async () => {
    const { s, records } = await lakeWithPlays('cli-lock');
    expect((await cli(s, ['query', 'SELECT 1'])).code).toBe(0);
    const file = path.join(s.stateDir, 'warehouse', 'spotify.duckdb');

    const first = await holdLock(file, 1500);
    const started = Date.now();
    const waited = await cli(s, [
      'query',
      '--format',
      'csv',
      'SELECT count(*) AS n FROM spotify_listening_history',
    ]);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toBe(`n\r\n${records.length}\r\n`);
    expect(Date.now() - started).toBeGreaterThan(500); // it did have to wait
    await first.released;

    const second = await holdLock(file, 3000);
    const { openWarehouse } = await import('../../src/warehouse/warehouse.js');
    const { silentLogger } = await import('../../src/log.js');
    await expect(openWarehouse(s.config, silentLogger, { lockWaitMs: 0 })).rejects.toThrow(
      /is in use by another spotify-pipeline process .*Conflicting lock is held .*Wait for it to finish/,
    );
    await second.released;
  });
});
