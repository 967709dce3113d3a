import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { loadSnowflakeSettings, requireConnection } from '../../src/snowflake/settings.js';
import { lakeKeyOf, stageTarget } from '../../src/snowflake/stage-paths.js';

const config = (env: Record<string, string>) => loadConfig({ cwd: '/tmp', env });

describe('Snowflake settings', () => {
  it('defaults, upper-cased identifiers, the API host from the account', () => {
    const s = loadSnowflakeSettings(
      config({
        SNOWFLAKE_ACCOUNT: 'myorg-my_account',
        SNOWFLAKE_USER: 'u',
        SNOWFLAKE_PRIVATE_KEY_PATH: 'k.p8',
        SNOWFLAKE_WAREHOUSE: 'wh',
      }),
    );
    expect(s.objects).toMatchObject({
      database: 'SPOTIFY',
      schema: 'LISTENING',
      integration: 'SPOTIFY_LAKE_INTEGRATION',
      mode: 'auto',
    });
    expect(s.connection).toMatchObject({
      baseUrl: 'https://myorg-my-account.snowflakecomputing.com',
      warehouse: 'WH',
      privateKeyPath: '/tmp/k.p8',
    });
  });

  it('names each bad variable and what is missing', () => {
    expect(() => loadSnowflakeSettings(config({ SNOWPIPE_MODE: 'sqs' }))).toThrow(
      /SNOWPIPE_MODE \(got "sqs"\) must be auto/,
    );
    expect(() => loadSnowflakeSettings(config({ SNOWFLAKE_AWS_ROLE_ARN: 'role' }))).toThrow(
      /SNOWFLAKE_AWS_ROLE_ARN/,
    );
    // Only the three AWS partitions exist.
    expect(() =>
      loadSnowflakeSettings(config({ SNOWFLAKE_AWS_ROLE_ARN: 'arn:aws-mars:iam::123456789012:role/r' })),
    ).toThrow(/SNOWFLAKE_AWS_ROLE_ARN/);
    expect(
      loadSnowflakeSettings(config({ SNOWFLAKE_AWS_ROLE_ARN: 'arn:aws-us-gov:iam::123456789012:role/r' }))
        .objects.awsRoleArn,
    ).toBe('arn:aws-us-gov:iam::123456789012:role/r');
    expect(() =>
      loadSnowflakeSettings(config({ SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: 'x', SNOWFLAKE_ROLE: 'a b' })),
    ).toThrow(/SNOWFLAKE_ROLE/);
    expect(() => loadSnowflakeSettings(config({ SNOWFLAKE_ERROR_INTEGRATION: 'arn:aws:sns:x' }))).toThrow(
      /SNOWFLAKE_ERROR_INTEGRATION \(got "arn:aws:sns:x"\) must be a plain identifier/,
    );
    expect(
      loadSnowflakeSettings(config({ SNOWFLAKE_ERROR_INTEGRATION: 'pipe_errors' })).objects.errorIntegration,
    ).toBe('PIPE_ERRORS');
    const partial = loadSnowflakeSettings(config({ SNOWFLAKE_ACCOUNT: 'xy12345' }));
    expect(() => requireConnection(partial)).toThrow(/SNOWFLAKE_USER, SNOWFLAKE_PRIVATE_KEY_PATH/);
  });

  it('stage paths are lake keys without the dataset prefix; other keys are not ours', () => {
    const { objects } = loadSnowflakeSettings(config({ SNOWFLAKE_STAGE_PREFIX: 'music/history/' }));
    expect(
      stageTarget(objects, 'music/history/2024/01/02/spotify_tracks_20240102_000000_batch_1_a.json.gz'),
    ).toEqual({
      pipe: 'SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE',
      path: '2024/01/02/spotify_tracks_20240102_000000_batch_1_a.json.gz',
      dataset: 'tracks',
    });
    expect(stageTarget(objects, '_probe/x.txt')).toBeUndefined();
    expect(
      stageTarget(objects, 'other/2024/01/02/spotify_tracks_20240102_000000_batch_1_a.json.gz'),
    ).toBeUndefined();
  });

  it('file names as Snowflake reports them map back to lake keys, whichever form they take', () => {
    const key = 'spotify_listening_history/2024/01/02/spotify_tracks_20240102_000000_batch_1_a.json.gz';
    const prefix = 'spotify_listening_history/';
    expect(lakeKeyOf('2024/01/02/spotify_tracks_20240102_000000_batch_1_a.json.gz', 'lake', prefix)).toBe(
      key,
    );
    expect(lakeKeyOf(key, 'lake', prefix)).toBe(key);
    expect(lakeKeyOf(`s3://lake/${key}`, 'lake', prefix)).toBe(key);
    expect(lakeKeyOf(`s3gov://lake/${key}`, 'lake', prefix)).toBe(key);
    expect(lakeKeyOf(`s3china://lake/${key}`, 'lake', prefix)).toBe(key);
  });
});
