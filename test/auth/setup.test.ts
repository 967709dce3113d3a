import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';
import { authFixture, jsonOf } from './fixture.js';
import { driveInteractive, KEY } from './setup-driver.js';

let fx: Awaited<ReturnType<typeof authFixture>> | undefined;
let s3: Awaited<ReturnType<typeof startS3rver>> | undefined;
afterEach(async () => {
  await fx?.close();
  await s3?.close();
  fx = undefined;
  s3 = undefined;
});

const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

async function envFile(cwd: string) {
  const file = path.join(cwd, '.env');
  const text = await fs.readFile(file, 'utf8');
  return { text, values: parseDotenv(text), mode: (await fs.stat(file)).mode & 0o777 };
}

describe('setup in scripts (flags and --yes)', () => {
  it('writes .env with mode 0600 from flags and defaults, checking the local lake folder', async () => {
    fx = await authFixture();
    const result = await fx.run(
      [
        'setup',
        '--yes',
        '--client-id',
        'abc123',
        '--data-dir',
        './lake',
        '--interval',
        '15',
        '--skip-login',
        '--skip-test',
      ],
      { SPOTIFY_CLIENT_ID: undefined, SPOTIFY_CLIENT_SECRET: undefined, SPOTIFY_REDIRECT_URI: undefined },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('https://developer.spotify.com/dashboard');
    expect(result.stdout).toContain('Redirect URI: add exactly http://127.0.0.1:8888/callback');
    expect(result.stdout).toContain('Premium');
    expect(result.stdout).toContain('5 users');
    expect(result.stdout).toMatch(/Storage works: storage \(.*lake/);
    const env = await envFile(fx.cwd);
    expect(env.mode).toBe(0o600);
    expect(env.values).toEqual({
      SPOTIFY_CLIENT_ID: 'abc123',
      SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:8888/callback',
      DATA_DIR: './lake',
      FETCH_INTERVAL_MINUTES: '15',
    });
  });

  it('never silently overwrites an existing .env: --yes refuses and shows the changes (secrets masked), --force applies them and keeps the rest', async () => {
    fx = await authFixture();
    const original =
      '# my settings\nSPOTIFY_CLIENT_ID=old-id\nSPOTIFY_CLIENT_SECRET=old-secret-1234\nLOG_LEVEL=debug\n';
    await fs.writeFile(path.join(fx.cwd, '.env'), original, { mode: 0o644 });
    const args = [
      'setup',
      '--yes',
      '--client-id',
      'new-id',
      '--client-secret',
      'new-secret-5678',
      '--skip-login',
      '--skip-test',
    ];
    const env = {
      SPOTIFY_CLIENT_ID: undefined,
      SPOTIFY_CLIENT_SECRET: undefined,
      SPOTIFY_REDIRECT_URI: undefined,
    };

    const refused = await fx.run(args, env);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('~ SPOTIFY_CLIENT_ID: old-id -> new-id');
    expect(refused.stdout).toContain('~ SPOTIFY_CLIENT_SECRET: ****1234 -> ****5678');
    expect(refused.stdout).toContain('+ DATA_DIR=./data');
    expect(refused.stdout).toContain('only changed with --force');
    expect(refused.stdout + refused.stderr).not.toMatch(/old-secret|new-secret/);
    expect(await fs.readFile(path.join(fx.cwd, '.env'), 'utf8')).toBe(original);

    const forced = await fx.run([...args, '--force'], env);
    expect(forced.code, forced.stderr).toBe(0);
    const after = await envFile(fx.cwd);
    expect(after.mode).toBe(0o600);
    expect(
      after.text.startsWith(
        '# my settings\nSPOTIFY_CLIENT_ID=new-id\nSPOTIFY_CLIENT_SECRET=new-secret-5678\nLOG_LEVEL=debug\n',
      ),
    ).toBe(true);
    expect(after.values).toMatchObject({ DATA_DIR: './data', FETCH_INTERVAL_MINUTES: '30' });

    // Same answers again: nothing to change, nothing refused.
    const again = await fx.run([...args], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already holds these settings');

    // --no-client-secret switches to PKCE by removing the secret.
    const pkce = await fx.run(
      ['setup', '--yes', '--force', '--no-client-secret', '--skip-login', '--skip-test'],
      env,
    );
    expect(pkce.code, pkce.stderr).toBe(0);
    expect(pkce.stdout).toContain('- SPOTIFY_CLIENT_SECRET (was ****5678)');
    expect((await envFile(fx.cwd)).values.SPOTIFY_CLIENT_SECRET).toBeUndefined();
  });

  it('checks an S3-compatible bucket with the same probe as `test`, and writes nothing when it fails', async () => {
    fx = await authFixture();
    s3 = await startS3rver(['lake-bucket']);
    const base = [
      'setup',
      '--yes',
      '--client-id',
      'abc',
      '--storage',
      's3-compatible',
      '--endpoint-url',
      s3.endpoint,
      '--region',
      'us-east-1',
      '--skip-login',
      '--skip-test',
    ];
    const env = { ...S3_CREDENTIALS, SPOTIFY_CLIENT_ID: undefined, SPOTIFY_CLIENT_SECRET: undefined };

    const missing = await fx.run([...base, '--bucket', 'no-such-bucket'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('The storage check failed, so .env was not written');
    expect(missing.stderr).toContain('s3://no-such-bucket/');
    await expect(fs.stat(path.join(fx.cwd, '.env'))).rejects.toThrow();

    const ok = await fx.run([...base, '--bucket', 'lake-bucket'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await envFile(fx.cwd)).values).toMatchObject({
      S3_BUCKET_NAME: 'lake-bucket',
      S3_ENDPOINT_URL: s3.endpoint,
      AWS_REGION: 'us-east-1',
    });
    expect((await envFile(fx.cwd)).values.DATA_DIR).toBeUndefined();
  });

  it('refuses bad answers before writing anything, naming the flag', async () => {
    fx = await authFixture();
    const env = { SPOTIFY_CLIENT_ID: undefined, SPOTIFY_REDIRECT_URI: undefined };
    const noId = await fx.run(['setup', '--yes', '--skip-login', '--skip-test'], env);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('Spotify Client ID: the client id is required');
    const localhost = await fx.run(
      ['setup', '--yes', '--client-id', 'x', '--redirect-uri', 'http://localhost:8888/callback'],
      env,
    );
    expect(localhost.code).toBe(2);
    expect(localhost.stderr).toContain('SPOTIFY_REDIRECT_URI=http://127.0.0.1:8888/callback');
    const interval = await fx.run(['setup', '--yes', '--client-id', 'x', '--interval', '0'], env);
    expect(interval.code).toBe(2);
    expect(interval.stderr).toContain('--interval "0": must be a positive number of minutes');
    const bucket = await fx.run(
      ['setup', '--yes', '--client-id', 'x', '--storage', 's3', '--bucket', 'Bad_Bucket'],
      env,
    );
    expect(bucket.code).toBe(2);
    expect(bucket.stderr).toContain('--bucket "Bad_Bucket": must be a bucket name');
    await expect(fs.stat(path.join(fx.cwd, '.env'))).rejects.toThrow();
  });

  it('runs auth login and test after writing .env: the whole first-time setup in one command', async () => {
    fx = await authFixture({ secret: false });
    fx.spotify.addPlays('alice', []);
    const { result, browsed } = await fx.login(
      async (url) => {
        const res = await fetch(url, { redirect: 'follow' });
        return res.text();
      },
      ['setup', '--yes', '--client-id', fx.spotify.clientId, '--no-open', '--redirect-uri', fx.redirectUri],
      { SPOTIFY_CLIENT_ID: undefined, SPOTIFY_CLIENT_SECRET: undefined, SPOTIFY_REDIRECT_URI: undefined },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(browsed).toContain('It worked');
    expect(result.stdout).toContain('✓ Spotify account alice');
    expect(result.stdout).toMatch(/✓ storage/);
    expect((await envFile(fx.cwd)).values).toMatchObject({
      SPOTIFY_CLIENT_ID: fx.spotify.clientId,
      SPOTIFY_REDIRECT_URI: fx.redirectUri,
    });
    const status = jsonOf<{ accounts: { user_id: string }[] }>(await fx.run(['auth', 'status', '--json']));
    expect(status.accounts.map((a) => a.user_id)).toEqual(['alice']);
  });
});

describe('setup interactively (driven through stdin)', () => {
  it('asks each question, checks the bucket, writes .env', async () => {
    s3 = await startS3rver(['my-lake']);
    const cwd = await tempDir('spp-setup-');
    const result = await driveInteractive(
      ['setup', '--skip-login', '--skip-test'],
      { cwd, env: { ...S3_CREDENTIALS } },
      [
        ['Spotify Client ID', `my-client-id${KEY.enter}`],
        ['Client secret', `s3cret-value${KEY.enter}`],
        ['Where should the data lake live?', `${KEY.down}${KEY.down}${KEY.enter}`],
        ['endpoint URL', `${s3.endpoint}${KEY.enter}`],
        ['Bucket name', `Not_A_Bucket${KEY.enter}`],
        ['must be a bucket name', `${'\x7f'.repeat(12)}my-lake${KEY.enter}`],
        ['Region', `us-east-1${KEY.enter}`],
        ['How often should run-continuous collect', KEY.enter],
      ],
    );
    expect(result.unanswered).toEqual([]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('Storage works');
    expect(result.stdout).not.toContain('s3cret-value');
    const env = await envFile(cwd);
    expect(env.mode).toBe(0o600);
    expect(env.values).toEqual({
      SPOTIFY_CLIENT_ID: 'my-client-id',
      SPOTIFY_CLIENT_SECRET: 's3cret-value',
      SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:8888/callback',
      S3_BUCKET_NAME: 'my-lake',
      S3_ENDPOINT_URL: s3.endpoint,
      AWS_REGION: 'us-east-1',
      FETCH_INTERVAL_MINUTES: '30',
    });

    // Run again: an existing .env is changed only after the changes were shown and accepted.
    const declined = await driveInteractive(
      ['setup', '--skip-login', '--skip-test'],
      { cwd, env: { ...S3_CREDENTIALS } },
      [
        ['Spotify Client ID', `${KEY.enter}`],
        ['Keep the current client secret', KEY.enter],
        ['Where should the data lake live?', KEY.enter],
        ['endpoint URL', KEY.enter],
        ['Bucket name', KEY.enter],
        ['Region', KEY.enter],
        ['How often should run-continuous collect', `${'\x7f'.repeat(2)}60${KEY.enter}`],
        ['Apply these changes', KEY.enter],
      ],
    );
    expect(declined.unanswered).toEqual([]);
    expect(declined.stdout).toContain('~ FETCH_INTERVAL_MINUTES: 30 -> 60');
    expect(declined.stdout).toContain('was left unchanged');
    expect(declined.code).toBe(1);
    expect((await envFile(cwd)).values.FETCH_INTERVAL_MINUTES).toBe('30');
  });

  it('a failed storage check offers a way out that keeps the answers: save anyway', async () => {
    // s3rver with no bucket of that name: the check fails, as with credentials not set up yet.
    s3 = await startS3rver(['some-other-bucket']);
    const cwd = await tempDir('spp-setup-');
    const result = await driveInteractive(
      ['setup', '--skip-login', '--skip-test'],
      { cwd, env: { ...S3_CREDENTIALS } },
      [
        ['Spotify Client ID', `my-client-id${KEY.enter}`],
        ['Client secret', KEY.enter],
        ['Where should the data lake live?', `${KEY.down}${KEY.down}${KEY.enter}`],
        ['endpoint URL', `${s3.endpoint}${KEY.enter}`],
        ['Bucket name', `not-made-yet${KEY.enter}`],
        ['Region', `us-east-1${KEY.enter}`],
        ['How often should run-continuous collect', KEY.enter],
        ['What now?', `${KEY.down}${KEY.enter}`],
        ['What now?', `${KEY.down}${KEY.down}${KEY.enter}`],
      ],
    );
    expect(result.unanswered).toEqual([]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    // Checked twice (the first answer was "check again"), then saved as answered.
    expect(result.stdout.split('The storage check failed').length - 1).toBe(2);
    expect(result.stdout).toContain('run `spotify-pipeline test` once it is fixed');
    expect((await envFile(cwd)).values).toMatchObject({
      SPOTIFY_CLIENT_ID: 'my-client-id',
      S3_BUCKET_NAME: 'not-made-yet',
      S3_ENDPOINT_URL: s3.endpoint,
    });
  });
});
