import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { CustomField } from '../../src/custom-fields/field-rules.js';
import { ConfigError } from '../../src/errors.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import { silentLogger } from '../../src/log.js';
import { parseAccountIdentifier } from '../../src/snowflake/account.js';
import type { SetupSqlOptions } from '../../src/snowflake/ddl.js';
import { explainSnowflakeError } from '../../src/snowflake/errors.js';
import { runSnowflakeSetup } from '../../src/snowflake/run-setup.js';
import type { SnowflakeObjects } from '../../src/snowflake/settings.js';
import { applySetupSql, stageReadable } from '../../src/snowflake/setup-steps.js';
import { SnowflakeSqlClient } from '../../src/snowflake/sql-api.js';
import { formatStatus, gatherStatus } from '../../src/snowflake/status.js';
import { FakeSnowflake } from './fake-snowflake.js';
import { accountOfHost } from './fake-sql-rules.js';
import { FakeWorld } from './fake-world.js';
import { tempDir, TEST_OBJECTS, writeKeyPair } from './helpers.js';
import { writeLake } from './lake-fixture.js';
import { sampleRecords } from '../helpers/records.js';

const ROLES = { admin: 'SPOTIFY_ADMIN', owner: 'SPOTIFY_LOADER', monitor: 'SPOTIFY_MONITOR' };
const BASE: SnowflakeObjects = {
  ...TEST_OBJECTS,
  bucket: 'lake',
  roles: ROLES,
  user: 'LOADER',
  warehouse: 'LOAD_WH',
};
const RESERVED: CustomField[] = [
  { name: 'order', type: 'integer' },
  { name: 'start', type: 'string' },
  { name: 'values', type: 'json' },
  { name: 'group', type: 'string' },
  { name: 'current_date', type: 'date' },
];

const fakes: FakeSnowflake[] = [];
afterEach(async () => {
  while (fakes.length) await fakes.pop()!.stop();
});

/**
 * A strict account: the admin role has no warehouse (as roles.ts grants), the user has no default one, so a
 * statement that needs a warehouse without one is refused (391920), like every other rule of the fake.
 */
async function account(root: string, snowflakeAccount = 'xy12345', role = ROLES.monitor) {
  const { file, publicKey } = await writeKeyPair(root);
  const w = new FakeWorld();
  const parsed = parseAccountIdentifier(snowflakeAccount);
  const fake = new FakeSnowflake(publicKey, parsed.jwtAccount, 'LOADER', w.handle);
  fake.defaultWarehouse = undefined;
  fake.warehouseUsage = { [ROLES.owner]: ['LOAD_WH'], [ROLES.monitor]: ['LOAD_WH'] };
  fakes.push(fake);
  const client = new SnowflakeSqlClient(
    {
      account: parsed.identifier,
      user: 'loader',
      privateKeyPath: file,
      database: 'SPOTIFY',
      schema: 'LISTENING',
      baseUrl: await fake.start(),
      statementTimeoutSeconds: 30,
      warehouse: 'LOAD_WH',
      role,
    },
    silentLogger,
    { pollMs: 5 },
  );
  return { w, fake, client, host: parsed.host, jwtAccount: parsed.jwtAccount };
}

const CONFIGURATIONS: [
  name: string,
  objects: SnowflakeObjects,
  options: SetupSqlOptions,
  snowflakeAccount: string,
  expected: RegExp[],
][] = [
  ['default', BASE, {}, 'xy12345.us-east-2.aws', [/STORAGE_PROVIDER = 'S3'/, /URL = 's3:\/\/lake\//]],
  [
    'error integration',
    { ...BASE, errorIntegration: 'SPOTIFY_PIPE_ERRORS' },
    {},
    'myorg-myaccount',
    [/ERROR_INTEGRATION = SPOTIFY_PIPE_ERRORS/, /ALTER PIPE .* SET ERROR_INTEGRATION/],
  ],
  [
    'custom fields with reserved names',
    BASE,
    { customFields: RESERVED },
    'xy12345',
    [/"ORDER" +NUMBER\(38,0\)/, /ADD COLUMN IF NOT EXISTS "CURRENT_DATE" DATE/],
  ],
  [
    'China',
    { ...BASE, awsRoleArn: 'arn:aws-cn:iam::123456789012:role/snowflake-lake' },
    {},
    'https://xy12345.cn-northwest-1.snowflakecomputing.cn',
    [/STORAGE_PROVIDER = 'S3CHINA'/, /URL = 's3china:\/\/lake\//],
  ],
  [
    'GovCloud',
    { ...BASE, awsRoleArn: 'arn:aws-us-gov:iam::123456789012:role/snowflake-lake' },
    {},
    'xy12345.fhplus.us-gov-west-1.aws',
    [/STORAGE_PROVIDER = 'S3GOV'/, /URL = 's3gov:\/\/lake\//],
  ],
  ['REST mode', { ...BASE, mode: 'rest' }, {}, 'xy12345.dod.us-gov-west-1.aws', [/AUTO_INGEST = FALSE/]],
  [
    '--stage-credentials',
    BASE,
    { stageCredentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: "se'cr\\et" } },
    'xy12345.eu-central-1',
    [
      /CREDENTIALS = \(AWS_KEY_ID = 'AKIAEXAMPLE' AWS_SECRET_KEY = 'se''cr\\\\et'\)/,
      /ALTER STAGE .* SET CREDENTIALS/,
    ],
  ],
];

describe('the generated SQL of every configuration passes the strict fake account', () => {
  it.each(CONFIGURATIONS)('%s', async (_name, objects, options, snowflakeAccount, expected) => {
    const root = await tempDir('config');
    const { w, fake, client, host, jwtAccount } = await account(root, snowflakeAccount);
    // The host the account form gives is one Snowflake documents, on the right domain, for the JWT's account
    // (the fake checks the JWT's account on every request).
    expect(accountOfHost(host)).toBe(jwtAccount);

    await applySetupSql(client, objects, { ...options, customFields: options.customFields }, () => {});
    const sent = fake.statements.join('\n');
    for (const e of expected) expect(sent).toMatch(e);
    if (options.customFields)
      expect(w.tables.get('SPOTIFY_LISTENING_HISTORY')).toEqual(
        expect.arrayContaining(['ORDER', 'START', 'VALUES', 'GROUP', 'CURRENT_DATE']),
      );
    // Account-level DDL carries no warehouse (the admin role has none); the owner's queries do.
    const adminRuns = fake.statementRoles.map((r, i) => [r, fake.statementWarehouses[i]]);
    expect(adminRuns.filter(([r]) => r === ROLES.admin).every(([, wh]) => wh === undefined)).toBe(true);

    // A rerun converges: nothing differs, so nothing is altered or re-created.
    const before = fake.statements.length;
    const lines: string[] = [];
    await applySetupSql(client, objects, options, (l) => lines.push(l));
    const rerun = fake.statements.slice(before);
    expect(rerun.some((s) => s.startsWith('ALTER STORAGE INTEGRATION'))).toBe(false);
    expect(w.replaced).toEqual([]);
    if (!options.stageCredentials) {
      expect(lines).toContain(
        '✓ storage integration SPOTIFY_LAKE_INTEGRATION role and locations: as configured, unchanged',
      );
      expect(await stageReadable(client, objects)).toBe(true);
    }

    // status: the monitor role's queries pass too (explicit date formats, a warehouse for the multi-statement).
    const lake = await writeLake(root, sampleRecords(4, Date.now() - 86_400_000, 60_000), []);
    const config = loadConfig({ cwd: root, env: { DATA_DIR: root, STATE_DIR: path.join(root, 'state') } });
    const report = await gatherStatus(config, client, lake.store, objects, 3);
    expect(report.pipes.map((p) => p.executionState)).toEqual(['RUNNING', 'RUNNING']);
    if (objects.mode === 'rest')
      // insertReport keeps events for at most 10 minutes: the report says so rather than "recent".
      expect(formatStatus(report)).toMatch(
        /insertReport lists \d+ file\(s\) loaded or tried in the last 10 minutes/,
      );
  });
});

describe('setup as a user meets it', () => {
  it('DESC before ALTER: a rerun by an admin role without OWNERSHIP of the integration works when nothing changed', async () => {
    const root = await tempDir('owner');
    const { w, client } = await account(root);
    await applySetupSql(client, BASE, {}, () => {});
    w.denied.push({
      role: ROLES.admin,
      sql: /^ALTER STORAGE INTEGRATION/,
      on: "integration 'SPOTIFY_LAKE_INTEGRATION'",
    });
    await expect(applySetupSql(client, BASE, {}, () => {})).resolves.toBeUndefined();
    // A real change still needs (and asks for) the privilege.
    await expect(applySetupSql(client, { ...BASE, tracksPrefix: 'moved/' }, {}, () => {})).rejects.toThrow(
      /OWNERSHIP|Insufficient privileges/,
    );
  });

  it('a changed prefix converges: allowed locations altered, the stage re-created with its pipe', async () => {
    const root = await tempDir('moved');
    const { w, client } = await account(root);
    await applySetupSql(client, BASE, {}, () => {});
    const lines: string[] = [];
    await applySetupSql(client, { ...BASE, tracksPrefix: 'moved/' }, {}, (l) => lines.push(l));
    expect(w.integration!.allowed).toEqual(['s3://lake/moved/', 's3://lake/spotify_episode_history/']);
    expect(w.stages.get('SPOTIFY_TRACKS_STAGE')!.url).toBe('s3://lake/moved/');
    expect(w.replaced).toEqual([
      'CREATE OR REPLACE STAGE SPOTIFY.LISTENING.SPOTIFY_TRACKS_STAGE',
      'CREATE OR REPLACE PIPE SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE',
    ]);
    expect(
      lines.some((l) =>
        /^~ stage .*SPOTIFY_TRACKS_STAGE location.*URL s3:\/\/lake\/spotify_listening_history\/ → s3:\/\/lake\/moved\//.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  it('before the trust policy is attached, the bucket is not readable (and says so); after, it is', async () => {
    const root = await tempDir('trust');
    const { w, client } = await account(root);
    await applySetupSql(client, BASE, {}, () => {});
    w.trustAttached = false;
    expect(await stageReadable(client, BASE)).toBe(false);
    w.trustAttached = true;
    expect(await stageReadable(client, BASE)).toBe(true);
  });

  it('--stage-credentials refuses temporary credentials (AWS_SESSION_TOKEN): they would expire in the stages', async () => {
    const root = await tempDir('sts');
    const config = loadConfig({
      cwd: root,
      env: {
        S3_BUCKET_NAME: 'lake',
        SNOWFLAKE_ACCOUNT: 'xy12345',
        SNOWFLAKE_USER: 'loader',
        SNOWFLAKE_PRIVATE_KEY_PATH: 'k.p8',
        STATE_DIR: path.join(root, 'state'),
      },
    });
    const creds = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 's', sessionToken: 'token' };
    const run = runSnowflakeSetup(
      config,
      silentLogger,
      { loadExisting: false, notification: false, stageCredentials: creds },
      () => {},
    );
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toThrow(/AWS_SESSION_TOKEN.*temporary credentials.*expire/);
  });
});

describe('status as a user meets it', () => {
  it('a refused SYSTEM$PIPE_STATUS is that pipe’s problem; the other pipe and the reconciliation still come', async () => {
    const root = await tempDir('pipe');
    const { w, client } = await account(root);
    w.unreadablePipes.add('SPOTIFY.LISTENING.SPOTIFY_EPISODES_PIPE');
    const lake = await writeLake(root, sampleRecords(4, Date.now() - 86_400_000, 60_000), []);
    const config = loadConfig({ cwd: root, env: { DATA_DIR: root, STATE_DIR: path.join(root, 'state') } });
    const report = await gatherStatus(config, client, lake.store, BASE, 3);
    expect(report.pipes[0]!.problem).toBeNull();
    expect(report.pipes[1]!.problem).toMatch(
      /SYSTEM\$PIPE_STATUS was refused: the pipe does not exist .* or the role lacks MONITOR/,
    );
    expect(report.reconciliation.length).toBeGreaterThan(0);
    expect(report.ok).toBe(false);
  });

  it('days reconcile whatever DATE_OUTPUT_FORMAT and DATE_INPUT_FORMAT the account uses', async () => {
    const root = await tempDir('dates');
    const { w, client } = await account(root);
    w.dateOutputFormat = 'DD/MM/YYYY';
    w.dateInputFormat = 'DD/MM/YYYY';
    const now = Date.now();
    const lake = await writeLake(root, sampleRecords(3, now - 2 * 3_600_000, 60_000), []);
    const file = lake.objects.find((o) => o.key.startsWith(BASE.tracksPrefix))!;
    const rel = file.key.slice(BASE.tracksPrefix.length);
    w.loaded.set(rel, { date: file.key.split('/').slice(1, 4).join('-'), rows: 3 });
    const config = loadConfig({ cwd: root, env: { DATA_DIR: root, STATE_DIR: path.join(root, 'state') } });
    const report = await gatherStatus(config, client, new LocalObjectStore(root), BASE, 2, now);
    const day = report.reconciliation.find((d) => d.lake_plays > 0)!;
    expect(day.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(day).toMatchObject({ lake_plays: 3, table_rows: 3, ok: true });
  });
});

describe('errors as a user meets them', () => {
  it('391920 (no usable warehouse) names SNOWFLAKE_WAREHOUSE and the grant, exit 2', async () => {
    const root = await tempDir('wh');
    const { client } = await account(root, 'xy12345', 'SOME_ROLE');
    const err = await client.execute('SELECT COUNT(*) FROM T', 'counting').then(
      () => undefined,
      (e: unknown) => e as Error & { exitCode: number },
    );
    if (!err) throw new Error('the statement ran without a warehouse');
    expect(err.message).toMatch(/Snowflake error 391920/);
    expect(err.message).toMatch(
      /the warehouse LOAD_WH cannot be used: .*GRANT USAGE ON WAREHOUSE LOAD_WH TO ROLE SOME_ROLE/,
    );
    expect(err.exitCode).toBe(2);
  });

  it('Snowpipe REST 404/403 points at the default role (exit 1); the SQL API 404 at the account (exit 2)', () => {
    const ctx = {
      doing: 'telling a pipe',
      user: 'LOADER',
      needs: 'OPERATE on the pipe (GRANT OPERATE ON PIPE p TO ROLE <role>)',
    };
    const rest = explainSnowflakeError(
      { httpStatus: 404, code: '390404', message: 'Pipe not found' },
      { ...ctx, api: 'snowpipe' },
    );
    expect(rest.message).toMatch(/unknown to the user's DEFAULT_ROLE.*ALTER USER LOADER SET DEFAULT_ROLE/);
    expect(rest.message).toMatch(/GRANT OPERATE ON PIPE p TO ROLE <that role>/);
    expect(rest.exitCode).toBe(1);
    const forbidden = explainSnowflakeError(
      { httpStatus: 403, message: 'Pipe access permission denied' },
      { ...ctx, api: 'snowpipe' },
    );
    expect(forbidden.message).toMatch(/DEFAULT_ROLE/);
    const sql = explainSnowflakeError({ httpStatus: 404 }, { doing: 'logging in' });
    expect(sql.message).toMatch(/check SNOWFLAKE_ACCOUNT/);
    expect(sql.exitCode).toBe(2);
  });

  it('S3 "Access Denied" through the stage says to attach the permissions policy', () => {
    const err = explainSnowflakeError(
      {
        code: '091003',
        message:
          'Failure using stage area. Cause: [Access Denied (Status Code: 403; Error Code: AccessDenied)]',
      },
      { doing: 'checking' },
    );
    expect(err.message).toMatch(/attach the permissions policy .*s3:GetObject/);
  });

  it('"Error assuming AWS_ROLE" says to attach the trust policy and names the command to run next', () => {
    const err = explainSnowflakeError(
      {
        code: '091003',
        message:
          'Failure using stage area. Cause: [Error assuming AWS_ROLE. Please verify the role and externalId are configured correctly in your AWS policy.]',
      },
      { doing: 'copying' },
    );
    expect(err.message).toMatch(
      /attach the trust policy .*`spotify-pipeline snowflake setup --load-existing`/,
    );
  });
});
