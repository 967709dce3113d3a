import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTION_CHECKS } from '../../src/checks/run-checks.js';
import { snowflakeCheck } from '../../src/snowflake/check.js';
import { loadConfig } from '../../src/config.js';
import { configuredObjectHooks } from '../../src/commit/index.js';
import { silentLogger } from '../../src/log.js';
import { readPending } from '../../src/snowflake/snowpipe-notifier.js';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { FakeSnowflake } from './fake-snowflake.js';
import { FakeWorld } from './fake-world.js';
import { tempDir, writeKeyPair } from './helpers.js';

const fakes: FakeSnowflake[] = [];
afterEach(async () => {
  while (fakes.length) await fakes.pop()!.stop();
});

async function configured(mode: 'rest' | 'auto') {
  const root = await tempDir('rest');
  const { file, publicKey } = await writeKeyPair(root);
  const w = new FakeWorld();
  const fake = new FakeSnowflake(publicKey, 'MYORG-LAKE', 'LOADER', w.handle);
  fakes.push(fake);
  const baseUrl = await fake.start();
  const config = loadConfig({
    cwd: root,
    env: {
      STATE_DIR: path.join(root, 'state'),
      S3_BUCKET_NAME: 'lake',
      SNOWFLAKE_ACCOUNT: 'myorg-lake',
      SNOWFLAKE_USER: 'loader',
      SNOWFLAKE_PRIVATE_KEY_PATH: file,
      SNOWFLAKE_API_BASE_URL: baseUrl,
      SNOWPIPE_MODE: mode,
    },
  });
  return { root, fake, w, config };
}

const write = (key: string) => ({ key, bytes: 10, records: 1, outcome: 'created' as const });

describe('SNOWPIPE_MODE=rest', () => {
  it('returns the paths Snowpipe skipped for not matching the pipe’s PATTERN (unmatchedPatternFiles)', async () => {
    const { fake, config } = await configured('rest');
    fake.pipePattern = /spotify_tracks_[^/]*[.]json[.]gz$/;
    const { loadSnowflakeSettings, requireConnection } = await import('../../src/snowflake/settings.js');
    const { SnowflakeSqlClient } = await import('../../src/snowflake/sql-api.js');
    const { SnowpipeRestClient } = await import('../../src/snowflake/snowpipe-rest.js');
    const sql = new SnowflakeSqlClient(requireConnection(loadSnowflakeSettings(config)), silentLogger);
    const rest = new SnowpipeRestClient(sql.connection, () => sql.token());
    const answer = await rest.insertFiles('SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE', [
      '2024/01/15/spotify_tracks_20240115_143000_batch_3_abc123.json.gz',
      '2024/01/15/notes.txt',
    ]);
    expect(answer).toEqual({ unmatched: ['2024/01/15/notes.txt'] });
  });

  it('tells the right pipe about each new object, with paths relative to the stage', async () => {
    const { fake, config } = await configured('rest');
    const hook = await configuredObjectHooks(config, silentLogger);
    expect(hook).toBeDefined();
    await hook!(
      write('spotify_listening_history/2024/01/15/spotify_tracks_20240115_143000_batch_3_abc123.json.gz'),
    );
    await hook!(
      write('spotify_episode_history/2024/01/15/spotify_episodes_20240115_100000_batch_1_def456.json.gz'),
    );
    await hook!(write('_probe/spotify-pipeline-probe-1.txt'));
    expect(fake.insertFiles).toEqual([
      {
        pipe: 'SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE',
        files: ['2024/01/15/spotify_tracks_20240115_143000_batch_3_abc123.json.gz'],
      },
      {
        pipe: 'SPOTIFY.LISTENING.SPOTIFY_EPISODES_PIPE',
        files: ['2024/01/15/spotify_episodes_20240115_100000_batch_1_def456.json.gz'],
      },
    ]);
    const posted = fake.requests.find((r) => r.path.includes('insertFiles'))!;
    expect(posted.claims?.sub).toBe('MYORG-LAKE.LOADER');
  });

  it('a failed call never fails the write: the path is queued and sent with the next object', async () => {
    const { fake, config } = await configured('rest');
    const hook = (await configuredObjectHooks(config, silentLogger))!;
    fake.insertFilesFailures = 10; // more than the client's retries
    await hook(
      write('spotify_listening_history/2024/01/15/spotify_tracks_20240115_143000_batch_3_aaa.json.gz'),
    );
    expect(fake.insertFiles).toHaveLength(0);
    expect((await readPending(new LocalStateStore(config.stateDir))).map((p) => p.path)).toEqual([
      '2024/01/15/spotify_tracks_20240115_143000_batch_3_aaa.json.gz',
    ]);
    fake.insertFilesFailures = 0;
    await hook(
      write('spotify_listening_history/2024/01/16/spotify_tracks_20240116_090000_batch_2_bbb.json.gz'),
    );
    expect(fake.insertFiles).toEqual([
      {
        pipe: 'SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE',
        files: [
          '2024/01/15/spotify_tracks_20240115_143000_batch_3_aaa.json.gz',
          '2024/01/16/spotify_tracks_20240116_090000_batch_2_bbb.json.gz',
        ],
      },
    ]);
    expect(await readPending(new LocalStateStore(config.stateDir))).toEqual([]);
  });

  it('auto mode registers no hook', async () => {
    const { config } = await configured('auto');
    expect(await configuredObjectHooks(config, silentLogger)).toBeUndefined();
  });
});

describe('`test` includes Snowflake when configured', () => {
  it('logs in and reads the pipe status', async () => {
    const { config, w } = await configured('auto');
    expect(CONNECTION_CHECKS).toContain(snowflakeCheck);
    const snow = await snowflakeCheck(config, silentLogger);
    expect(snow.map((r) => r.ok)).toEqual([true, true]);
    expect(snow[0]!.detail).toMatch(/LOADER.*LOADER_ROLE/);
    w.pipeState = 'STOPPED_STAGE_DROPPED';
    const again = (await snowflakeCheck(config, silentLogger)).filter((r) => r.name.startsWith('snowpipe'));
    expect(again[0]!.ok).toBe(false);
    expect(again[0]!.detail).toContain('STOPPED_STAGE_DROPPED');
  });

  it('adds nothing when SNOWFLAKE_ACCOUNT is not set', async () => {
    const root = await tempDir('nocheck');
    expect(await snowflakeCheck(loadConfig({ cwd: root, env: {} }), silentLogger)).toEqual([]);
  });
});
