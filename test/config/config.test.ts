import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';

async function dirWithEnv(text?: string) {
  const dir = await tempDir('cfg-');
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
    ['S3_BUCKET_NAME', 'lake--use1-az4--x-s3', /S3_BUCKET_NAME .*directory bucket.*general purpose bucket/],
    ['STATE_URL', 's3://state--use1-az4--x-s3/p/', /STATE_URL .*directory bucket/],
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

  it.each([
    [
      'STATE_URL',
      'S3://mybucket/state/',
      /STATE_URL \(got "S3:\/\/mybucket\/state\/"\) must be s3:\/\/bucket\/prefix\/ \(lower-case s3/,
    ],
    ['STATE_URL', 'ftp://x', /STATE_URL \(got "ftp:\/\/x"\) must be s3:\/\//],
    ['STATE_URL', 's3:/x', /STATE_URL .*must be s3:\/\//],
    ['DATA_DIR', 's3://my-bucket/', /DATA_DIR .*is a URL, not a folder: .*set S3_BUCKET_NAME/],
    ['STATE_DIR', 'S3://my-bucket/state', /STATE_DIR .*is a URL, not a folder: .*STATE_URL=s3:\/\//],
  ])(
    'refuses %s=%s instead of making a local folder named after the scheme',
    async (name, value, message) => {
      const cwd = await dirWithEnv();
      expect(() => loadConfig({ cwd, env: { [name]: value } })).toThrow(message);
    },
  );

  it('takes folders and file:// for STATE_URL, and a Windows-style drive letter as a folder', async () => {
    const cwd = await dirWithEnv();
    expect(loadConfig({ cwd, env: { STATE_URL: 'file:///tmp/state' } }).state).toEqual({
      kind: 'local',
      dir: '/tmp/state',
    });
    expect(loadConfig({ cwd, env: { STATE_URL: 's3://my-bucket/state/' } }).state).toMatchObject({
      kind: 's3',
      bucket: 'my-bucket',
    });
    expect(loadConfig({ cwd, env: { DATA_DIR: 'C:lake' } }).storage.dataDir).toBe(path.join(cwd, 'C:lake'));
  });

  it('warns about a key in .env that is not a setting, with the closest one; the environment is not checked', async () => {
    const cwd = await dirWithEnv(
      'SPOTIFY_CLIENTID=abc\nBATCHSIZE=20\nMY_OTHER_APP_KEY=1\nAWS_REGON=eu-west-1\nAWS_PROFILE=me\nLOG_LEVEL=warn\n',
    );
    const c = loadConfig({ cwd, env: { SOME_SHELL_VARIABLE: 'x' } });
    const file = path.join(cwd, '.env');
    expect(c.warnings).toEqual([
      `warning: SPOTIFY_CLIENTID in ${file} is not a setting of spotify-pipeline and is ignored (did you mean SPOTIFY_CLIENT_ID?)`,
      `warning: BATCHSIZE in ${file} is not a setting of spotify-pipeline and is ignored (did you mean BATCH_SIZE?)`,
      `warning: MY_OTHER_APP_KEY in ${file} is not a setting of spotify-pipeline and is ignored (docs/configuration.md lists the settings)`,
      `warning: AWS_REGON in ${file} is not a setting of spotify-pipeline and is ignored (did you mean AWS_REGION?)`,
    ]);
    expect(c.envFile).toEqual({ path: file, found: true });
    const none = await dirWithEnv();
    expect(loadConfig({ cwd: none, env: {} }).envFile).toEqual({
      path: path.join(none, '.env'),
      found: false,
    });
  });

  it('a transform module that does not exist fails at start, not when the first play arrives', async () => {
    const cwd = await dirWithEnv();
    expect(() => loadConfig({ cwd, env: { TRANSFORM_MODULE: './nope.mjs' } })).toThrow(
      new RegExp(`TRANSFORM_MODULE \\(--transform\\) ${path.join(cwd, 'nope.mjs')} is not a file`),
    );
    expect(() => loadConfig({ cwd, env: { TRANSFORM_MODULE: '.' } })).toThrow(/is not a file/);
    await writeFile(path.join(cwd, 'fields.mjs'), 'export default () => ({});\n');
    expect(loadConfig({ cwd, env: { TRANSFORM_MODULE: './fields.mjs' } }).transform?.module).toBe(
      path.join(cwd, 'fields.mjs'),
    );
  });
});
