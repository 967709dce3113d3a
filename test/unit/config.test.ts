import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

async function dirWithEnv(text?: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'cfg-'));
  if (text !== undefined) await writeFile(path.join(dir, '.env'), text);
  return dir;
}

describe('configuration', () => {
  it('has the contract defaults', async () => {
    const cwd = await dirWithEnv();
    const c = loadConfig({ cwd, env: {} });
    expect(c.spotify.redirectUri).toBe('http://127.0.0.1:8888/callback');
    expect(c.spotify.apiBaseUrl).toBe('https://api.spotify.com/v1');
    expect(c.spotify.accountsBaseUrl).toBe('https://accounts.spotify.com');
    expect(c.spotify.rateLimitPerMinute).toBe(60);
    expect(c.storage).toMatchObject({
      bucket: undefined,
      dataDir: path.join(cwd, 'data'),
      prefix: 'spotify_listening_history/',
    });
    expect(c.stateDir).toBe(path.join(cwd, '.pipeline'));
    expect(c.fetchIntervalMinutes).toBe(30);
    expect(c.batchSize).toBe(50);
    expect(c.logLevel).toBe('info');
  });

  it('reads .env, lets the real environment win and flags win over both', async () => {
    const cwd = await dirWithEnv('BATCH_SIZE=20\nDATA_DIR=/from-dotenv\nLOG_LEVEL=debug\nS3_BUCKET_NAME=\n');
    const c = loadConfig({ cwd, env: { BATCH_SIZE: '30' }, overrides: { LOG_LEVEL: 'warn' } });
    expect(c.batchSize).toBe(30);
    expect(c.storage.dataDir).toBe('/from-dotenv');
    expect(c.logLevel).toBe('warn');
    expect(c.storage.bucket).toBeUndefined(); // an empty value is "not set"
  });

  it.each([
    ['BATCH_SIZE', '0', /BATCH_SIZE \(got "0"\) must be at least 1/],
    ['BATCH_SIZE', 'fifty', /BATCH_SIZE .*whole number/],
    ['FETCH_INTERVAL_MINUTES', '-5', /FETCH_INTERVAL_MINUTES .*positive number/],
    ['SPOTIFY_API_BASE_URL', 'ftp://x', /SPOTIFY_API_BASE_URL .*http\(s\) URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL .*one of fatal/],
    ['SNOWFLAKE_STAGE_PREFIX', '/abs', /SNOWFLAKE_STAGE_PREFIX .*ending in "\/"/],
    ['S3_BUCKET_NAME', 'Bad_Bucket', /S3_BUCKET_NAME .*bucket name/],
    ['S3_BUCKET_NAME', 'lake--usw2-az1--x-s3', /S3_BUCKET_NAME .*directory bucket.*general purpose bucket/],
    ['STATE_URL', 's3://state--usw2-az1--x-s3/p/', /STATE_URL .*directory bucket.*general purpose bucket/],
  ])('rejects %s=%s naming the variable and the fix (exit 2)', async (name, value, message) => {
    const cwd = await dirWithEnv();
    let error: unknown;
    try {
      loadConfig({ cwd, env: { [name]: value } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('.env');
  });

  it('never echoes a secret value in a configuration error', async () => {
    const cwd = await dirWithEnv();
    const error = (() => {
      try {
        loadConfig({
          cwd,
          env: { SPOTIFY_CLIENT_SECRET: 's3cr3t', SPOTIFY_REFRESH_TOKEN: 'x', BATCH_SIZE: '0' },
        });
      } catch (err) {
        return err as Error;
      }
    })();
    expect(error?.message).toMatch(/BATCH_SIZE/);
    expect(error?.message).not.toContain('s3cr3t');
  });

  it('SPOTIFY_TOKEN_SECRET_ID: a name or an ARN (whose region wins), validated; the endpoint needs it', async () => {
    const cwd = await dirWithEnv();
    expect(loadConfig({ cwd, env: {} }).tokenSecret).toBeUndefined();
    expect(
      loadConfig({ cwd, env: { SPOTIFY_TOKEN_SECRET_ID: 'prod/spotify', AWS_REGION: 'eu-west-1' } })
        .tokenSecret,
    ).toEqual({
      secretId: 'prod/spotify',
      region: 'eu-west-1',
      endpointUrl: undefined,
    });
    const arn = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:prod/spotify-AbCdEf';
    expect(
      loadConfig({ cwd, env: { SPOTIFY_TOKEN_SECRET_ID: arn, AWS_REGION: 'eu-west-1' } }).tokenSecret!.region,
    ).toBe('us-west-2');
    expect(() => loadConfig({ cwd, env: { SPOTIFY_TOKEN_SECRET_ID: 'two words' } })).toThrow(
      /SPOTIFY_TOKEN_SECRET_ID must be a Secrets Manager secret name/,
    );
    expect(() => loadConfig({ cwd, env: { SECRETS_MANAGER_ENDPOINT_URL: 'http://127.0.0.1:1' } })).toThrow(
      /SECRETS_MANAGER_ENDPOINT_URL is set but SPOTIFY_TOKEN_SECRET_ID is not/,
    );
  });
});
