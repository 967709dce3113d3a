import { afterEach, describe, expect, it } from 'vitest';
import { loadPrivateKey, signJwt } from '../../src/snowflake/jwt.js';
import { FakeSnowflake } from './fake-snowflake.js';
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
