import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import type { ImportReport } from '../../src/import/run-import.js';
import { FakeSpotify, headlessSpotifyEnv, trackForId } from '../fakes/spotify-server.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { readDataset } from '../helpers/lake.js';

let fake: FakeSpotify | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Spotify in Development Mode (the batch endpoint answers 403, no popularity) or Extended Quota Mode. */
async function startFake(mode: 'development' | 'extended'): Promise<FakeSpotify> {
  const f = await FakeSpotify.start();
  f.developmentMode = mode === 'development';
  f.unknownTrack = trackForId; // it knows every track of the export
  f.addUser('demo-user');
  return f;
}

const envFor = (f: FakeSpotify): Record<string, string> =>
  Object.fromEntries(
    Object.entries({
      ...headlessSpotifyEnv(f, f.users.get('demo-user')!),
      SPOTIFY_RATE_LIMIT_PER_MINUTE: '6000',
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
/** The Web API's track requests: the batch endpoint (`/v1/tracks?ids=`) or one track (`/v1/tracks/{id}`). */
const batchCalls = (f: FakeSpotify) =>
  f.requests.filter((r) => r.method === 'GET' && r.path === '/v1/tracks');
const singleCalls = (f: FakeSpotify) =>
  f.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/tracks/'));

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
    fake = await startFake('development');
    const cwd = await tempDir();
    const run1 = await runCli(['import', first!, '--enrich', '--json'], {
      cwd,
      env: envFor(fake),
      logLevel: 'warn',
    });
    expect(run1.stderr).toBe('');
    expect(run1.code).toBe(0);
    const r1 = JSON.parse(run1.stdout) as ImportReport;
    expect(r1.enrich).toMatchObject({ mode: 'single', not_found: 0 });
    expect(r1.enrich!.records_enriched).toBe(r1.rows_written);
    expect(batchCalls(fake)).toHaveLength(1);
    expect(singleCalls(fake)).toHaveLength(r1.enrich!.tracks_looked_up);
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
    const before = singleCalls(fake).length;
    const run2 = await runCli(['import', second!, '--enrich', '--json'], {
      cwd,
      env: envFor(fake),
      logLevel: 'warn',
    });
    expect(run2.code).toBe(0);
    const r2 = JSON.parse(run2.stdout) as ImportReport;
    expect(r2.enrich!.cache_hits).toBeGreaterThan(0);
    const asked = singleCalls(fake).length - before;
    expect(asked).toBe(r2.enrich!.tracks_looked_up);
    const cache = await fs.readFile(path.join(cwd, '.pipeline/import/track-metadata.jsonl'), 'utf8');
    expect(cache.trim().split('\n').length).toBe(r1.enrich!.tracks_looked_up + r2.enrich!.tracks_looked_up);
  });

  it('Extended Quota Mode: batches of 50 ids', async () => {
    const [first] = await smallExport();
    fake = await startFake('extended');
    const cwd = await tempDir();
    const res = await runCli(['import', first!, '--enrich', '--json'], {
      cwd,
      env: envFor(fake),
      logLevel: 'warn',
    });
    expect(res.code).toBe(0);
    const r = JSON.parse(res.stdout) as ImportReport;
    expect(r.enrich!.mode).toBe('batch');
    expect(singleCalls(fake)).toEqual([]);
    expect(batchCalls(fake).length).toBe(Math.ceil(r.enrich!.tracks_looked_up / 50));
    const { records } = await readDataset(path.join(cwd, 'data/spotify_listening_history'));
    expect(records.every((x) => typeof x.track_popularity === 'number')).toBe(true);
  });

  it('without a connected account, asks for a login (exit 3) and writes nothing', async () => {
    const [first] = await smallExport();
    const cwd = await tempDir();
    const res = await runCli(['import', first!, '--enrich'], { cwd, logLevel: 'warn' });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/auth login/);
    expect((await readDataset(path.join(cwd, 'data'))).files).toEqual([]);
  });
});
