import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ListObjectsV2Command, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { makePlays } from '../fakes/spotify-server.js';
import { playIdentities } from '../helpers/lake.js';
import { s3Env, startS3rver } from '../helpers/s3rver.js';
import { collectorFixture, summaryOf } from './fixture.js';

let fx: Awaited<ReturnType<typeof collectorFixture>>;
let s3: Awaited<ReturnType<typeof startS3rver>> | undefined;
afterEach(async () => {
  await fx?.close();
  await s3?.close();
  s3 = undefined;
});

async function readBucket(endpoint: string, bucket: string) {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  const files = [];
  for (const o of listed.Contents ?? []) {
    if (o.Key!.startsWith('_pipeline/')) continue; // the writers' lease, not data
    const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
    const bytes = Buffer.from(await body.Body!.transformToByteArray());
    const records = gunzipSync(bytes)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    files.push({ key: o.Key!, records });
  }
  client.destroy();
  return files;
}

describe('storage', () => {
  it('S3 mode end to end: run-once writes gzipped NDJSON under the layout, exactly once; test probes the bucket', async () => {
    s3 = await startS3rver(['lake']);
    fx = await collectorFixture();
    const env = s3Env(s3.endpoint, 'lake');
    fx.spotify.addPlays('alice', makePlays(25, new Date('2024-07-01T00:20:00.000Z')));
    const first = await fx.run(['run-once', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(summaryOf(first)).toMatchObject({
      plays_new: 25,
      files_written: 2,
      lake: expect.stringContaining('s3://lake/'),
    });
    expect(summaryOf(await fx.run(['run-once', '--json'], env))).toMatchObject({ plays_new: 0 });
    const files = await readBucket(s3.endpoint, 'lake');
    expect(files.map((f) => f.key)).toHaveLength(2);
    for (const f of files)
      expect(f.key).toMatch(/^spotify_listening_history\/2024\/0[67]\/\d{2}\/spotify_tracks_/);
    const ids = playIdentities(files);
    expect(new Set(ids).size).toBe(25);
    expect(ids).toHaveLength(25);
    // Nothing was written locally.
    await expect(fs.access(fx.dataDir)).rejects.toThrow();

    const test = await fx.run(['test'], env);
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/✓ Spotify account alice/);
    expect(test.stdout).toMatch(/✓ storage \(s3:\/\/lake\//);
    expect((await readBucket(s3.endpoint, 'lake')).filter((f) => f.key.startsWith('_probe/'))).toHaveLength(
      0,
    );
  });

  it('a missing bucket fails with a message naming it and the fix; the plays stay queued', async () => {
    s3 = await startS3rver(['other']);
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(3, new Date('2024-07-01T10:00:00.000Z')));
    const result = await fx.run(['run-once'], s3Env(s3.endpoint, 'missing-bucket'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/s3:\/\/missing-bucket.*NoSuchBucket.*does not exist/);
    const test = await fx.run(['test'], s3Env(s3.endpoint, 'missing-bucket'));
    expect(test.code).toBe(1);
    expect(test.stdout).toMatch(/✗ storage .*missing-bucket/);
  });

  it('an unwritable DATA_DIR: exit 2 before any work; a lake that fails mid-run: exit 1, nothing lost once fixed', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(5, new Date('2024-07-01T10:00:00.000Z')));
    // A regular file where the lake folder should be: unwritable even for root. Checked before fetching.
    const blocked = path.join(fx.cwd, 'blocked');
    await fs.writeFile(blocked, 'not a folder');
    const refused = await fx.run(['run-once'], { DATA_DIR: blocked });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`DATA_DIR (--data-dir) ${blocked} cannot be a folder`);
    const test = await fx.run(['test'], { DATA_DIR: blocked });
    expect(test.code).toBe(1);
    expect(test.stdout).toMatch(/✗ storage/);

    // A lake whose dataset folder is a file: DATA_DIR itself is fine, the object writes fail after the fetch.
    const dataset = path.join(fx.dataDir, 'spotify_listening_history');
    await fs.mkdir(fx.dataDir, { recursive: true });
    await fs.writeFile(dataset, 'not a folder');
    const result = await fx.run(['run-once']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/lake (folder|path) /);
    expect(result.stdout).toMatch(/DATA_DIR/);

    // The user fixes it: the queued plays are written, each once, although Spotify's page moved on.
    await fs.rm(dataset);
    fx.spotify.users.get('alice')!.plays = [];
    const fixed = await fx.run(['run-once', '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(playIdentities(await fx.lake())).toHaveLength(5);
  });

  it('backfill keeps only the last N days and says the API holds only 50 plays', async () => {
    fx = await collectorFixture();
    const now = Date.now();
    fx.spotify.addPlays('alice', [
      ...makePlays(3, new Date(now - 10 * 86_400_000)),
      ...makePlays(4, new Date(now - 3_600_000), { firstTrack: 40 }),
    ]);
    const result = await fx.run(['backfill', '--days', '2', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('only your 50 most recent plays');
    expect(result.stderr).toContain('spotify-pipeline import');
    const summary = summaryOf(result);
    expect(summary).toMatchObject({ plays_new: 4, plays_skipped: 3 });
    expect(summary.accounts[0]!.skipped_by_reason).toEqual({ outside_window: 3 });
  });

  it('never shows a secret in logs, summaries, state history or the lake', async () => {
    fx = await collectorFixture();
    fx.spotify.rotateRefreshTokens = true;
    fx.spotify.addPlays('alice', makePlays(3, new Date('2024-07-01T10:00:00.000Z')));
    const outputs = [];
    outputs.push(await fx.run(['run-once'], { LOG_LEVEL: 'trace' }));
    fx.spotify.expireAccessTokens();
    fx.spotify.inject('GET /v1/me/player/recently-played', { status: 500, body: {} });
    outputs.push(await fx.run(['run-once', '--json'], { LOG_LEVEL: 'trace' }));
    fx.spotify.revokeRefreshToken('alice');
    fx.spotify.expireAccessTokens();
    outputs.push(await fx.run(['run-once'], { LOG_LEVEL: 'trace' }));
    outputs.push(await fx.run(['test'], { LOG_LEVEL: 'trace' }));
    const tokenFile = JSON.parse(await fs.readFile(path.join(fx.stateDir, 'accounts', 'alice.json'), 'utf8'));
    const secrets = [
      fx.env.SPOTIFY_CLIENT_SECRET!,
      fx.env.SPOTIFY_REFRESH_TOKEN!,
      tokenFile.refresh_token,
      tokenFile.access_token,
    ];
    const history = await fs.readFile(path.join(fx.stateDir, 'history', 'runs.jsonl'), 'utf8');
    const lake = JSON.stringify(await fx.lake());
    const everything = outputs.map((o) => o.stdout + o.stderr).join('\n') + history + lake;
    expect(everything.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toContain(
      Buffer.from(`${fx.env.SPOTIFY_CLIENT_ID}:${fx.env.SPOTIFY_CLIENT_SECRET}`).toString('base64'),
    );
  });
});
