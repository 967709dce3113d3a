import { promises as fs } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/aws/s3-client.js';
import { startConditionalS3, type ConditionalS3 } from '../fakes/conditional-s3.js';
import { FakeSpotify, headlessSpotifyEnv, makePlays } from '../fakes/spotify-server.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { leaseExpiry, startStoppedAt } from '../helpers/freeze.js';
import { playIdentities, readLocalLake } from '../helpers/lake.js';
import { s3Env } from '../helpers/s3rver.js';
import { s3LakeRecords } from './s3-lake.js';

/**
 * A writer frozen (SIGSTOP, as a suspended laptop or a frozen container) at each step of the commit protocol
 * for longer than its lease, while a second writer takes the lease over and commits new plays; then it is
 * resumed (SIGCONT). Whatever it does after, every play is in the lake exactly once (src/commit/committer.ts).
 */
const STEPS = [
  'after-fetch',
  'after-outbox',
  'after-announce',
  'after-stage',
  'after-object',
  'after-ledger',
];

// Each S3 scenario has a lake and a state bucket of its own, so a lease of its own: no scenario waits for another.
const S3_STEPS = STEPS.filter((s) => s !== 'after-stage');
const lakeBucket = (step: string) => `lake-${step}`;
const stateBucket = (step: string) => `state-${step}`;

let s3: ConditionalS3;
let client: S3Client;
beforeAll(async () => {
  s3 = await startConditionalS3(S3_STEPS.flatMap((s) => [lakeBucket(s), stateBucket(s)]));
  client = await createS3Client({ endpointUrl: s3.endpoint, region: 'us-east-1' });
});
afterAll(async () => {
  client?.destroy();
  await s3?.close();
});
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

type Kind = 'folder' | 's3';

async function scenario(kind: Kind, step: string) {
  const spotify = await FakeSpotify.start();
  try {
    const user = spotify.addUser('alice');
    const cwd = await tempDir('frozen-');
    const prefix = `${step}/`;
    const lakeName = lakeBucket(step);
    const env: Record<string, string> = {
      ...headlessSpotifyEnv(spotify, user),
      LEASE_TTL_SECONDS: '10',
      ...(kind === 's3'
        ? {
            ...s3Env(s3.endpoint, lakeName),
            SNOWFLAKE_STAGE_PREFIX: prefix,
            STATE_URL: `s3://${stateBucket(step)}/${prefix}`,
          }
        : {}),
    };
    // One lake per scenario: a folder, or a bucket of its own (the lease is the bucket's).
    const lake = async () =>
      kind === 's3'
        ? (await s3LakeRecords(client, lakeName, prefix)).map((r) => ({ key: '', records: [r] }))
        : readLocalLake(path.join(cwd, 'data'));
    const readLease = async () =>
      kind === 's3'
        ? await (
            await client.send(new GetObjectCommand({ Bucket: lakeName, Key: '_pipeline/lease.json' }))
          ).Body!.transformToString()
        : fs.readFile(path.join(cwd, 'data', '_pipeline', 'lease.json'), 'utf8');

    // Plays on two UTC dates: a commit writes two objects, so `after-object` falls between them.
    spotify.addPlays('alice', makePlays(5, new Date('2024-02-02T00:05:00.000Z')));
    const a = await startStoppedAt(['run-once', '--json'], step, { cwd, env });
    // A folder state has one writer at a time (its PID lock holds while A is frozen): the second writer
    // is another folder state on the same lake. On S3 both share one state, as containers would.
    const other = kind === 'folder' ? { STATE_DIR: path.join(cwd, 'other-state') } : {};
    let b: CliResult;
    try {
      await leaseExpiry(readLease);
      // Meanwhile 3 more plays, and a second writer takes the lease and commits.
      spotify.addPlays('alice', makePlays(3, new Date('2024-02-02T03:00:00.000Z'), { firstTrack: 500 }));
      b = await runCli(['run-once', '--json'], { cwd, env: { ...env, ...other } });
    } finally {
      a.child.kill('SIGCONT');
    }
    await a.done;
    const announced = STEPS.indexOf(step) >= STEPS.indexOf('after-announce');
    if (kind === 'folder' && announced) {
      // A's objects may still land, and only A's state can finish them: B publishes nothing and says why,
      // and the plays it fetched wait in its outbox.
      expect(b.code).toBe(1);
      expect(b.stdout).toMatch(/in flight from another state/);
      expect(b.stdout).toMatch(/new plays? (is|are) queued in the outbox/);
    } else {
      expect(b.code, b.stderr).toBe(0);
    }
    // Each state runs once more (the S3 one twice): whatever is queued is finished, nothing twice.
    const c = await runCli(['run-once', '--json'], { cwd, env: { ...env, ...other } });
    expect(c.code, c.stderr).toBe(0);
    const d = await runCli(['run-once', '--json'], { cwd, env });
    expect(d.code, d.stderr).toBe(0);

    const ids = playIdentities(await lake());
    expect(new Set(ids).size).toBe(8);
    expect(ids).toHaveLength(8);
    if (kind === 'folder') {
      for (const state of ['.pipeline', 'other-state']) {
        const outbox = path.join(cwd, state, 'users', 'alice', 'outbox');
        expect(await fs.readdir(outbox).catch(() => [])).toEqual([]);
      }
    }
  } finally {
    await spotify.close();
  }
}

// Every scenario has its own lake, state and fake Spotify, and spends most of its time waiting for a lease to
// lapse: they run concurrently (as many at a time as vitest's maxConcurrency allows).
describe.concurrent('a writer frozen past its lease at each step, state in a folder', () => {
  it.each(STEPS)('frozen %s: every play once', async (step) => scenario('folder', step), 120_000);
});
describe.concurrent('a writer frozen past its lease at each step, state and lake in S3', () => {
  // An S3 lake has no staging step: each object is one conditional PUT.
  it.each(S3_STEPS)('frozen %s: every play once', async (step) => scenario('s3', step), 120_000);
});
