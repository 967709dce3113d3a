import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { buildSetupStatements } from '../../src/snowflake/ddl.js';
import { SnowflakeError } from '../../src/snowflake/errors.js';
import { setupScript } from '../../src/snowflake/script.js';
import type { SnowflakeObjects } from '../../src/snowflake/settings.js';
import { applySetupSql } from '../../src/snowflake/setup-steps.js';
import { SnowflakeSqlClient } from '../../src/snowflake/sql-api.js';
import { FakeSnowflake } from './fake-snowflake.js';
import { FakeWorld } from './fake-world.js';
import { TEST_OBJECTS, tempDir, writeKeyPair } from './helpers.js';

const objects: SnowflakeObjects = {
  ...TEST_OBJECTS,
  user: 'LOADER',
  warehouse: 'LOAD_WH',
};

const fakes: FakeSnowflake[] = [];
afterEach(async () => {
  while (fakes.length) await fakes.pop()!.stop();
});

describe('snowflake sql: three roles with their grants', () => {
  const script = setupScript(objects, {});

  it('once as ACCOUNTADMIN: the roles, account privileges for the admin role only, warehouse, user, default role', () => {
    const first = script.slice(0, script.indexOf('USE ROLE SPOTIFY_ADMIN;'));
    expect(first).toContain('USE ROLE ACCOUNTADMIN;');
    for (const r of ['SPOTIFY_ADMIN', 'SPOTIFY_LOADER', 'SPOTIFY_MONITOR']) {
      expect(first).toContain(`CREATE ROLE IF NOT EXISTS ${r};`);
      expect(first).toContain(`GRANT ROLE ${r} TO ROLE SYSADMIN;`);
      expect(first).toContain(`GRANT ROLE ${r} TO USER LOADER;`);
    }
    expect(first).toContain('GRANT CREATE INTEGRATION ON ACCOUNT TO ROLE SPOTIFY_ADMIN;');
    expect(first).toContain('GRANT CREATE DATABASE ON ACCOUNT TO ROLE SPOTIFY_ADMIN;');
    expect(first).not.toMatch(/ON ACCOUNT TO ROLE SPOTIFY_(LOADER|MONITOR)/);
    expect(first).toContain('GRANT USAGE ON WAREHOUSE LOAD_WH TO ROLE SPOTIFY_LOADER;');
    expect(first).toContain('GRANT USAGE ON WAREHOUSE LOAD_WH TO ROLE SPOTIFY_MONITOR;');
    expect(first).toContain('ALTER USER LOADER SET DEFAULT_ROLE = SPOTIFY_LOADER;');
  });

  it('the admin role makes the database, schema and integration and grants the owner what it needs', () => {
    const admin = script.slice(
      script.indexOf('USE ROLE SPOTIFY_ADMIN;'),
      script.indexOf('USE ROLE SPOTIFY_LOADER;'),
    );
    expect(admin).toContain('CREATE DATABASE IF NOT EXISTS SPOTIFY;');
    expect(admin).toContain('CREATE STORAGE INTEGRATION IF NOT EXISTS SPOTIFY_LAKE_INTEGRATION');
    expect(admin).toContain('GRANT USAGE ON DATABASE SPOTIFY TO ROLE SPOTIFY_LOADER;');
    expect(admin).toContain(
      'GRANT USAGE, CREATE TABLE, CREATE FILE FORMAT, CREATE STAGE, CREATE PIPE, CREATE VIEW ON SCHEMA SPOTIFY.LISTENING TO ROLE SPOTIFY_LOADER;',
    );
    expect(admin).toContain('GRANT USAGE ON INTEGRATION SPOTIFY_LAKE_INTEGRATION TO ROLE SPOTIFY_LOADER;');
    expect(admin).toContain('GRANT USAGE ON DATABASE SPOTIFY TO ROLE SPOTIFY_MONITOR;');
    expect(admin).toContain('GRANT USAGE ON SCHEMA SPOTIFY.LISTENING TO ROLE SPOTIFY_MONITOR;');
    expect(admin).not.toMatch(/CREATE (TABLE|STAGE|PIPE) IF NOT EXISTS/);
  });

  it('the owner role creates the objects and gives the monitor role read-only access', () => {
    const owner = script.slice(script.indexOf('USE ROLE SPOTIFY_LOADER;'));
    expect(owner).toMatch(/CREATE TABLE IF NOT EXISTS SPOTIFY\.LISTENING\.SPOTIFY_LISTENING_HISTORY/);
    expect(owner).toMatch(/CREATE PIPE IF NOT EXISTS SPOTIFY\.LISTENING\.SPOTIFY_TRACKS_PIPE/);
    expect(owner).toContain(
      'GRANT SELECT ON TABLE SPOTIFY.LISTENING.SPOTIFY_LISTENING_HISTORY TO ROLE SPOTIFY_MONITOR;',
    );
    expect(owner).toContain(
      'GRANT MONITOR ON PIPE SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE TO ROLE SPOTIFY_MONITOR;',
    );
    expect(owner).toContain(
      'GRANT MONITOR ON PIPE SPOTIFY.LISTENING.SPOTIFY_EPISODES_PIPE TO ROLE SPOTIFY_MONITOR;',
    );
    // Nothing that writes or operates goes to the monitor role.
    expect(script).not.toMatch(/GRANT (INSERT|OPERATE|OWNERSHIP|CREATE)[^;]*TO ROLE SPOTIFY_MONITOR/);
  });

  it('a user name that is not a plain identifier is quoted', () => {
    expect(setupScript({ ...objects, user: 'ME@EXAMPLE.COM' }, {})).toContain(
      'GRANT ROLE SPOTIFY_LOADER TO USER "ME@EXAMPLE.COM";',
    );
  });

  it('configured role names are the ones printed', () => {
    const named = setupScript(
      { ...objects, roles: { admin: 'SF_ADMIN', owner: 'LOADER_ROLE', monitor: 'WATCHER' } },
      {},
    );
    expect(named).toContain('USE ROLE SF_ADMIN;');
    expect(named).toContain('GRANT MONITOR ON PIPE SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE TO ROLE WATCHER;');
    expect(named).not.toContain('SPOTIFY_ADMIN');
  });

  it('with one role configured, setup runs no grants at all (the role owns everything)', () => {
    const sql = buildSetupStatements({ ...objects, roles: { owner: 'LOADER_ROLE' } }).map((s) => s.sql);
    expect(sql.filter((s) => s.startsWith('GRANT'))).toEqual([]);
  });
});

async function fakeAccount(roles: SnowflakeObjects['roles']) {
  const root = await tempDir('roles');
  const { file, publicKey } = await writeKeyPair(root);
  const world = new FakeWorld();
  const fake = new FakeSnowflake(publicKey, 'XY12345', 'LOADER', world.handle);
  fakes.push(fake);
  const baseUrl = await fake.start();
  const client = new SnowflakeSqlClient(
    {
      account: 'xy12345',
      user: 'loader',
      privateKeyPath: file,
      role: roles.owner,
      database: 'SPOTIFY',
      schema: 'LISTENING',
      baseUrl,
      statementTimeoutSeconds: 30,
    },
    silentLogger,
    { pollMs: 5, maxRetries: 0 },
  );
  const o = { ...objects, roles };
  return { world, fake, client, o };
}

describe('snowflake setup uses the roles it is given', () => {
  it('account-level statements and grants under SNOWFLAKE_ADMIN_ROLE, the objects under SNOWFLAKE_ROLE', async () => {
    const { fake, client, o } = await fakeAccount({
      admin: 'SF_ADMIN',
      owner: 'LOADER_ROLE',
      monitor: 'WATCHER',
    });
    await applySetupSql(client, o, {}, () => {});
    const ran = fake.statements.map((sql, i) => [sql.split('\n')[0], fake.statementRoles[i]]);
    const roleOf = (prefix: string) => ran.filter(([s]) => s!.startsWith(prefix)).map(([, r]) => r);
    expect(roleOf('CREATE DATABASE')).toEqual(['SF_ADMIN']);
    expect(roleOf('CREATE STORAGE INTEGRATION')).toEqual(['SF_ADMIN']);
    expect(roleOf('GRANT USAGE ON INTEGRATION')).toEqual(['SF_ADMIN']);
    expect(roleOf('CREATE TABLE')).toEqual(['LOADER_ROLE', 'LOADER_ROLE']);
    expect(roleOf('CREATE PIPE')).toEqual(['LOADER_ROLE', 'LOADER_ROLE']);
    expect(roleOf('GRANT MONITOR ON PIPE')).toEqual(['LOADER_ROLE', 'LOADER_ROLE']);
    expect(fake.statementRoles).not.toContain('WATCHER');
    // The grants come before the objects the owner creates with them.
    const first = (p: string) => ran.findIndex(([s]) => s!.startsWith(p));
    expect(first('GRANT USAGE, CREATE TABLE')).toBeLessThan(first('CREATE TABLE'));
  });

  it.each([
    [
      'CREATE STAGE',
      /^CREATE STAGE/,
      "schema 'LISTENING'",
      /GRANT CREATE STAGE ON SCHEMA SPOTIFY\.LISTENING TO ROLE LOADER_ROLE;.*GRANT USAGE ON INTEGRATION SPOTIFY_LAKE_INTEGRATION TO ROLE LOADER_ROLE;/s,
    ],
    [
      'CREATE STORAGE INTEGRATION',
      /^CREATE STORAGE INTEGRATION/,
      "account 'XY12345'",
      /GRANT CREATE INTEGRATION ON ACCOUNT TO ROLE LOADER_ROLE; \(as ACCOUNTADMIN\) Or set SNOWFLAKE_ADMIN_ROLE/,
    ],
    [
      'CREATE PIPE',
      /^CREATE PIPE/,
      "schema 'LISTENING'",
      /GRANT CREATE PIPE ON SCHEMA SPOTIFY\.LISTENING TO ROLE LOADER_ROLE;/,
    ],
    [
      'CREATE DATABASE',
      /^CREATE DATABASE/,
      "account 'XY12345'",
      /GRANT CREATE DATABASE ON ACCOUNT TO ROLE LOADER_ROLE;/,
    ],
  ])(
    'a role without %s: the statement and the missing grant are named (exit 1)',
    async (_, sql, on, grant) => {
      const { world, client, o } = await fakeAccount({ owner: 'LOADER_ROLE' });
      world.denied.push({ role: 'LOADER_ROLE', sql, on });
      const err = (await applySetupSql(client, o, {}, () => {}).catch((e) => e)) as SnowflakeError;
      expect(err).toBeInstanceOf(SnowflakeError);
      expect(err.code).toBe('003001');
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/while running setup statement \d+\/\d+ \(/);
      expect(err.message).toMatch(/the role LOADER_ROLE lacks a grant this needs/);
      expect(err.message).toMatch(grant);
    },
  );
});
