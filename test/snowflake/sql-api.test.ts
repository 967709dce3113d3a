import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { jwtAccount, loadPrivateKey, publicKeyFingerprint, signJwt } from '../../src/snowflake/jwt.js';
import type { SnowflakeConnection } from '../../src/snowflake/settings.js';
import { rowObjects, SnowflakeSqlClient } from '../../src/snowflake/sql-api.js';
import { SnowflakeError } from '../../src/snowflake/errors.js';
import { FakeSnowflake, type Fault } from './fake-snowflake.js';
import { tempDir, writeKeyPair } from './helpers.js';

const fakes: FakeSnowflake[] = [];
afterEach(async () => {
  while (fakes.length) await fakes.pop()!.stop();
});

async function setup(options: { passphrase?: string; account?: string } = {}) {
  const dir = await tempDir('sqlapi');
  const { file, publicKey } = await writeKeyPair(dir, options.passphrase);
  const fake = new FakeSnowflake(publicKey, 'XY12345', 'LOADER');
  fakes.push(fake);
  const baseUrl = await fake.start();
  const conn: SnowflakeConnection = {
    account: options.account ?? 'xy12345.us-east-2.aws',
    user: 'loader',
    privateKeyPath: file,
    passphrase: options.passphrase,
    role: 'LOADER_ROLE',
    warehouse: 'LOAD_WH',
    database: 'SPOTIFY',
    schema: 'LISTENING',
    baseUrl,
    statementTimeoutSeconds: 30,
  };
  return {
    fake,
    conn,
    file,
    publicKey,
    client: new SnowflakeSqlClient(conn, silentLogger, { pollMs: 5, maxRetries: 1 }),
  };
}

describe('key-pair JWT', () => {
  it('account part: upper case, locator region dropped, org.account dot turned into a hyphen', () => {
    expect(jwtAccount('xy12345.us-east-2.aws')).toBe('XY12345');
    expect(jwtAccount('xy12345')).toBe('XY12345');
    expect(jwtAccount('myorg-myaccount')).toBe('MYORG-MYACCOUNT');
    expect(jwtAccount('myorg.myaccount')).toBe('MYORG-MYACCOUNT');
    expect(jwtAccount('xy12345.eu-central-1.snowflakecomputing.com')).toBe('XY12345');
  });

  it('claims: iss with the SHA-256 fingerprint of the public key, sub, at most one hour', async () => {
    const { fake, file } = await setup();
    const key = loadPrivateKey(file);
    const { token, claims } = signJwt({
      account: 'xy12345.us-east-2.aws',
      user: 'loader',
      key,
      nowSeconds: 1_700_000_000,
    });
    expect(claims.sub).toBe('XY12345.LOADER');
    expect(claims.iss).toBe(`XY12345.LOADER.${fake.fingerprint()}`);
    expect(publicKeyFingerprint(key)).toBe(fake.fingerprint());
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(3600);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
  });

  it('reads an encrypted key with its passphrase and names the setting when it is wrong or missing', async () => {
    const dir = await tempDir('enc');
    const { file } = await writeKeyPair(dir, 'correct horse');
    expect(loadPrivateKey(file, 'correct horse').asymmetricKeyType).toBe('rsa');
    expect(() => loadPrivateKey(file, 'wrong')).toThrow(/SNOWFLAKE_PRIVATE_KEY_PASSPHRASE/);
    expect(() => loadPrivateKey(file)).toThrow(/SNOWFLAKE_PRIVATE_KEY_PASSPHRASE/);
    expect(() => loadPrivateKey(`${dir}/nope.p8`)).toThrow(/SNOWFLAKE_PRIVATE_KEY_PATH/);
    // And it is the same key as the unencrypted one would be.
    const pem = readFileSync(file, 'utf8');
    expect(createPrivateKey({ key: pem, passphrase: 'correct horse' }).asymmetricKeyType).toBe('rsa');
  });
});

describe('SQL API client against the fake', () => {
  it('runs a statement with the JWT headers, database, schema, role and warehouse', async () => {
    const { fake, client } = await setup();
    fake.handler = (sql) =>
      /CURRENT_USER/.test(sql) ? { columns: ['U', 'R'], rows: [['LOADER', 'LOADER_ROLE']] } : undefined;
    const result = await client.execute('SELECT CURRENT_USER() AS u, CURRENT_ROLE() AS r');
    expect(rowObjects(result)).toEqual([{ u: 'LOADER', r: 'LOADER_ROLE' }]);
    const req = fake.requests[0]!;
    expect(req.claims?.sub).toBe('XY12345.LOADER');
    expect(req.body).toMatchObject({
      database: 'SPOTIFY',
      schema: 'LISTENING',
      role: 'LOADER_ROLE',
      warehouse: 'LOAD_WH',
      parameters: { MULTI_STATEMENT_COUNT: '1' },
    });
  });

  it('follows a 202 answer by polling until the result is ready', async () => {
    const { fake, client } = await setup();
    fake.handler = () => ({ columns: ['N'], rows: [['42']], asyncPolls: 3 });
    const result = await client.execute('SELECT 42 AS n');
    expect(result.rows).toEqual([['42']]);
    // The POST answered 202 (three 202 answers in all), then polls until the 200.
    expect(fake.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it('collects every partition of a large result', async () => {
    const { fake, client } = await setup();
    fake.partitionSize = 2;
    fake.handler = () => ({ columns: ['N'], rows: [['1'], ['2'], ['3'], ['4'], ['5']] });
    const result = await client.execute('SELECT n FROM t');
    expect(result.rows.map((r) => r[0])).toEqual(['1', '2', '3', '4', '5']);
  });

  it('runs several statements in one request and returns each result through its handle', async () => {
    const { fake, client } = await setup();
    fake.handler = (sql) => ({
      columns: ['X'],
      rows: [[sql.replace(/^SELECT /, '')]],
      asyncPolls: sql.includes("'b'") ? 1 : 0,
    });
    const results = await client.executeMany(["SELECT 'a'", "SELECT 'b'", "SELECT 'c'"]);
    expect(results.map((r) => r.rows[0]![0])).toEqual(["'a'", "'b'", "'c'"]);
    expect(fake.requests[0]!.body).toMatchObject({ parameters: { MULTI_STATEMENT_COUNT: '3' } });
  });

  it('turns a 422 into a message with the code and the fix (missing privilege, exit 1)', async () => {
    const { fake, client } = await setup();
    fake.handler = () => ({
      error: {
        code: '003001',
        sqlState: '42501',
        message: "SQL access control error:\nInsufficient privileges to operate on integration 'X'",
      },
    });
    const err = (await client
      .execute('CREATE STORAGE INTEGRATION X', 'creating X')
      .catch((e) => e)) as SnowflakeError;
    expect(err).toBeInstanceOf(SnowflakeError);
    expect(err.code).toBe('003001');
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/003001.*creating X/s);
    expect(err.message).toMatch(/Fix: .*grant/);
  });

  it.each([
    [
      '000606',
      '57P03',
      'No active warehouse selected in the current session.',
      /SNOWFLAKE_WAREHOUSE|GRANT USAGE ON WAREHOUSE/,
      2,
    ],
    [
      '090073',
      '22000',
      "Warehouse 'LOAD_WH' cannot be resumed because resource monitor 'RM' has exceeded its quota.",
      /RESUME/,
      1,
    ],
    [
      '002003',
      '02000',
      "SQL compilation error:\nPipe 'SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE' does not exist or not authorized.",
      /snowflake setup/,
      1,
    ],
  ])('explains Snowflake error %s', async (code, sqlState, message, fix, exit) => {
    const { fake, client } = await setup();
    fake.handler = () => ({ error: { code, sqlState, message } });
    const err = (await client.execute('SELECT 1').catch((e) => e)) as SnowflakeError;
    expect(err.message).toContain(code);
    expect(err.message).toMatch(fix);
    expect(err.exitCode).toBe(exit);
  });

  it('a key the user does not have registered is refused with 390144 and the ALTER USER fix (exit 2)', async () => {
    const { conn } = await setup();
    const other = await tempDir('other');
    const { file } = await writeKeyPair(other);
    const client = new SnowflakeSqlClient({ ...conn, privateKeyPath: file }, silentLogger, { maxRetries: 0 });
    const err = (await client.execute('SELECT 1').catch((e) => e)) as SnowflakeError;
    expect(err.code).toBe('390144');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/ALTER USER loader SET RSA_PUBLIC_KEY/);
  });

  it('a wrong account (JWT for another account) is refused too', async () => {
    const { conn } = await setup();
    const client = new SnowflakeSqlClient({ ...conn, account: 'ab99999' }, silentLogger, { maxRetries: 0 });
    const err = (await client.execute('SELECT 1').catch((e) => e)) as SnowflakeError;
    expect(err.code).toBe('390144');
    expect(err.message).toMatch(/SNOWFLAKE_ACCOUNT/);
  });

  it('an unreachable host is a network error naming the account setting', async () => {
    const { conn } = await setup();
    const client = new SnowflakeSqlClient({ ...conn, baseUrl: 'http://127.0.0.1:9' }, silentLogger, {
      maxRetries: 0,
    });
    const err = (await client.execute('SELECT 1').catch((e) => e)) as SnowflakeError;
    expect(err.message).toMatch(/Cannot reach Snowflake/);
  });
});

describe('re-sent requests (Snowflake: same requestId AND retry=true, or the statement can run twice)', () => {
  async function retrying(faults: Fault[]) {
    const { fake, conn } = await setup();
    const delays: number[] = [];
    const client = new SnowflakeSqlClient(conn, silentLogger, {
      pollMs: 5,
      retry: { maxRetries: 4, requestTimeoutMs: 400, sleep: async (ms) => delays.push(ms) },
    });
    fake.handler = (sql) =>
      /^COPY/.test(sql) ? { columns: ['file', 'status'], rows: [['a.json.gz', 'LOADED']] } : undefined;
    fake.faults = [...faults];
    const posts = () => fake.requests.filter((r) => r.method === 'POST');
    return { fake, client, delays, posts };
  }
  const COPY = "COPY INTO t FROM @s FILES = ('a.json.gz')";

  it.each<[string, Fault[]]>([
    ['429 Too Many Requests', [{ status: 429 }]],
    ['500', [{ status: 500 }]],
    ['502', [{ status: 502 }]],
    ['503', [{ status: 503 }]],
    ['504', [{ status: 504 }]],
    ['a connection dropped before Snowflake ran it', [{ drop: 'before' }]],
    ['a connection dropped after Snowflake ran it', [{ drop: 'after' }]],
    ['a client timeout after Snowflake ran it', [{ hang: 'after' }]],
    ['all of them in a row', [{ drop: 'after' }, { status: 503 }, { hang: 'after' }, { status: 429 }]],
  ])(
    '%s: every re-sent POST has the same requestId and retry=true; the COPY runs once',
    async (_, faults) => {
      const { fake, client, posts } = await retrying(faults);
      const result = await client.execute(COPY, 'copying');
      expect(rowObjects(result)).toEqual([{ file: 'a.json.gz', status: 'LOADED' }]);
      expect(fake.statements.filter((s) => s.startsWith('COPY'))).toHaveLength(1);
      const urls = posts().map((r) => new URL(r.path, 'http://x').searchParams);
      expect(urls).toHaveLength(faults.length + 1);
      const ids = new Set(urls.map((u) => u.get('requestId')));
      expect(ids.size).toBe(1);
      expect([...ids][0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(urls[0]!.get('retry')).toBeNull();
      for (const u of urls.slice(1)) expect(u.get('retry')).toBe('true');
    },
  );

  it('Retry-After (seconds) is waited for; without it the backoff doubles', async () => {
    const { client, delays } = await retrying([
      { status: 429, retryAfter: '3' },
      { status: 503 },
      { status: 503 },
    ]);
    await client.execute(COPY);
    expect(delays).toEqual([3000, 400, 800]);
  });

  it('two submissions get two requestIds (a new statement is not mistaken for a retry)', async () => {
    const { fake, client, posts } = await retrying([]);
    await client.execute(COPY);
    await client.execute(COPY);
    expect(fake.statements).toHaveLength(2);
    expect(new Set(posts().map((r) => new URL(r.path, 'http://x').searchParams.get('requestId'))).size).toBe(
      2,
    );
  });

  it('when the retries are spent the error says Snowflake could not be reached (exit 1)', async () => {
    const { client } = await retrying(Array.from({ length: 5 }, () => ({ drop: 'before' as const })));
    const err = (await client.execute(COPY, 'copying').catch((e) => e)) as SnowflakeError;
    expect(err).toBeInstanceOf(SnowflakeError);
    expect(err.message).toMatch(/Cannot reach Snowflake while copying/);
    expect(err.exitCode).toBe(1);
  });

  it('408: the statement timed out and was cancelled; not re-sent; the message names SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS', async () => {
    const { fake, client, posts } = await retrying([]);
    fake.handler = () => ({ runSeconds: 31 });
    const err = (await client.execute(COPY, 'copying 3 files').catch((e) => e)) as SnowflakeError;
    expect(posts()).toHaveLength(1);
    expect(err).toBeInstanceOf(SnowflakeError);
    expect(err.code).toBe('000630');
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/while copying 3 files/);
    expect(err.message).toMatch(
      /ran longer than its timeout \(SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS=30\) and Snowflake cancelled it/,
    );
    expect(err.message).toMatch(/Raise SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS \(for example to 120\)/);
  });
});
