import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { S3ObjectStore } from '../../src/lake/s3-store.js';
import { silentLogger } from '../../src/log.js';
import { openWarehouse } from '../../src/warehouse/warehouse.js';
import { tempDir, writePlays } from './lake-fixture.js';
import { play } from '../helpers/records.js';

// s3rver has no types; it is a dev-only S3 server on loopback.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let server: any;
let endpoint = '';
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  // A non-literal specifier: s3rver ships no types, and this test needs only run() and close().
  const specifier: string = 's3rver';
  const { default: S3rver } = await import(specifier);
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: tempDir('s3rver'),
    configureBuckets: [{ name: 'lake' }],
  });
  const address = (await server.run()) as { port: number };
  endpoint = `http://127.0.0.1:${address.port}`;
  // The SDK's default credential chain reads these; s3rver accepts its well-known pair.
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) saved[key] = process.env[key];
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
});

afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await server?.close();
});

describe('warehouse over an S3 lake', () => {
  it('fetches new objects with the SDK into a cache, loads each once, and clears the cache', async () => {
    const root = tempDir('s3-wh');
    const config = loadConfig({
      cwd: root,
      env: { S3_BUCKET_NAME: 'lake', S3_ENDPOINT_URL: endpoint, STATE_DIR: path.join(root, 'state') },
    });
    const store = await S3ObjectStore.open(config.storage);
    const first = Array.from({ length: 12 }, (_, i) =>
      play(Date.UTC(2024, 2, 1 + (i % 4), 10, i), { primary_artist_name: `A${i % 3}` }),
    );
    await writePlays(store, first);
    // A probe left by `spotify-pipeline test` is not a lake object.
    await store.putIfAbsent('_probe/spotify-pipeline-probe.txt', Buffer.from('probe'));

    let wh = await openWarehouse(config, silentLogger);
    const r1 = await wh.refresh();
    wh.close();
    expect(r1).toMatchObject({ objectsLoaded: 4, rowsLoaded: 12, failed: [] });
    expect(r1.tables.spotify_listening_history).toBe(12);

    await writePlays(store, [play('2024-03-09T10:00:00.000Z'), play('2024-03-09T11:00:00.000Z')]);
    const bad = 'spotify_listening_history/2024/03/10/spotify_tracks_20240310_100000_batch_1_bad.json.gz';
    await store.putIfAbsent(bad, Buffer.from('not gzip'));
    wh = await openWarehouse(config, silentLogger);
    try {
      const r2 = await wh.refresh();
      expect(r2).toMatchObject({ objectsLoaded: 1, rowsLoaded: 2, objectsAlreadyLoaded: 4 });
      // Named by its key in the bucket, not by the cache file it was fetched to.
      expect(r2.failed).toEqual([{ key: bad, message: `IO Error: Input is not a GZIP stream: ${bad}` }]);
      const artists = await wh.rows(
        `SELECT primary_artist_name AS a, count(*) AS n FROM spotify_listening_history GROUP BY 1 ORDER BY 1`,
      );
      expect(artists.rows).toEqual([
        { a: 'A0', n: 4 },
        { a: 'A1', n: 4 },
        { a: 'A2', n: 4 },
        { a: 'Artist A', n: 2 },
      ]);
    } finally {
      wh.close();
    }
    expect(readdirSync(path.join(root, 'state', 'warehouse', 'incoming'))).toEqual([]);
  });
});
