import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/aws/s3-client.js';
import { RECORD_KEYS } from '../../src/record/schema.js';
import { startConditionalS3, type ConditionalS3 } from '../fakes/conditional-s3.js';
import { makePlays } from '../fakes/spotify-server.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { s3Env } from '../helpers/s3rver.js';
import { collectorFixture, summaryOf } from './fixture.js';
import { s3LakeRecords } from './s3-lake.js';

/**
 * The lake out of reach during a collection: the plays are fetched and queued in the state's outbox (the
 * queue itself is read here), the run exits 1 saying so, and the next run with the lake back publishes them
 * once, with the lake's custom fields, although Spotify no longer lists them.
 */
/**
 * Each scenario gets its own S3 double (lake and state buckets, fault rules) and its own fixture, so the
 * scenarios run at once: most of their time is spent waiting for the S3 client to give up.
 */
async function world() {
  const s3 = await startConditionalS3(['lake', 'state']);
  const client = await createS3Client({ endpointUrl: s3.endpoint, region: 'us-east-1' });
  const fx = await collectorFixture();
  const close = async () => {
    client.destroy();
    await fx.close();
    await s3.close();
  };
  return { s3, client, fx, close };
}
type World = Awaited<ReturnType<typeof world>>;
const worlds: World[] = [];
async function open(): Promise<World> {
  const w = await world();
  worlds.push(w);
  return w;
}
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

const LOCAL_TIME = path.join(PROJECT_ROOT, 'examples', 'local-time.mjs');

/** The outbox file format (src/commit/outbox-format.ts): a JSON header line, then the object bodies. */
function queuedRecords(file: Buffer): number {
  const header = JSON.parse(file.subarray(0, file.indexOf(0x0a)).toString('utf8')) as {
    objects: { records: number }[];
    fields_pending?: boolean;
  };
  expect(header.fields_pending).toBe(true);
  return header.objects.reduce((n, o) => n + o.records, 0);
}

/** Every entry in alice's outbox: the number of plays each holds. */
async function queue(client: S3Client, state: { dir: string } | { prefix: string }): Promise<number[]> {
  if ('dir' in state) {
    const outbox = path.join(state.dir, 'users', 'alice', 'outbox');
    const names = (await fs.readdir(outbox).catch(() => [])).sort();
    return Promise.all(names.map(async (n) => queuedRecords(await fs.readFile(path.join(outbox, n)))));
  }
  const listed = await client.send(
    new ListObjectsV2Command({ Bucket: 'state', Prefix: `${state.prefix}users/alice/outbox/` }),
  );
  const out: number[] = [];
  for (const o of listed.Contents ?? []) {
    const got = await client.send(new GetObjectCommand({ Bucket: 'state', Key: o.Key! }));
    out.push(queuedRecords(Buffer.from(await got.Body!.transformToByteArray())));
  }
  return out;
}

const OUTAGES: readonly (readonly [string, (s3: ConditionalS3) => void])[] = [
  [
    '503 SlowDown on every lake request',
    (s3) => s3.proxy.fail({ bucket: 'lake', status: 503, times: 100_000 }),
  ],
  ['the lake connection dropped', (s3) => s3.proxy.drop({ bucket: 'lake', times: 100_000 })],
  // Requests that never answer: only the S3 client's request timeout ends them.
  ['every lake request hanging', (s3) => s3.proxy.hang({ bucket: 'lake', times: 100_000 })],
];
const HANGING = OUTAGES[2]![1];

/**
 * The SDK's retry budget and request timeout, lowered for these scenarios (src/lake/s3-store.ts): the assertions
 * are the same, the run just gives up on the lake sooner.
 */
const FAST_S3 = { SPOTIFY_PIPELINE_TEST_S3_MAX_ATTEMPTS: '2', SPOTIFY_PIPELINE_TEST_S3_TIMEOUT_MS: '1000' };
/** A run with the lake hanging must still end: 2 attempts of 1 s per request, and a few requests, with slack. */
const BOUNDED_MS = 30_000;

describe.each([
  ['a folder', 'folder'],
  ['another bucket', 's3'],
] as const)('a lake outage during a collection, state in %s', (_, stateKind) => {
  it.concurrent.each(OUTAGES)(
    '%s: fetched plays are queued, and published once when the lake is back',
    async (_, outage) => {
      const { s3, client, fx } = await open();
      const prefix = `${stateKind}-${OUTAGES.findIndex(([, o]) => o === outage)}/`;
      const env = {
        ...s3Env(s3.endpoint, 'lake'),
        ...FAST_S3,
        SNOWFLAKE_STAGE_PREFIX: `lake-${prefix}`,
        TRANSFORM_MODULE: LOCAL_TIME,
        ...(stateKind === 's3' ? { STATE_URL: `s3://state/${prefix}` } : {}),
      };
      const state = stateKind === 's3' ? { prefix } : { dir: fx.stateDir };
      fx.spotify.addPlays('alice', makePlays(4, new Date('2024-07-01T10:00:00.000Z')));

      outage(s3);
      const started = Date.now();
      const down = await fx.run(['run-once', '--json'], env);
      expect(Date.now() - started).toBeLessThan(BOUNDED_MS);
      expect(down.code).toBe(1);
      expect(summaryOf(down).accounts[0]).toMatchObject({ plays_fetched: 4, plays_queued: 4 });
      expect(down.stdout).toMatch(/4 new plays are queued in the outbox of the state/);
      if (outage === HANGING)
        expect(down.stdout).toMatch(/_pipeline\/lease\.json in s3:\/\/lake failed \(TimeoutError\)/);
      expect(await queue(client, state)).toEqual([4]);
      // Still down on the next tick: a second entry is queued (it is reconciled against the first on replay).
      const stillDown = await fx.run(['run-once', '--json'], env);
      expect(stillDown.code).toBe(1);
      expect(await queue(client, state)).toEqual([4, 4]);

      s3.proxy.clearFaults();
      fx.spotify.users.get('alice')!.plays = []; // Spotify's window moved on: only the queue holds them
      const back = await fx.run(['run-once', '--json'], env);
      expect(back.code, back.stderr).toBe(0);
      expect(await queue(client, state)).toEqual([]);
      const records = await s3LakeRecords(client, 'lake', `lake-${prefix}`);
      expect(records).toHaveLength(4);
      expect(new Set(records.map((r) => r.played_at)).size).toBe(4);
      // The custom fields were added when they were published, not when they were queued.
      for (const r of records) {
        expect(Object.keys(r)).toEqual([...RECORD_KEYS, 'local_date', 'local_hour', 'local_weekday']);
      }
    },
    120_000,
  );
});

describe.concurrent('a lake out of reach (connection refused), state in a folder', () => {
  it('queues what it fetched without reading the lake (custom-field schema included), then publishes it once', async () => {
    const { s3, client, fx } = await open();
    // The lake already carries a custom field: the run that queues cannot know it, the one that publishes must.
    await client.send(
      new PutObjectCommand({
        Bucket: 'lake',
        Key: '_pipeline/schema.json',
        Body: JSON.stringify({
          version: 1,
          custom_fields: [{ name: 'mood', type: 'string', added_at: '2024-01-01T00:00:00.000Z' }],
        }),
      }),
    );
    fx.spotify.addPlays('alice', makePlays(3, new Date('2024-07-02T10:00:00.000Z')));
    const refused = {
      ...s3Env('http://127.0.0.1:9', 'lake'),
      ...FAST_S3,
      SNOWFLAKE_STAGE_PREFIX: 'refused/',
    };
    const down = await fx.run(['run-once', '--json'], refused);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/3 new plays are queued in the outbox/);
    expect(await queue(client, { dir: fx.stateDir })).toEqual([3]);

    fx.spotify.users.get('alice')!.plays = [];
    const back = await fx.run(['run-once', '--json'], { ...refused, S3_ENDPOINT_URL: s3.endpoint });
    expect(back.code, back.stderr).toBe(0);
    const records = await s3LakeRecords(client, 'lake', 'refused/');
    expect(records).toHaveLength(3);
    expect(records.every((r) => 'mood' in r && r.mood === null)).toBe(true);
  }, 120_000);
});

describe('the state out of reach', () => {
  it.concurrent(
    'fails the run cleanly, naming the state store, and writes nothing to the lake',
    async () => {
      const { s3, client, fx } = await open();
      fx.spotify.addPlays('alice', makePlays(2, new Date('2024-07-03T10:00:00.000Z')));
      s3.proxy.fail({ bucket: 'state', prefix: 'down/', status: 503, times: 100_000 });
      const env = {
        ...s3Env(s3.endpoint, 'lake'),
        ...FAST_S3,
        SNOWFLAKE_STAGE_PREFIX: 'statedown/',
        STATE_URL: 's3://state/down/',
      };
      const run = await fx.run(['run-once', '--json'], env);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/State store \(S3\) .*s3:\/\/state.*failed \(SlowDown 503\)/);
      expect(await s3LakeRecords(client, 'lake', 'statedown/')).toEqual([]);
    },
    120_000,
  );
});
