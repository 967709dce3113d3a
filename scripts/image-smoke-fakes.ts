/**
 * The doubles scripts/image-smoke.sh runs the image against, on 127.0.0.1 (the container shares the host's
 * network): the fake Spotify with one account and 5 recent plays, and the conditional S3 double (s3rver behind
 * the conditional-write proxy) with a lake bucket and a state bucket. The same doubles the tests use
 * (test/fakes), so the image is run against what the suite checks them against.
 *
 * Prints `READY <env file>` once listening; the file holds what a task definition would set (podman
 * --env-file). On SIGTERM prints `REPORT <json>` (the lake's object count and the lease) and exits.
 *
 *   node --import tsx scripts/image-smoke-fakes.ts
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createS3Client } from '../src/aws/s3-client.js';
import { startConditionalS3 } from '../test/fakes/conditional-s3.js';
import { FakeSpotify, headlessSpotifyEnv, makePlays } from '../test/fakes/spotify-server.js';
import { s3Env } from '../test/helpers/s3rver.js';

const PLAYS = 5;

const spotify = await FakeSpotify.start();
const user = spotify.addUser('alice');
spotify.addPlays('alice', makePlays(PLAYS, new Date(Date.now() - 3_600_000)));
const s3 = await startConditionalS3(['lake', 'state']);

const env: Record<string, string | undefined> = {
  ...headlessSpotifyEnv(spotify, user),
  ...s3Env(s3.endpoint, 'lake'),
  STATE_URL: 's3://state/spotify/',
  LOG_LEVEL: 'info',
  FETCH_INTERVAL_MINUTES: '60',
};
const envFile = path.join(await mkdtemp(path.join(tmpdir(), 'image-smoke-')), 'smoke.env');
await writeFile(
  envFile,
  Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}\n`)
    .join(''),
  { mode: 0o600 },
);
process.stdout.write(`READY ${envFile}\n`);

// s3rver takes any credentials; this process's own S3 client (the report) needs some.
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
process.once('SIGTERM', () => {
  report().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`the report failed: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
});

async function report(): Promise<void> {
  const client = await createS3Client({
    endpointUrl: s3.endpoint,
    region: 'us-east-1',
    bucket: 'lake',
    dataDir: '',
    prefix: '',
  });
  try {
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'spotify_listening_history/' }),
    );
    let lease: unknown = null;
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: 'lake', Key: '_pipeline/lease.json' }));
      lease = JSON.parse(await got.Body!.transformToString());
    } catch {
      lease = null;
    }
    process.stdout.write(`REPORT ${JSON.stringify({ lake_objects: listed.KeyCount ?? 0, lease })}\n`);
  } finally {
    client.destroy();
    await s3.close();
    await spotify.close();
  }
}
