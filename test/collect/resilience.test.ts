import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makePlays } from '../fakes/spotify-server.js';
import { listAllFiles, playIdentities } from '../helpers/lake.js';
import { collectorFixture, summaryOf } from './fixture.js';

let fx: Awaited<ReturnType<typeof collectorFixture>>;
afterEach(async () => fx?.close());

const END = new Date('2024-06-01T12:00:00.000Z');

describe('run-once against a misbehaving Spotify', () => {
  it('collects plays that show up late and out of order, each once', async () => {
    fx = await collectorFixture();
    const plays = makePlays(12, END);
    // Spotify lists a play late: the 6th play appears only after the newer ones were already collected.
    const late = plays.splice(5, 1);
    fx.spotify.addPlays('alice', plays);
    expect(summaryOf(await fx.run())).toMatchObject({ plays_new: 11 });
    fx.spotify.addPlays('alice', late);
    const second = summaryOf(await fx.run());
    expect(second).toMatchObject({ plays_new: 1, plays_already_present: 11 });
    const ids = playIdentities(await fx.lake());
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    // A lone `after` cursor would have skipped it: we re-read the page instead of asking for newer plays only.
    const rp = fx.spotify.requests.filter((r) => r.path === '/v1/me/player/recently-played');
    expect(rp.every((r) => r.query.after === undefined)).toBe(true);
  });

  it('waits as Retry-After says on 429 and reports it', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(3, END));
    fx.spotify.inject('GET /v1/me/player/recently-played', {
      status: 429,
      headers: { 'Retry-After': '1' },
      body: { error: { status: 429, message: 'API rate limit exceeded' } },
    });
    const started = Date.now();
    const result = await fx.run();
    expect(result.code, result.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(summaryOf(result)).toMatchObject({ plays_new: 3, rate_limited: 1, retries: 1 });
    expect(summaryOf(result).rate_limit_wait_ms).toBe(1000);
  });

  it('stops with a clear message instead of sleeping past the Retry-After cap, losing nothing', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(3, END));
    fx.spotify.inject('GET /v1/me/player/recently-played', {
      status: 429,
      headers: { 'Retry-After': '7200' },
      body: { error: { status: 429, message: 'API rate limit exceeded' } },
    });
    const result = await fx.run(['run-once'], { SPOTIFY_MAX_RETRY_AFTER_SECONDS: '60' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('asks to wait 7200 s');
    expect(result.stdout).toContain('SPOTIFY_MAX_RETRY_AFTER_SECONDS');
    expect(await fx.lake()).toHaveLength(0);
    expect(summaryOf(await fx.run())).toMatchObject({ plays_new: 3 });
  });

  it('retries 500 and 503 with backoff, then succeeds', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(4, END));
    fx.spotify.inject(
      'GET /v1/me/player/recently-played',
      { status: 500, body: { error: { status: 500, message: 'Internal Server Error' } } },
      { status: 503, raw: '<html>Service Unavailable</html>', headers: { 'content-type': 'text/html' } },
    );
    const result = await fx.run();
    expect(result.code, result.stderr).toBe(0);
    expect(summaryOf(result)).toMatchObject({ plays_new: 4, retries: 2 });
    expect(result.stderr).toContain('transient Spotify failure: retrying');
  });

  it('gives up after the configured retries with exit 1 and a message naming the endpoint', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(2, END));
    const failure = { status: 502, body: { error: { status: 502, message: 'Bad Gateway' } } };
    fx.spotify.inject('GET /v1/me/player/recently-played', failure, failure, failure);
    const result = await fx.run(['run-once'], { SPOTIFY_MAX_RETRIES: '2' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/recently-played kept failing with HTTP 502 after 3 attempts/);
    expect(await fx.lake()).toHaveLength(0);
  });

  it('refreshes an expired access token and carries on; stores a rotated refresh token (mode 0600)', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(2, END));
    expect((await fx.run()).code).toBe(0);
    const tokenFile = path.join(fx.stateDir, 'accounts', 'alice.json');
    const before = JSON.parse(await fs.readFile(tokenFile, 'utf8'));
    fx.spotify.rotateRefreshTokens = true;
    fx.spotify.expireAccessTokens(); // the stored token still looks valid for an hour: the API answers 401
    fx.spotify.addPlays('alice', makePlays(2, new Date(END.getTime() + 3_600_000), { firstTrack: 50 }));
    const result = await fx.run();
    expect(result.code, result.stderr).toBe(0);
    expect(summaryOf(result)).toMatchObject({ plays_new: 2 });
    const after = JSON.parse(await fs.readFile(tokenFile, 'utf8'));
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.refresh_token).toBe(fx.spotify.users.get('alice')!.refreshToken);
    expect((await fs.stat(tokenFile)).mode & 0o777).toBe(0o600);
    // The rotated token keeps working although SPOTIFY_REFRESH_TOKEN still holds the old, dead one.
    fx.spotify.expireAccessTokens();
    expect((await fx.run()).code).toBe(0);
  });

  it('exits 3 on invalid_grant, telling the user to log in again, and writes nothing', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(3, END));
    fx.spotify.revokeRefreshToken('alice');
    const result = await fx.run(['run-once']);
    expect(result.code).toBe(3);
    expect(result.stdout + result.stderr).toContain('spotify-pipeline auth login');
    expect(result.stdout + result.stderr).toContain('invalid_grant');
    expect(await listAllFiles(fx.dataDir)).toEqual([]);
  });

  it.each([
    ['a body that is not JSON', { status: 200, raw: '<html>oops</html>' }, /not JSON/],
    ['no items', { status: 200, body: { href: 'x', limit: 50 } }, /malformed response \(items/],
    [
      'wrong types',
      { status: 200, body: { items: [{ played_at: 12345, track: { id: 'x', name: 'y' } }] } },
      /malformed response \(items\.0\.played_at/,
    ],
  ])(
    'reports a malformed recently-played response (%s) naming the endpoint',
    async (_name, response, message) => {
      fx = await collectorFixture();
      fx.spotify.addPlays('alice', makePlays(2, END));
      fx.spotify.inject('GET /v1/me/player/recently-played', response);
      const result = await fx.run(['run-once']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/Spotify recently-played \(\/v1\/me\/player\/recently-played\)/);
      expect(result.stdout).toMatch(message);
      expect(await fx.lake()).toHaveLength(0);
      expect(summaryOf(await fx.run())).toMatchObject({ plays_new: 2 });
    },
  );

  it('warns about a possible gap when a full page shares nothing with what was seen', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(5, END));
    expect((await fx.run(['run-once'], { BATCH_SIZE: '10' })).code).toBe(0);
    fx.spotify.addPlays('alice', makePlays(15, new Date(END.getTime() + 86_400_000), { firstTrack: 200 }));
    const result = await fx.run(['run-once', '--json'], { BATCH_SIZE: '10' });
    expect(summaryOf(result)).toMatchObject({ plays_new: 10, possible_gaps: 1 });
    expect(result.stderr).toContain('possible gap');
    const text = await fx.run(['run-once'], { BATCH_SIZE: '10' });
    expect(text.stdout).toContain('0 possible gaps');
  });

  it('times out a hanging request and retries it', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(2, END));
    fx.spotify.inject('GET /v1/me/player/recently-played', {
      status: 200,
      body: { items: [] },
      delayMs: 2500,
    });
    const result = await fx.run(['run-once', '--json'], { SPOTIFY_HTTP_TIMEOUT_SECONDS: '1' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('timed out after 1000 ms');
    expect(summaryOf(result)).toMatchObject({ plays_new: 2, retries: 1 });
  });

  it('appends one line per run to the run history', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(2, END));
    await fx.run();
    fx.spotify.revokeRefreshToken('alice');
    fx.spotify.expireAccessTokens();
    await fx.run();
    const lines = (await fs.readFile(path.join(fx.stateDir, 'history', 'runs.jsonl'), 'utf8'))
      .trim()
      .split('\n');
    const runs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ command: 'run-once', outcome: 'ok', plays_new: 2, files_written: 1 });
    expect(runs[1]).toMatchObject({ command: 'run-once', outcome: 'auth_required', exit_code: 3 });
    expect(String(runs[1]!.error)).toContain('auth login');
  });
});
