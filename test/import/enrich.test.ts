import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import type { ImportReport } from '../../src/import/run-import.js';
import { startFakeSpotify, type FakeSpotify } from './fake-spotify.js';
import { readDataset, runCli, tempDir } from './helpers.js';

let fake: FakeSpotify | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const envFor = (f: FakeSpotify) => ({
  SPOTIFY_CLIENT_ID: 'client',
  SPOTIFY_REFRESH_TOKEN: 'refresh',
  SPOTIFY_API_BASE_URL: `${f.url}/v1`,
  SPOTIFY_ACCOUNTS_BASE_URL: f.url,
  SPOTIFY_RATE_LIMIT_PER_MINUTE: '6000',
});

async function smallExport(): Promise<string[]> {
  const dir = path.join(await tempDir('enrich-export-'), 'export');
  const { extendedFiles } = await generateExport(dir, {
    plays: 400,
    rowsPerFile: 200,
    seed: 11,
    catalogSize: 60,
    accountDataDays: 0,
  });
  return extendedFiles;
}

describe('import --enrich', () => {
  it('Development Mode: falls back to GET /tracks/{id} after a 403, fills the records, caches across runs', async () => {
    const [first, second] = await smallExport();
    fake = await startFakeSpotify('development');
    const cwd = await tempDir();
    const run1 = await runCli(['import', first!, '--enrich', '--json'], cwd, envFor(fake));
    expect(run1.stderr).toBe('');
    expect(run1.code).toBe(0);
    const r1 = JSON.parse(run1.stdout) as ImportReport;
    expect(r1.enrich).toMatchObject({ mode: 'single', not_found: 0 });
    expect(r1.enrich!.records_enriched).toBe(r1.rows_written);
    const batchCalls = fake.requests.filter((r) => r === 'GET /v1/tracks').length;
    const singleCalls = fake.requests.filter((r) => r.startsWith('GET /v1/tracks/')).length;
    expect(batchCalls).toBe(1);
    expect(singleCalls).toBe(r1.enrich!.tracks_looked_up);
    const { records } = await readDataset(path.join(cwd, 'data/spotify_listening_history'));
    expect(records.length).toBe(r1.rows_written);
    for (const r of records) {
      expect(r.track_duration_ms).toEqual(expect.any(Number));
      expect(r.track_explicit).toEqual(expect.any(Boolean));
      expect(r.isrc).toMatch(/^US/);
      expect(r.primary_artist_id).toMatch(/^artist/);
      expect(r.artist_names).toEqual(['Main Artist', 'Featured']);
      expect(r.album_type).toMatch(/album|single/);
      expect(r.album_release_date).toBe('2019-05-10');
      expect(r.track_popularity).toBeNull(); // Development Mode lost it
    }

    // The second file plays the same catalog: the cache answers, only new tracks are asked for.
    const before = fake.requests.length;
    const run2 = await runCli(['import', second!, '--enrich', '--json'], cwd, envFor(fake));
    expect(run2.code).toBe(0);
    const r2 = JSON.parse(run2.stdout) as ImportReport;
    expect(r2.enrich!.cache_hits).toBeGreaterThan(0);
    const asked = fake.requests.slice(before).filter((r) => r.startsWith('GET /v1/tracks/')).length;
    expect(asked).toBe(r2.enrich!.tracks_looked_up);
    const cache = await fs.readFile(path.join(cwd, '.pipeline/import/track-metadata.jsonl'), 'utf8');
    expect(cache.trim().split('\n').length).toBe(r1.enrich!.tracks_looked_up + r2.enrich!.tracks_looked_up);
  });

  it('Extended Quota Mode: batches of 50 ids', async () => {
    const [first] = await smallExport();
    fake = await startFakeSpotify('extended');
    const cwd = await tempDir();
    const res = await runCli(['import', first!, '--enrich', '--json'], cwd, envFor(fake));
    expect(res.code).toBe(0);
    const r = JSON.parse(res.stdout) as ImportReport;
    expect(r.enrich!.mode).toBe('batch');
    expect(fake.requests.filter((q) => q.startsWith('GET /v1/tracks/'))).toEqual([]);
    expect(fake.requests.filter((q) => q === 'GET /v1/tracks').length).toBe(
      Math.ceil(r.enrich!.tracks_looked_up / 50),
    );
    const { records } = await readDataset(path.join(cwd, 'data/spotify_listening_history'));
    expect(records.every((x) => typeof x.track_popularity === 'number')).toBe(true);
  });

  it('without a connected account, asks for a login (exit 3) and writes nothing', async () => {
    const [first] = await smallExport();
    const cwd = await tempDir();
    const res = await runCli(['import', first!, '--enrich'], cwd);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/auth login/);
    expect((await readDataset(path.join(cwd, 'data'))).files).toEqual([]);
  });
});
