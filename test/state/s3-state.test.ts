import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import type { ImportReport } from '../../src/import/run-import.js';
import { createS3Client } from '../../src/aws/s3-client.js';
import { silentLogger } from '../../src/log.js';
import { LakeLease, LeaseHeldError } from '../../src/commit/lease.js';
import { S3StateStore } from '../../src/state/s3-state-store.js';
import { StateConflictError } from '../../src/state/state-store.js';
import { printedPolicy } from '../aws/printed-policy.js';
import { startConditionalS3, type ConditionalS3 } from '../fakes/conditional-s3.js';
import { FakeSpotify, headlessSpotifyEnv, makePlays } from '../fakes/spotify-server.js';
import { s3Env } from '../helpers/s3rver.js';
import { runCli, runCliUntilKilledAt, tempDir } from '../helpers/cli.js';
import { playIdentity } from '../helpers/lake.js';

/** The conditional-write S3 double with a lake and a state bucket, and an SDK client for it. */
async function startS3Double(): Promise<{ s3: ConditionalS3; client: S3Client }> {
  const s3 = await startConditionalS3(['lake', 'state']);
  const client = await createS3Client(
    { endpointUrl: s3.endpoint, region: 'us-east-1' },
    { requestTimeoutMs: 3000 },
  );
  return { s3, client };
}

/**
 * A double of the suite's own: the IAM policy and the faults its runs set on the double, and the lake it
 * counts, are its alone, so the suites run at once (the tests within a suite run in order).
 */
function ownS3Double(): { s3: ConditionalS3; client: S3Client } {
  const double = {} as { s3: ConditionalS3; client: S3Client };
  beforeAll(async () => Object.assign(double, await startS3Double()));
  afterAll(async () => {
    double.client?.destroy();
    await double.s3?.close();
  });
  return double;
}

let s3: ConditionalS3;
let client: S3Client;
let exportDir: string;

beforeAll(async () => {
  ({ s3, client } = await startS3Double());
  exportDir = path.join(await tempDir('s3-state-'), 'export');
  await generateExport(exportDir, { plays: 1200, seed: 5, rowsPerFile: 500, accountDataDays: 10 });
});
afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

/** Every record of the lake bucket's tracks dataset. */
async function lakeRecords(client: S3Client): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const listed = await client.send(
    new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'spotify_listening_history/' }),
  );
  for (const o of listed.Contents ?? []) {
    const body = await client.send(new GetObjectCommand({ Bucket: 'lake', Key: o.Key! }));
    const text = gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8');
    for (const line of text.split('\n')) if (line) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

describe.concurrent('the state store on S3', () => {
  it('creates once, replaces only an unchanged version, and reports a conflict instead of overwriting', async () => {
    const store = new S3StateStore(client, 'state', 'unit/');
    const v1 = await store.create('users/a/meta.json', '{"n":1}');
    expect(v1).toBeTruthy();
    expect(await store.create('users/a/meta.json', '{"n":2}')).toBeUndefined();
    const v2 = await store.replace('users/a/meta.json', '{"n":3}', v1!);
    await expect(store.replace('users/a/meta.json', '{"n":4}', v1!)).rejects.toBeInstanceOf(
      StateConflictError,
    );
    await expect(store.replace('users/a/gone.json', '{}', v2)).rejects.toBeInstanceOf(StateConflictError);
    expect((await store.read('users/a/meta.json'))!.body.toString()).toBe('{"n":3}');
    expect(await store.list('users/')).toEqual(['users/a/meta.json']);
    await store.delete('users/a/meta.json');
    expect(await store.read('users/a/meta.json')).toBeUndefined();
  });

  it('rides out passing 5xx, and names the store and the problem when it stays down', async () => {
    const store = new S3StateStore(client, 'state', 'faults/');
    s3.proxy.fail({ kind: 'PUT', prefix: 'faults/', status: 500, times: 2 });
    expect(await store.put('x.json', '{}')).toBeTruthy();
    s3.proxy.fail({ kind: 'PUT', prefix: 'faults/', status: 503, times: 20 });
    await expect(store.put('y.json', '{}')).rejects.toThrow(
      /State store \(S3\) write faults\/y\.json in s3:\/\/state failed \(SlowDown 503\)/,
    );
    s3.proxy.clearFaults();
  });

  it('lets one of two writers racing for the lease have it', async () => {
    const store = new S3StateStore(client, 'state', 'race/');
    const take = (id: string) =>
      LakeLease.acquire({
        store,
        lake: 's3://lake/',
        state: { id, location: id },
        command: 'test',
        ttlMs: 30_000,
        waitMs: 0,
        log: silentLogger,
      });
    const results = await Promise.allSettled([take('one'), take('two'), take('three')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(LeaseHeldError);
    }
    const lease = (won[0] as PromiseFulfilledResult<LakeLease>).value;
    // Someone else overwrites it (a writer that ignored it): the holder's next renewal fails, and it stops.
    await store.put('_pipeline/lease.json', '{"v":1}');
    await expect(lease.renew()).rejects.toThrow(/lost its lease/);
    expect(lease.lost).toBe(true);
    await expect(lease.announce(['x'])).rejects.toThrow(/lost its lease/);
  });
});

describe.concurrent('stateless runs: no STATE_DIR on disk, only environment variables', () => {
  const double = ownS3Double();
  /** Each run in a new empty working directory and HOME, as a container without a volume. */
  async function statelessImport(statePrefix: string, extra: Record<string, string> = {}, until?: string) {
    const cwd = await tempDir('stateless-');
    const env = {
      ...s3Env(double.s3.endpoint, 'lake'),
      HOME: cwd,
      STATE_URL: `s3://state/${statePrefix}`,
      ...(until ? { SPOTIFY_PIPELINE_PAUSE_AT: until } : {}),
      ...extra,
    };
    // The S3 double answers as S3 would under the policy `iam policy` prints for these settings.
    double.s3.proxy.enforce(await printedPolicy(env));
    const res = await runCli(['import', exportDir, '--user', 'demo-user', '--json'], {
      cwd,
      env,
      until,
      logLevel: 'warn',
    }).finally(() => double.s3.proxy.enforce(undefined));
    // Nothing of the state is on the local disk.
    expect(await fs.readdir(cwd)).not.toContain('.pipeline');
    return { ...res, report: res.stdout ? (JSON.parse(res.stdout) as ImportReport) : undefined };
  }

  it.sequential(
    'imports, survives SIGKILL at each pause point, re-imports, and a fresh state writes nothing twice',
    async () => {
      const first = await statelessImport('prod/', {}, 'after-object');
      expect(first.code).toBeNull(); // killed
      for (const point of ['after-outbox', 'after-ledger', 'after-commit']) {
        const killed = await statelessImport('prod/', {}, point);
        expect(killed.code === null || killed.code === 0, killed.stderr).toBe(true);
      }
      const done = await statelessImport('prod/');
      expect(done.code, done.stderr).toBe(0);
      const records = await lakeRecords(double.client);
      const ids = records.map(playIdentity);
      expect(ids.length).toBeGreaterThan(800);
      expect(new Set(ids).size).toBe(ids.length);

      // The state lives on in S3: a new container resumes from it.
      const again = await statelessImport('prod/');
      expect(again.code, again.stderr).toBe(0);
      expect(again.report!.rows_written).toBe(0);
      expect(again.report!.files.every((f) => f.status === 'already_imported')).toBe(true);

      // A second, empty state on the same lake learns the lake instead of writing it twice.
      const fresh = await statelessImport('other/');
      expect(fresh.code, fresh.stderr).toBe(0);
      expect(fresh.report!.rows_written).toBe(0);
      expect((await lakeRecords(double.client)).length).toBe(records.length);
    },
  );

  it.sequential('a state store that answers 500s fails the run cleanly; the next run recovers', async () => {
    double.s3.proxy.fail({ bucket: 'state', prefix: 'flaky/', status: 500, times: 1000 });
    const failed = await statelessImport('flaky/');
    expect(failed.code).toBe(1);
    expect(failed.stderr + failed.stdout).toMatch(/State store \(S3\) .* failed \(InternalError 500\)/);
    double.s3.proxy.clearFaults();
    const ok = await statelessImport('flaky/');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.report!.rows_written).toBe(0); // the lake already holds them all (learned, not rewritten)
  });

  it.sequential(
    'state migrate moves a local state to S3 and back, verified, and the old one refuses to run',
    async () => {
      const cwd = await tempDir('migrate-');
      const local = { DATA_DIR: path.join(cwd, 'lake'), HOME: cwd };
      const imported = await runCli(['import', exportDir, '--user', 'demo-user', '--json'], {
        cwd,
        env: local,
        logLevel: 'warn',
      });
      expect(imported.code, imported.stderr).toBe(0);
      const written = (JSON.parse(imported.stdout) as ImportReport).rows_written;

      const env = { ...local, ...s3Env(double.s3.endpoint, 'other-lake') };
      delete (env as Record<string, string>).S3_BUCKET_NAME; // the lake stays the local folder
      const moved = await runCli(['state', 'migrate', '--to', 's3://state/migrated/', '--json'], {
        cwd,
        env,
        logLevel: 'warn',
      });
      expect(moved.code, moved.stderr).toBe(0);
      const report = JSON.parse(moved.stdout) as { plays: { dataset: string; plays: number }[] };
      expect(report.plays.find((p) => p.dataset === 'tracks')!.plays).toBe(written);

      const old = await runCli(['import', exportDir, '--user', 'demo-user'], {
        cwd,
        env: local,
        logLevel: 'warn',
      });
      expect(old.code).toBe(2);
      expect(old.stderr).toMatch(/was moved to s3:\/\/state\/migrated\/ by `state migrate`/);
      const viaS3 = await runCli(['import', exportDir, '--user', 'demo-user', '--json'], {
        cwd,
        env: {
          ...env,
          STATE_URL: 's3://state/migrated/',
        },
        logLevel: 'warn',
      });
      expect(viaS3.code, viaS3.stderr).toBe(0);
      expect(
        (JSON.parse(viaS3.stdout) as ImportReport).files.every((f) => f.status === 'already_imported'),
      ).toBe(true);

      const back = await runCli(['state', 'migrate', '--to', path.join(cwd, 'state-again')], {
        cwd,
        env: {
          ...env,
          STATE_URL: 's3://state/migrated/',
        },
        logLevel: 'warn',
      });
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout).toMatch(new RegExp(`demo-user tracks: ${written} plays on both sides`));
    },
  );
});

describe.concurrent('stateless collection: S3 lake, S3 state, a fresh container each run', () => {
  const double = ownS3Double();
  it('collects exactly once across restarts, late plays and a SIGKILL; a rotated token survives', async () => {
    const spotify = await FakeSpotify.start();
    try {
      // Spotify rotates the refresh token on every refresh and kills the old one: only a stored token works.
      spotify.rotateRefreshTokens = true;
      const user = spotify.addUser('alice');
      const seed = headlessSpotifyEnv(spotify, user);
      const container = async () => {
        const cwd = await tempDir('container-');
        return {
          cwd,
          env: {
            ...seed,
            ...s3Env(double.s3.endpoint, 'lake'),
            HOME: cwd,
            STATE_URL: 's3://state/collector/',
          },
        };
      };
      const runOnce = async () => {
        const c = await container();
        double.s3.proxy.enforce(await printedPolicy(c.env)); // as S3 would under the printed policy
        const r = await runCli(['run-once', '--json'], c).finally(() => double.s3.proxy.enforce(undefined));
        expect(await fs.readdir(c.cwd)).not.toContain('.pipeline');
        return r;
      };
      spotify.addPlays('alice', makePlays(12, new Date('2024-03-01T10:00:00.000Z')));
      const first = await runOnce();
      expect(first.code, first.stderr).toBe(0);
      // A late play (listed after a newer one was seen) and a crash after the objects were written.
      spotify.addPlays('alice', makePlays(2, new Date('2024-03-01T09:00:00.000Z'), { firstTrack: 300 }));
      spotify.addPlays('alice', makePlays(3, new Date('2024-03-01T12:00:00.000Z'), { firstTrack: 400 }));
      const c = await container();
      double.s3.proxy.enforce(await printedPolicy(c.env));
      const killed = await runCliUntilKilledAt(['run-once', '--json'], 'after-object', c).finally(() =>
        double.s3.proxy.enforce(undefined),
      );
      expect(killed.signal).toBe('SIGKILL');
      const after = await runOnce();
      expect(after.code, after.stderr).toBe(0);
      double.s3.proxy.resetCounts();
      const quiet = await runOnce();
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(JSON.parse(quiet.stdout)).toMatchObject({ plays_new: 0 });
      // With SPOTIFY_REFRESH_TOKEN set the seed check lists the accounts: the run reuses that listing.
      expect(double.s3.proxy.counts({ bucket: 'state', prefix: 'collector/accounts/' })).toMatchObject({
        LIST: 1,
        GET: 1,
      });

      const ids = (await lakeRecords(double.client)).filter((r) => r.user_id === 'alice').map(playIdentity);
      expect(ids).toHaveLength(17);
      expect(new Set(ids).size).toBe(17);
      // The seed token is long dead: the runs used the rotated one stored in S3.
      expect(user.refreshToken).not.toBe(seed.SPOTIFY_REFRESH_TOKEN);
      const stored = await double.client.send(
        new GetObjectCommand({ Bucket: 'state', Key: 'collector/accounts/alice.json' }),
      );
      expect(JSON.parse(await stored.Body!.transformToString())).toMatchObject({
        refresh_token: user.refreshToken,
      });
    } finally {
      await spotify.close();
    }
  });
});

describe.concurrent('`test` checks an s3:// state', () => {
  it('passes on a store with conditional writes and fails, saying why, on one without (plain s3rver)', async () => {
    const cwd = await tempDir('state-check-');
    const good = await runCli(['test'], {
      cwd,
      env: {
        ...s3Env(s3.endpoint, 'lake'),
        STATE_URL: 's3://state/check/',
      },
      logLevel: 'warn',
    });
    expect(good.stdout).toMatch(/✓ state \(s3:\/\/state\/check\/\): conditional create, replace and delete/);
    const bad = await runCli(['test'], {
      cwd,
      env: {
        ...s3Env(s3.backendEndpoint, 'lake'),
        STATE_URL: 's3://state/check/',
      },
      logLevel: 'warn',
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/✗ state .*does not enforce conditional writes/);
  });
});
