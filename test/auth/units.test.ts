import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { accountStatus, formatAccountStatus } from '../../src/auth/account-status.js';
import { authorizeUrl, createPkcePair, LOGIN_SCOPES, parseRedirectUri } from '../../src/auth/authorize.js';
import { parsePastedCallback } from '../../src/auth/callback.js';
import { answersToEnv, intervalInMinutes } from '../../src/setup/answers.js';
import { describeChanges, planEnvChanges, quoteEnvValue, renderEnvFile } from '../../src/setup/env-file.js';
import type { StoredAccount } from '../../src/spotify/token-store.js';
import { createHash } from 'node:crypto';

describe('redirect URI rules', () => {
  it('accepts loopback IP literals and gives host, port and path', () => {
    expect(parseRedirectUri('http://127.0.0.1:8888/callback')).toMatchObject({
      host: '127.0.0.1',
      port: 8888,
      path: '/callback',
    });
    expect(parseRedirectUri('http://[::1]:9000/cb')).toMatchObject({ host: '::1', port: 9000, path: '/cb' });
  });
  it('refuses localhost, https hosts and non-URLs with the URI to register instead', () => {
    expect(() => parseRedirectUri('http://localhost:8888/callback')).toThrow(
      /SPOTIFY_REDIRECT_URI=http:\/\/127\.0\.0\.1:8888\/callback/,
    );
    expect(() => parseRedirectUri('https://example.com/cb')).toThrow(/not a loopback address/);
    expect(() => parseRedirectUri('nope')).toThrow(/not a URL/);
  });
});

describe('PKCE and the authorize URL', () => {
  it('makes an S256 challenge of a 43+ character verifier', () => {
    const { verifier, challenge } = createPkcePair();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
  });
  it('carries the challenge only for PKCE', () => {
    const base = {
      accountsBaseUrl: 'https://accounts.example',
      clientId: 'c',
      redirectUri: 'http://127.0.0.1:1/cb',
      state: 's',
    };
    expect(new URL(authorizeUrl(base)).searchParams.has('code_challenge')).toBe(false);
    const pkce = new URL(authorizeUrl({ ...base, codeChallenge: 'x' }));
    expect(pkce.origin + pkce.pathname).toBe('https://accounts.example/authorize');
    expect(Object.fromEntries(pkce.searchParams)).toMatchObject({
      response_type: 'code',
      code_challenge_method: 'S256',
      code_challenge: 'x',
      state: 's',
    });
  });
  it('parses a pasted callback address and refuses other paths', () => {
    expect(
      parsePastedCallback('http://127.0.0.1:8888/callback?code=a&state=b', '/callback').get('code'),
    ).toBe('a');
    expect(() => parsePastedCallback('http://127.0.0.1:8888/other?code=a', '/callback')).toThrow(
      /redirect path/,
    );
    expect(() => parsePastedCallback('code=a', '/callback')).toThrow(/not an address/);
  });
});

describe('account status', () => {
  const account = (authorized: string, known = true): StoredAccount => ({
    v: 1,
    user_id: 'u',
    display_name: 'U',
    refresh_token: 'r',
    access_token: 'a',
    access_token_expires_at: '2026-01-01T01:00:00.000Z',
    scopes: ['user-read-recently-played'],
    authorized_at: authorized,
    authorized_at_known: known,
    client_id: 'c',
    seed_sha256: null,
    updated_at: authorized,
  });
  const now = new Date('2026-01-01T00:00:00.000Z');
  it('is ok until 14 days before the 6-month expiry, then warns, then is expired', () => {
    expect(accountStatus(account('2025-12-01T00:00:00.000Z'), null, now)).toMatchObject({
      state: 'ok',
      refresh_token_age_days: 31,
      refresh_token_expires_at: '2026-06-01T00:00:00.000Z',
      access_token_valid: true,
      warning: null,
    });
    const soon = accountStatus(account('2025-07-10T00:00:00.000Z'), null, now);
    expect(soon).toMatchObject({ state: 'expiring', refresh_token_expires_in_days: 9 });
    expect(soon.warning).toContain('expires in 9 days');
    const dead = accountStatus(account('2025-06-01T00:00:00.000Z'), '2025-12-31T00:00:00.000Z', now);
    expect(dead.state).toBe('expired');
    expect(formatAccountStatus(dead)).toContain('WARNING: the refresh token expired on 2025-12-01');
  });
  it('says what a new login would add: the player scope for an account that logged in before it', () => {
    const old = accountStatus(account('2025-12-01T00:00:00.000Z'), null, now);
    expect(old.missing_scopes).toEqual(['user-read-currently-playing']);
    expect(formatAccountStatus(old)).toContain('a new `auth login` would add user-read-currently-playing');
    const both = { ...account('2025-12-01T00:00:00.000Z'), scopes: [...LOGIN_SCOPES] };
    expect(accountStatus(both, null, now).missing_scopes).toEqual([]);
    expect(formatAccountStatus(accountStatus(both, null, now))).not.toContain('would add');
  });
  it('says when the age is only a lower bound (seeded from SPOTIFY_REFRESH_TOKEN)', () => {
    const line = formatAccountStatus(accountStatus(account('2025-12-01T00:00:00.000Z', false), null, now));
    expect(line).toMatch(/\n {2}refresh token +at least 31 days old/);
    expect(line).toContain('estimated');
  });
});

describe('.env writing', () => {
  it('quotes values so dotenv reads them back unchanged', () => {
    for (const v of ['plain', './my data', 'a#b', "it's", 'say "hi"', 'x=y', 'http://h:1/p?q=1&r=2', '']) {
      expect(parseDotenv(`K=${quoteEnvValue(v)}\n`).K).toBe(v);
    }
  });
  it('rewrites changed keys in place, drops removed ones, appends new ones, keeps comments and others', () => {
    const text = '# mine\nA=1\nexport B=2\nC=3\n';
    const changes = planEnvChanges(parseDotenv(text), { A: '1', B: undefined, C: '4', D: 'new value' });
    expect(changes).toEqual([
      { key: 'B', before: '2', after: undefined },
      { key: 'C', before: '3', after: '4' },
      { key: 'D', before: undefined, after: 'new value' },
    ]);
    expect(renderEnvFile(text, changes)).toBe("# mine\nA=1\nC=4\nD='new value'\n");
    expect(describeChanges([{ key: 'SPOTIFY_CLIENT_SECRET', before: 'abcdefghij', after: 'zz' }])).toEqual([
      '~ SPOTIFY_CLIENT_SECRET: ****ghij -> ****',
    ]);
  });
  it('local storage removes the bucket settings (they would win), S3 leaves DATA_DIR alone', () => {
    const common = {
      clientId: 'c',
      redirectUri: 'http://127.0.0.1:8888/callback',
      dataDir: './data',
      intervalMinutes: '30',
    };
    // The interval takes run-continuous's units too, and is written in minutes.
    expect(answersToEnv({ ...common, storage: 'local', intervalMinutes: '1h' }).FETCH_INTERVAL_MINUTES).toBe(
      '60',
    );
    expect(intervalInMinutes('10m')).toBe('10');
    expect(intervalInMinutes('90s')).toBe('1.5');
    expect(intervalInMinutes(' 45 ')).toBe('45');
    expect(intervalInMinutes('0m')).toBeUndefined();
    expect(intervalInMinutes('10 minutes')).toBeUndefined();
    expect(answersToEnv({ ...common, storage: 'local' })).toMatchObject({
      S3_BUCKET_NAME: undefined,
      S3_ENDPOINT_URL: undefined,
      DATA_DIR: './data',
    });
    const s3 = answersToEnv({ ...common, storage: 's3', bucket: 'b', region: 'eu-west-1' });
    expect(s3).toMatchObject({ S3_BUCKET_NAME: 'b', AWS_REGION: 'eu-west-1', S3_ENDPOINT_URL: undefined });
    expect('DATA_DIR' in s3).toBe(false);
  });
});
