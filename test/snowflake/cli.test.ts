import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/lake/s3-store.js';
import { FakeSnowflake } from './fake-snowflake.js';
import { FakeWorld, SQS_ARN } from './fake-world.js';
import { runCli } from '../helpers/cli.js';
import { NotificationS3Proxy, startS3rver, tempDir, writeKeyPair } from './helpers.js';
import { writeLake } from './lake-fixture.js';
import { sampleRecords } from '../helpers/records.js';

const ROLE = 'arn:aws:iam::123456789012:role/snowflake-lake';

describe('snowflake sql', () => {
  it('prints the whole setup from configuration', async () => {
    const cwd = await tempDir('cli-sql');
    const r = await runCli(['snowflake', 'sql'], {
      cwd,
      env: {
        S3_BUCKET_NAME: 'my-lake',
        SNOWFLAKE_AWS_ROLE_ARN: ROLE,
        SNOWFLAKE_DATABASE: 'music',
      },
      home: cwd,
      logLevel: 'warn',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CREATE TABLE IF NOT EXISTS MUSIC.LISTENING.SPOTIFY_LISTENING_HISTORY');
    expect(r.stdout).toContain("URL = 's3://my-lake/spotify_listening_history/'");
    expect(r.stdout).toContain('CREATE OR REPLACE VIEW MUSIC.LISTENING.TOP_ARTISTS_THIS_MONTH');
    expect(r.stderr).toBe('');
  });

  it('prints the three roles with their grants, under the configured names', async () => {
    const cwd = await tempDir('cli-roles');
    const r = await runCli(['snowflake', 'sql'], {
      cwd,
      env: {
        S3_BUCKET_NAME: 'my-lake',
        SNOWFLAKE_AWS_ROLE_ARN: ROLE,
        SNOWFLAKE_ADMIN_ROLE: 'sf_admin',
        SNOWFLAKE_ROLE: 'loader_role',
        SNOWFLAKE_MONITOR_ROLE: 'watcher',
        SNOWFLAKE_USER: 'loader',
        SNOWFLAKE_WAREHOUSE: 'load_wh',
      },
      home: cwd,
      logLevel: 'warn',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('USE ROLE ACCOUNTADMIN;');
    expect(r.stdout).toContain('GRANT CREATE INTEGRATION ON ACCOUNT TO ROLE SF_ADMIN;');
    expect(r.stdout).toContain('USE ROLE SF_ADMIN;');
    expect(r.stdout).toContain('USE ROLE LOADER_ROLE;');
    expect(r.stdout).toContain('GRANT ROLE WATCHER TO USER LOADER;');
    expect(r.stdout).toContain(
      'GRANT MONITOR ON PIPE SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE TO ROLE WATCHER;',
    );
  });

  it('--out writes the file; --stage-credentials warns and keeps the file private', async () => {
    const cwd = await tempDir('cli-out');
    const r = await runCli(['snowflake', 'sql', '--out', 'sql', '--stage-credentials'], {
      cwd,
      env: {
        S3_BUCKET_NAME: 'my-lake',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secretvalue',
      },
      home: cwd,
      logLevel: 'warn',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: --stage-credentials/);
    const file = path.join(cwd, 'sql', 'snowflake-setup.sql');
    expect(await fs.readFile(file, 'utf8')).toContain("AWS_KEY_ID = 'AKIAEXAMPLE'");
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('an invalid setting exits 2 naming the variable', async () => {
    const cwd = await tempDir('cli-bad');
    const r = await runCli(['snowflake', 'sql'], {
      cwd,
      env: { SNOWFLAKE_SCHEMA: 'x; DROP TABLE y' },
      home: cwd,
      logLevel: 'warn',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SNOWFLAKE_SCHEMA/);
  });
});

describe('snowflake setup and status against fakes on loopback', () => {
  let fake: FakeSnowflake;
  let world: FakeWorld;
  let proxy: NotificationS3Proxy;
  let stopS3: () => Promise<void>;
  let env: Record<string, string>;
  let cwd: string;
  let keys: string[];

  beforeAll(async () => {
    cwd = await tempDir('cli-setup');
    const s3 = await startS3rver(path.join(cwd, 's3'), 'lake');
    stopS3 = s3.stop;
    proxy = new NotificationS3Proxy(s3.url);
    const endpoint = await proxy.start();
    const { file, publicKey } = await writeKeyPair(cwd);
    world = new FakeWorld();
    fake = new FakeSnowflake(publicKey, 'XY12345', 'LOADER', world.handle);
    const baseUrl = await fake.start();
    env = {
      S3_BUCKET_NAME: 'lake',
      S3_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      SNOWFLAKE_ACCOUNT: 'xy12345.us-east-2.aws',
      SNOWFLAKE_USER: 'loader',
      SNOWFLAKE_PRIVATE_KEY_PATH: file,
      SNOWFLAKE_ROLE: 'loader_role',
      SNOWFLAKE_WAREHOUSE: 'load_wh',
      SNOWFLAKE_AWS_ROLE_ARN: ROLE,
      SNOWFLAKE_API_BASE_URL: baseUrl,
    };
    // A lake written by the project's writer, uploaded to the bucket.
    const local = await tempDir('cli-lake');
    const { objects } = await writeLake(
      local,
      sampleRecords(30, Date.now() - 3 * 86_400_000, 2 * 3_600_000),
      [],
    );
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    const store = await S3ObjectStore.open({
      bucket: 'lake',
      endpointUrl: endpoint,
      dataDir: local,
      prefix: 'spotify_listening_history/',
    });
    for (const o of objects) await store.putIfAbsent(o.key, o.body);
    keys = objects.map((o) => o.key);
  });
  afterAll(async () => {
    await fake.stop();
    await proxy.stop();
    await stopS3();
  });

  it('applies the SQL, prints the trust policy, sets the notification, hands existing files to the pipe', async () => {
    const r = await runCli(['snowflake', 'setup', '--load-existing', '--json'], {
      cwd,
      env,
      home: cwd,
      logLevel: 'warn',
    });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.trust.trustPolicy.Statement[0]).toEqual({
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::999988887777:user/abc1-s-v2st0000' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'XY12345_SFCRole=2_abcdefg=' } },
    });
    expect(out.load_existing).toMatchObject({
      files_in_lake: keys.length,
      refreshed: keys.length,
      copied: 0,
    });
    expect(fake.statements[0]).toBe('CREATE DATABASE IF NOT EXISTS SPOTIFY');
    expect(
      fake.statements.some((s) =>
        s.startsWith('CREATE PIPE IF NOT EXISTS SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE'),
      ),
    ).toBe(true);
    // Account-level DDL (the admin part) goes without a warehouse; the owner's statements carry it.
    expect(fake.requests[0]!.body).toMatchObject({ role: 'LOADER_ROLE' });
    expect(fake.requests[0]!.body).not.toHaveProperty('warehouse');
    const table = fake.requests.find((q) =>
      String(q.body?.statement ?? '').startsWith('CREATE TABLE IF NOT EXISTS'),
    );
    expect(table!.body).toMatchObject({ role: 'LOADER_ROLE', warehouse: 'LOAD_WH' });
    expect(proxy.notificationXml).toContain(SQS_ARN);
    expect(proxy.notificationXml).toContain('spotify_listening_history/');
    expect(proxy.notificationXml).toContain('.json.gz');
    expect(world.refreshes).toHaveLength(1);
  });

  it('is safe to run again: no second notification write', async () => {
    const puts = proxy.puts;
    const r = await runCli(['snowflake', 'setup'], { cwd, env, home: cwd, logLevel: 'warn' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bucket notification snowpipe-spotify-listening-history: unchanged/);
    expect(r.stdout).toContain('sts:AssumeRole');
    expect(proxy.puts).toBe(puts);
  });

  it('status --json reconciles the lake with the table', async () => {
    for (const k of keys.slice(1)) {
      const rel = k.slice('spotify_listening_history/'.length);
      const n = Number(/_batch_(\d+)_/.exec(k)![1]);
      world.loaded.set(rel, { date: `${rel.slice(0, 4)}-${rel.slice(5, 7)}-${rel.slice(8, 10)}`, rows: n });
    }
    const r = await runCli(['snowflake', 'status', '--json', '--days', '5'], {
      cwd,
      env,
      home: cwd,
      logLevel: 'warn',
    });
    const report = JSON.parse(r.stdout);
    const files = report.reconciliation.flatMap((d: { files: { key: string; state: string }[] }) => d.files);
    expect(files).toHaveLength(keys.length);
    // The first file is not in the table yet but was just written: pending, not missing.
    expect(files.find((f: { key: string }) => f.key === keys[0]).state).toBe('pending');
    expect(report.totals.lake_plays).toBe(30);
    expect(r.code).toBe(0);
    const text = await runCli(['snowflake', 'status'], { cwd, env, home: cwd, logLevel: 'warn' });
    expect(text.stdout).toMatch(/pipe SPOTIFY\.LISTENING\.SPOTIFY_TRACKS_PIPE: RUNNING/);
    expect(text.stdout).toContain(`pending: ${keys[0]}`);
  });

  it('status exits 1 and names the state when a pipe is not RUNNING, even with every file loaded', async () => {
    const loaded = new Map(world.loaded);
    for (const k of keys) {
      const rel = k.slice('spotify_listening_history/'.length);
      world.loaded.set(rel, {
        date: `${rel.slice(0, 4)}-${rel.slice(5, 7)}-${rel.slice(8, 10)}`,
        rows: Number(/_batch_(\d+)_/.exec(k)![1]),
      });
    }
    world.pipeState = 'STALLED_EXECUTION_ERROR';
    world.pipeError = { error: 'Number of columns in file does not match', at: '2026-11-24T05:00:00.000Z' };
    const r = await runCli(['snowflake', 'status'], { cwd, env, home: cwd, logLevel: 'warn' });
    world.pipeState = 'RUNNING';
    world.pipeError = undefined;
    world.loaded.clear();
    for (const [k, v] of loaded) world.loaded.set(k, v);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ pipe SPOTIFY\.LISTENING\.SPOTIFY_TRACKS_PIPE: STALLED_EXECUTION_ERROR/);
    expect(r.stdout).toContain('error (2026-11-24T05:00:00.000Z): Number of columns in file does not match');
    expect(r.stdout).toMatch(/NOT OK/);
  });

  it('status and test run under SNOWFLAKE_MONITOR_ROLE when it is set', async () => {
    const before = fake.requests.length;
    await runCli(['snowflake', 'status', '--json'], {
      cwd,
      env: { ...env, SNOWFLAKE_MONITOR_ROLE: 'watcher' },
      home: cwd,
      logLevel: 'warn',
    });
    const roles = fake.requests
      .slice(before)
      .filter((r) => r.method === 'POST')
      .map((r) => r.body?.role);
    expect(roles.length).toBeGreaterThan(0);
    expect(new Set(roles)).toEqual(new Set(['WATCHER']));
  });

  it('SNOWPIPE_MODE=rest: pipes without auto-ingest, no notification, the local insertFiles queue flushed', async () => {
    const state = path.join(cwd, 'rest-state');
    await fs.mkdir(path.join(state, 'snowflake'), { recursive: true });
    const queued = {
      pipe: 'SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE',
      path: '2024/01/15/spotify_tracks_20240115_143000_batch_3_abc.json.gz',
      key: 'x',
    };
    await fs.writeFile(
      path.join(state, 'snowflake', 'snowpipe-pending.json'),
      JSON.stringify({ v: 1, files: [queued] }),
    );
    const puts = proxy.puts;
    const before = fake.statements.length;
    const r = await runCli(['snowflake', 'setup'], {
      cwd,
      env: { ...env, SNOWPIPE_MODE: 'rest', STATE_DIR: state },
      home: cwd,
      logLevel: 'warn',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SNOWPIPE_MODE=rest/);
    expect(
      fake.statements
        .slice(before)
        .filter((s) => s.startsWith('CREATE PIPE'))
        .every((s) => s.includes('AUTO_INGEST = FALSE')),
    ).toBe(true);
    expect(proxy.puts).toBe(puts);
    expect(fake.insertFiles.at(-1)).toEqual({ pipe: queued.pipe, files: [queued.path] });
    const left = JSON.parse(
      await fs.readFile(path.join(state, 'snowflake', 'snowpipe-pending.json'), 'utf8'),
    );
    expect(left.files).toEqual([]);
  });

  it('refuses an overlapping notification rule with a clear message and exit 1', async () => {
    const saved = proxy.notificationXml;
    proxy.notificationXml =
      '<?xml version="1.0" encoding="UTF-8"?><NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><QueueConfiguration><Id>all-new-objects</Id><Queue>arn:aws:sqs:us-east-1:1:other</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>';
    const puts = proxy.puts;
    const r = await runCli(['snowflake', 'setup'], { cwd, env, home: cwd, logLevel: 'warn' });
    proxy.notificationXml = saved;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/queue rule "all-new-objects"/);
    expect(r.stderr).toMatch(/Nothing was changed/);
    expect(proxy.puts).toBe(puts);
  });

  it('a key Snowflake does not know: 390144 with the fix, exit 2; a missing key file: exit 2 naming the setting', async () => {
    const other = await writeKeyPair(await tempDir('cli-otherkey'));
    const r = await runCli(['snowflake', 'status'], {
      cwd,
      env: { ...env, SNOWFLAKE_PRIVATE_KEY_PATH: other.file },
      home: cwd,
      logLevel: 'warn',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/390144/);
    expect(r.stderr).toMatch(/RSA_PUBLIC_KEY/);
    const missing = await runCli(['snowflake', 'setup'], {
      cwd,
      env: {
        ...env,
        SNOWFLAKE_PRIVATE_KEY_PATH: path.join(cwd, 'nope.p8'),
      },
      home: cwd,
      logLevel: 'warn',
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/SNOWFLAKE_PRIVATE_KEY_PATH/);
  });

  it('no usable warehouse: the code and the fix, exit 2', async () => {
    const saved = fake.handler;
    fake.handler = (sql, ctx) =>
      /PIPE_STATUS/.test(sql)
        ? {
            error: {
              code: '000606',
              sqlState: '57P03',
              message:
                "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command.",
            },
          }
        : saved(sql, ctx);
    const r = await runCli(['snowflake', 'status'], { cwd, env, home: cwd, logLevel: 'warn' });
    fake.handler = saved;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/000606/);
    expect(r.stderr).toMatch(/GRANT USAGE ON WAREHOUSE LOAD_WH/);
  });

  it('before the trust policy is attached, setup --load-existing prints it, stops with the exact next command (exit 1) and reads nothing; then the rerun loads', async () => {
    world.trustAttached = false;
    const before = fake.statements.length;
    const first = await runCli(['snowflake', 'setup', '--load-existing'], {
      cwd,
      env,
      home: cwd,
      logLevel: 'warn',
    });
    world.trustAttached = true;
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(
      /Attach this trust policy to arn:aws:iam::123456789012:role\/snowflake-lake/,
    );
    expect(first.stdout).toMatch(
      /Next: Snowflake cannot read the bucket through arn:aws:iam::123456789012:role\/snowflake-lake yet\. Attach the trust policy and the permissions policy above to that role, wait a minute for IAM, then run:\n {2}spotify-pipeline snowflake setup --load-existing\n/,
    );
    expect(first.stdout).toMatch(/load-existing: not started/);
    const sent = fake.statements.slice(before);
    expect(sent.some((q) => /^(COPY INTO|ALTER PIPE .* REFRESH)/.test(q))).toBe(false);
    const again = await runCli(['snowflake', 'setup', '--load-existing'], {
      cwd,
      env,
      home: cwd,
      logLevel: 'warn',
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/✓ Snowflake reads the bucket through the storage integration/);
    expect(again.stdout).toMatch(/load-existing: \d+ file\(s\) in the lake/);
  });

  it.each([
    'xy12345.fhplus.us-gov-west-1.aws',
    'xy12345.dod.us-gov-west-1.aws',
    'https://xy12345.cn-northwest-1.snowflakecomputing.cn',
    'xy12345.cn-northwest-1.aws',
  ])(
    'snowflake status, sql and test accept SNOWFLAKE_ACCOUNT=%s (the JWT account is the locator)',
    async (account) => {
      const before = fake.requests.length;
      const r = await runCli(['snowflake', 'status', '--json'], {
        cwd,
        env: { ...env, SNOWFLAKE_ACCOUNT: account },
        home: cwd,
        logLevel: 'warn',
      });
      expect(r.stderr).not.toMatch(/SNOWFLAKE_ACCOUNT/);
      expect([0, 1]).toContain(r.code);
      const posts = fake.requests.slice(before).filter((q) => q.method === 'POST');
      expect(posts.length).toBeGreaterThan(0);
      // The fake verified each JWT: every request was answered as the account XY12345.
      expect(posts.every((q) => q.claims?.sub === 'XY12345.LOADER')).toBe(true);
      expect(
        (
          await runCli(['snowflake', 'sql'], {
            cwd,
            env: { ...env, SNOWFLAKE_ACCOUNT: account },
            home: cwd,
            logLevel: 'warn',
          })
        ).code,
      ).toBe(0);
      const check = await runCli(['test'], {
        cwd,
        env: { ...env, SNOWFLAKE_ACCOUNT: account },
        home: cwd,
        logLevel: 'warn',
      });
      expect(check.stdout + check.stderr).toMatch(/snowflake \(.*\).*logged in as LOADER/);
    },
  );
});
