import { afterEach, describe, expect, it } from 'vitest';
import { loadPrivateKey, signJwt } from '../../src/snowflake/jwt.js';
import { FakeSnowflake } from './fake-snowflake.js';
import { accountOfHost } from './fake-sql-rules.js';
import { FakeWorld } from './fake-world.js';
import { tempDir, writeKeyPair } from './helpers.js';

/** The fake itself, checked against what Snowflake's SQL API reference says it does. */
const fakes: FakeSnowflake[] = [];
afterEach(async () => {
  while (fakes.length) await fakes.pop()!.stop();
});

async function start() {
  const dir = await tempDir('fake');
  const { file, publicKey } = await writeKeyPair(dir);
  const fake = new FakeSnowflake(publicKey, 'XY12345', 'LOADER');
  fakes.push(fake);
  const base = await fake.start();
  const { token } = signJwt({ account: 'xy12345', user: 'loader', key: loadPrivateKey(file) });
  const post = (query: string, body: Record<string, unknown>) =>
    fetch(`${base}/api/v2/statements?${query}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'X-Snowflake-Authorization-Token-Type': 'KEYPAIR_JWT',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(body),
    });
  return { fake, post };
}

const COPY = { statement: "COPY INTO t FROM @s FILES = ('a.json.gz')", timeout: 30 };

describe('fake SQL API', () => {
  it('a resubmitted requestId runs again without retry=true, and not with it', async () => {
    const { fake, post } = await start();
    fake.handler = () => ({ columns: ['file', 'status'], rows: [['a.json.gz', 'LOADED']] });
    const first = (await (await post('requestId=r1', COPY)).json()) as { data: unknown };
    expect(fake.statements).toHaveLength(1);
    await post('requestId=r1', COPY);
    expect(fake.statements).toHaveLength(2);
    const again = await post('requestId=r1&retry=true', COPY);
    expect(again.status).toBe(200);
    expect(fake.statements).toHaveLength(2);
    expect(((await again.json()) as { data: unknown }).data).toEqual(first.data);
  });

  it('a dropped connection after the statement ran: no answer, but the statement did run', async () => {
    const { fake, post } = await start();
    fake.faults = [{ drop: 'after' }, { drop: 'before' }];
    await expect(post('requestId=r2', COPY)).rejects.toThrow();
    expect(fake.statements).toHaveLength(1);
    await expect(post('requestId=r3', COPY)).rejects.toThrow();
    expect(fake.statements).toHaveLength(1);
  });

  it('busy answers carry Retry-After and run nothing', async () => {
    const { fake, post } = await start();
    fake.faults = [{ status: 429, retryAfter: '7' }, { status: 503 }];
    const busy = await post('requestId=r4', COPY);
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('7');
    expect((await post('requestId=r4', COPY)).status).toBe(503);
    expect(fake.statements).toHaveLength(0);
  });

  it('a statement that outlasts the request timeout answers 408 (cancelled) with code 000630', async () => {
    const { fake, post } = await start();
    fake.handler = () => ({ runSeconds: 45 });
    const res = await post('requestId=r5', COPY);
    expect(res.status).toBe(408);
    const body = (await res.json()) as { message: string };
    expect(body).toMatchObject({ code: '000630', sqlState: '57014' });
    expect(body.message).toMatch(/timeout of 30 second\(s\) and was canceled/);
  });
});

describe('fake COPY INTO ... FILES (FakeWorld)', () => {
  const files = ['2020/01/01/a.json.gz', '2020/01/02/b.json.gz', '2020/01/03/c.json.gz'];
  const copy = (onError?: string) =>
    `COPY INTO SPOTIFY.LISTENING.SPOTIFY_LISTENING_HISTORY\n  FROM @S\n  FILES = (${files.map((f) => `'${f}'`).join(', ')})${onError ? `\n  ON_ERROR = ${onError}` : ''}`;
  const world = () => {
    const w = new FakeWorld();
    for (const f of files) w.lake.set(f, { date: '2020-01-01', rows: 3 });
    w.bad.set(files[1]!, 'incomplete object value');
    return w;
  };

  it('without ON_ERROR (ABORT_STATEMENT, the bulk default) one bad file fails the statement and loads nothing', () => {
    const w = world();
    const answer = w.handle(copy(), {})!;
    expect(answer.error).toMatchObject({ code: '100069', sqlState: '22P02' });
    expect(answer.error!.message).toContain(`File '${files[1]}'`);
    expect(w.loaded.size).toBe(0);
  });

  it('ON_ERROR = SKIP_FILE: the bad file is LOAD_FAILED with its first error, the others load', () => {
    const w = world();
    const answer = w.handle(copy('SKIP_FILE'), {})!;
    const status = answer.rows!.map((r) => [r[0], r[1], r[3]]);
    expect(status).toEqual([
      [`s3://lake/spotify_listening_history/${files[0]}`, 'LOADED', '3'],
      [`s3://lake/spotify_listening_history/${files[1]}`, 'LOAD_FAILED', '0'],
      [`s3://lake/spotify_listening_history/${files[2]}`, 'LOADED', '3'],
    ]);
    expect([...w.loaded.keys()]).toEqual([files[0], files[2]]);
  });

  it('ON_ERROR = CONTINUE loads the good rows of a bad file (PARTIALLY_LOADED)', () => {
    const w = world();
    expect(w.handle(copy('CONTINUE'), {})!.rows![1]![1]).toBe('PARTIALLY_LOADED');
    expect(w.loaded.get(files[1]!)!.rows).toBe(2);
  });
});

describe('fake SYSTEM$PIPE_STATUS (FakeWorld)', () => {
  /** The keys Snowflake documents for SYSTEM$PIPE_STATUS (each "if applicable"). */
  const DOCUMENTED = new Set([
    'executionState',
    'oldestPendingFilePath',
    'oldestFileTimestamp',
    'pendingFileCount',
    'lastPipeErrorTimestamp',
    'lastPipeFaultTimestamp',
    'lastIngestedTimestamp',
    'lastIngestedFilePath',
    'notificationChannelName',
    'numOutstandingMessagesOnChannel',
    'lastReceivedMessageTimestamp',
    'lastForwardedMessageTimestamp',
    'error',
    'fault',
    'lastPulledFromChannelTimestamp',
    'lastForwardedFilePath',
  ]);
  const answer = (w: FakeWorld) => {
    const text = w.handle("SELECT SYSTEM$PIPE_STATUS('P') AS status")!.rows![0]![0]!;
    return JSON.parse(text) as Record<string, unknown>;
  };

  it('answers only documented keys; error and fault (with their timestamps) only once one happened', () => {
    const w = new FakeWorld();
    const healthy = answer(w);
    for (const k of Object.keys(healthy)) expect(DOCUMENTED.has(k)).toBe(true);
    expect(healthy).not.toHaveProperty('error');
    expect(healthy).not.toHaveProperty('lastPipeErrorMessage');
    w.pipeError = { error: 'boom', at: '2026-01-01T00:00:00Z' };
    w.pipeFault = { fault: 'internal', at: '2026-01-01T00:01:00Z' };
    const failing = answer(w);
    for (const k of Object.keys(failing)) expect(DOCUMENTED.has(k)).toBe(true);
    expect(failing).toMatchObject({
      error: 'boom',
      lastPipeErrorTimestamp: '2026-01-01T00:00:00Z',
      fault: 'internal',
      lastPipeFaultTimestamp: '2026-01-01T00:01:00Z',
    });
  });
});

describe('fake access control (FakeWorld.denied)', () => {
  it('refuses a statement with 003001 for the role that lacks the grant, not for another role', () => {
    const w = new FakeWorld();
    w.denied.push({ role: 'LOADER', sql: /^CREATE STORAGE INTEGRATION/, on: "account 'XY12345'" });
    const refused = w.handle('CREATE STORAGE INTEGRATION IF NOT EXISTS I', { role: 'LOADER' })!;
    expect(refused.error).toEqual({
      code: '003001',
      sqlState: '42501',
      message: "SQL access control error:\nInsufficient privileges to operate on account 'XY12345'",
    });
    expect(w.handle('CREATE STORAGE INTEGRATION IF NOT EXISTS I', { role: 'ADMIN' })).toBeUndefined();
  });
});

/** The account rules of fake-sql-rules.ts, each on its own (the pages are cited there). */
describe('fake account rules', () => {
  const statement = async (
    post: Awaited<ReturnType<typeof start>>['post'],
    body: Record<string, unknown>,
  ) => {
    const res = await post(`requestId=${Math.random()}`, { timeout: 30, ...body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('an unquoted reserved word as a column name is a syntax error (001003); quoted, it is a column', async () => {
    const { fake, post } = await start();
    for (const sql of [
      'CREATE TABLE IF NOT EXISTS D.S.T (\n  mood STRING,\n  order NUMBER(38,0)\n)',
      'ALTER TABLE D.S.T ADD COLUMN IF NOT EXISTS current_date DATE',
    ]) {
      const r = await statement(post, { statement: sql });
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ code: '001003', sqlState: '42000' });
      expect(String(r.body.message)).toMatch(
        /syntax error line \d+ at position \d+ unexpected '(order|current_date)'/,
      );
    }
    const quoted = await statement(post, {
      statement: 'CREATE TABLE IF NOT EXISTS D.S.T (\n  mood STRING,\n  "ORDER" NUMBER(38,0)\n)',
    });
    expect(quoted.status).toBe(200);
    expect(fake.statements).toHaveLength(3);
  });

  it('a multi-statement request stops at the first failing statement: its error is the answer, later ones never run', async () => {
    const { fake, post } = await start();
    fake.handler = (sql) =>
      /BROKEN/.test(sql)
        ? { error: { code: '002003', sqlState: '02000', message: 'does not exist' } }
        : undefined;
    const r = await statement(post, {
      statement: 'SELECT 1 FROM A; SELECT 2 FROM BROKEN; SELECT 3 FROM C',
      parameters: { MULTI_STATEMENT_COUNT: '3' },
      warehouse: 'WH',
    });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: '002003' });
    expect(fake.statements).toEqual(['SELECT 1 FROM A', 'SELECT 2 FROM BROKEN']);
  });

  it('no usable warehouse: 391920 for a query and for any multi-statement request; DDL runs without one', async () => {
    const { fake, post } = await start();
    fake.defaultWarehouse = undefined;
    fake.warehouseUsage = { LOADER_ROLE: ['LOAD_WH'] };
    const query = await statement(post, { statement: 'SELECT COUNT(*) FROM T', role: 'LOADER_ROLE' });
    expect(query.status).toBe(422);
    expect(query.body).toMatchObject({ code: '391920', sqlState: '57P03' });
    expect(String(query.body.message)).toMatch(/You must specify the warehouse to use/);
    // A warehouse the role may not use counts as none.
    const foreign = await statement(post, {
      statement: 'SELECT COUNT(*) FROM T',
      role: 'ADMIN',
      warehouse: 'LOAD_WH',
    });
    expect(foreign.body).toMatchObject({ code: '391920' });
    const many = await statement(post, {
      statement: 'SHOW PIPES; SHOW STAGES',
      parameters: { MULTI_STATEMENT_COUNT: '2' },
      role: 'ADMIN',
    });
    expect(many.body).toMatchObject({ code: '391920' });
    expect(
      (await statement(post, { statement: 'CREATE DATABASE IF NOT EXISTS D', role: 'ADMIN' })).status,
    ).toBe(200);
    expect(
      (
        await statement(post, {
          statement: 'SELECT COUNT(*) FROM T',
          role: 'LOADER_ROLE',
          warehouse: 'LOAD_WH',
        })
      ).status,
    ).toBe(200);
  });
});

describe('fake account hosts (Account identifiers)', () => {
  it.each([
    ['myorg-myaccount.snowflakecomputing.com', 'MYORG-MYACCOUNT'],
    ['myorg-myaccount.privatelink.snowflakecomputing.com', 'MYORG-MYACCOUNT'],
    ['xy12345.snowflakecomputing.com', 'XY12345'],
    ['xy12345.us-east-2.aws.snowflakecomputing.com', 'XY12345'],
    ['xy12345.fhplus.us-gov-west-1.aws.snowflakecomputing.com', 'XY12345'],
    ['xy12345.dod.us-gov-west-1.aws.snowflakecomputing.com', 'XY12345'],
    ['xy12345.cn-northwest-1.aws.snowflakecomputing.cn', 'XY12345'],
    ['xy12345.cn-northwest-1.snowflakecomputing.cn', 'XY12345'],
  ])('%s is an account host (%s)', (host, account) => {
    expect(accountOfHost(host)).toBe(account);
  });

  it.each([
    'xy12345.cn-northwest-1.aws.snowflakecomputing.com', // China lives on .cn
    'xy12345.us-east-2.aws.snowflakecomputing.cn',
    'xy12345.fhplus.snowflakecomputing.com',
    'xy12345.aws.snowflakecomputing.com',
    'xy12345.us-east-2.aws.extra.snowflakecomputing.com',
    'example.com',
  ])('%s is no account host', (host) => {
    expect(accountOfHost(host)).toBeUndefined();
  });
});

describe('fake account state (FakeWorld)', () => {
  it('dates follow DATE_OUTPUT_FORMAT unless formatted explicitly; a string compared with a date follows DATE_INPUT_FORMAT', () => {
    const w = new FakeWorld();
    w.loaded.set('2024/01/09/a.json.gz', { date: '2024-01-09', rows: 2 });
    w.dateOutputFormat = 'DD/MM/YYYY';
    w.dateInputFormat = 'DD/MM/YYYY';
    const bare = w.handle(
      "SELECT TO_VARCHAR(played_at_date) AS d FROM T WHERE played_at_date >= TO_DATE('2024-01-01', 'YYYY-MM-DD')",
    )!;
    expect(bare.rows![0]![0]).toBe('09/01/2024');
    const pinned = w.handle(
      "SELECT TO_VARCHAR(played_at_date, 'YYYY-MM-DD') AS d FROM T WHERE played_at_date >= TO_DATE('2024-01-01', 'YYYY-MM-DD')",
    )!;
    expect(pinned.rows![0]![0]).toBe('2024-01-09');
    const compared = w.handle(
      "SELECT TO_VARCHAR(played_at_date, 'YYYY-MM-DD') AS d FROM T WHERE played_at_date >= '2024-01-01'",
    )!;
    expect(compared.error).toMatchObject({ code: '100040' });
    w.dateInputFormat = 'AUTO';
    expect(
      w.handle("SELECT TO_VARCHAR(played_at_date, 'YYYY-MM-DD') FROM T WHERE played_at_date >= '2024-01-01'")!
        .error,
    ).toBeUndefined();
  });

  it('until the trust policy is attached, LIST, COPY and REFRESH fail with "Error assuming AWS_ROLE"', () => {
    const w = new FakeWorld();
    w.trustAttached = false;
    for (const sql of [
      'LIST @D.S.STAGE/0000/',
      "COPY INTO T FROM @S FILES = ('a')",
      "ALTER PIPE P REFRESH MODIFIED_AFTER = 'x'",
    ])
      expect(w.handle(sql)!.error!.message).toMatch(/Error assuming AWS_ROLE/);
    w.trustAttached = true;
    expect(w.handle('LIST @D.S.STAGE/0000/')).toMatchObject({ rows: [] });
  });

  it('SYSTEM$PIPE_STATUS of a pipe that is missing (or not visible) is refused with 002003', () => {
    const w = new FakeWorld();
    w.unreadablePipes.add('D.S.P');
    expect(w.handle("SELECT SYSTEM$PIPE_STATUS('D.S.P') AS status")!.error).toMatchObject({ code: '002003' });
    expect(w.handle("SELECT SYSTEM$PIPE_STATUS('D.S.Q') AS status")!.rows).toHaveLength(1);
  });

  it('DESC shows the integration and stages as CREATE and ALTER left them; CREATE … IF NOT EXISTS keeps an older one', () => {
    const w = new FakeWorld();
    w.handle(
      "CREATE STORAGE INTEGRATION IF NOT EXISTS I\n  STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::1:role/a'\n  STORAGE_ALLOWED_LOCATIONS = ('s3://b/p/', 's3://b/q/')",
    );
    const rows = (sql: string) =>
      Object.fromEntries(
        w.handle(sql)!.rows!.map((r) => [r.length === 5 ? r[1] : r[0], r.length === 5 ? r[3] : r[2]]),
      );
    expect(rows('DESC STORAGE INTEGRATION I')).toMatchObject({
      STORAGE_AWS_ROLE_ARN: 'arn:aws:iam::1:role/a',
      STORAGE_ALLOWED_LOCATIONS: 's3://b/p/,s3://b/q/',
    });
    w.handle("CREATE STAGE IF NOT EXISTS D.S.ST\n  URL = 's3://b/p/'\n  STORAGE_INTEGRATION = I");
    w.handle("CREATE STAGE IF NOT EXISTS D.S.ST\n  URL = 's3://other/'\n  STORAGE_INTEGRATION = I");
    expect(rows('DESC STAGE D.S.ST')).toMatchObject({ URL: '["s3://b/p/"]', STORAGE_INTEGRATION: 'I' });
    expect(w.handle('DESC STAGE D.S.NONE')!.error).toMatchObject({ code: '002003' });
  });
});
