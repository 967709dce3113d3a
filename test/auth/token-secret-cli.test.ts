/**
 * The built CLI with its Spotify tokens in AWS Secrets Manager (SPOTIFY_TOKEN_SECRET_ID), as on a container
 * with no disk: every run in a fresh, empty working directory and STATE_DIR, only environment variables.
 * Spotify (the fake) rotates the refresh token on every refresh and kills the old one, so a run that works
 * proves it used the token the run before it wrote back.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { printedPolicy } from '../aws/printed-policy.js';
import { FakeSecretsManager, secretsManagerEnv } from '../fakes/secrets-manager.js';
import { FakeSpotify, makePlays, type FakeUser } from '../fakes/spotify-server.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { authFixture } from './fixture.js';

const SECRET = 'prod/spotify-pipeline/tokens';

let spotify: FakeSpotify;
let secrets: FakeSecretsManager;
let user: FakeUser;
let dataDir: string;

beforeEach(async () => {
  spotify = await FakeSpotify.start();
  spotify.rotateRefreshTokens = true;
  user = spotify.addUser('alice');
  secrets = new FakeSecretsManager();
  await secrets.start();
  // The lake outlives the containers (it would be S3); the state and the working directory do not.
  dataDir = path.join(await tempDir('spp-lake-'), 'data');
});
afterEach(async () => {
  await spotify?.close();
  await secrets?.close();
});

function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    SPOTIFY_CLIENT_ID: spotify.clientId,
    SPOTIFY_CLIENT_SECRET: spotify.clientSecret ?? undefined,
    SPOTIFY_API_BASE_URL: spotify.apiBaseUrl,
    SPOTIFY_ACCOUNTS_BASE_URL: spotify.accountsBaseUrl,
    SPOTIFY_TOKEN_SECRET_ID: SECRET,
    DATA_DIR: dataDir,
    ...secretsManagerEnv(secrets.endpoint),
    ...extra,
  };
}

/** One run as a fresh container: a new empty working directory (so a new empty STATE_DIR). */
async function freshRun(
  args: string[],
  extra: Record<string, string> = {},
): Promise<CliResult & { cwd: string }> {
  const cwd = await tempDir('spp-container-');
  // The fake answers as Secrets Manager would to a role with the policy `iam policy` prints.
  // (None for a configuration `iam policy` refuses as well: that run stops before any call.)
  secrets.enforce(await printedPolicy(env(extra), ['--account-id', '123456789012']).catch(() => undefined));
  const result = await runCli(args, { cwd, env: env(extra) });
  return { ...result, cwd };
}

const currentDoc = () =>
  JSON.parse(secrets.version(SECRET)!.secretString!) as {
    v: number;
    accounts: Record<string, { refresh_token: string; access_token: string | null }>;
  };

function expectNoToken(result: CliResult, ...tokens: string[]) {
  for (const t of tokens) {
    expect(result.stdout).not.toContain(t);
    expect(result.stderr).not.toContain(t);
  }
}

describe('tokens in AWS Secrets Manager, stateless runs', () => {
  it('run-once seeds from a pasted token, writes the rotation back, and the next fresh container uses it', async () => {
    const pasted = user.refreshToken;
    secrets.create(SECRET, pasted);
    spotify.addPlays('alice', makePlays(5, new Date('2026-11-01T10:00:00.000Z')));

    const first = await freshRun(['run-once', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const rotated = user.refreshToken;
    expect(rotated).not.toBe(pasted);
    // The secret now holds the document with the rotated token; Secrets Manager kept the pasted one.
    expect(currentDoc().accounts.alice!.refresh_token).toBe(rotated);
    expect(currentDoc().accounts.alice!.access_token).toBeNull();
    expect(secrets.version(SECRET, 'AWSPREVIOUS')!.secretString).toBe(pasted);
    // No token went to disk, and none to the output.
    expect(existsSync(path.join(first.cwd, '.pipeline', 'accounts'))).toBe(false);
    expectNoToken(first, pasted, rotated);

    spotify.addPlays('alice', makePlays(3, new Date('2026-11-02T10:00:00.000Z')));
    const second = await freshRun(['run-once', '--json']);
    expect(second.code, second.stderr).toBe(0);
    // It refreshed with the token the first run stored (the pasted one is dead), and stored the next one.
    const refreshes = spotify.requests.filter((r) => r.grantType === 'refresh_token' && r.status === 200);
    expect(refreshes).toHaveLength(2);
    expect(currentDoc().accounts.alice!.refresh_token).toBe(user.refreshToken);
    expect(
      JSON.parse(secrets.version(SECRET, 'AWSPREVIOUS')!.secretString!).accounts.alice.refresh_token,
    ).toBe(rotated);
    expectNoToken(second, rotated, user.refreshToken);
    // Every write was a compare-and-swap: a pending version, then AWSCURRENT moved to it.
    expect(secrets.callsOf('PutSecretValue')).toHaveLength(2);
    expect(secrets.callsOf('UpdateSecretVersionStage').map((c) => c.status)).toEqual([200, 200]);
  });

  it('SPOTIFY_REFRESH_TOKEN seeds an empty secret once; later runs do not re-seed the dead token', async () => {
    secrets.create(SECRET);
    const seed = user.refreshToken;
    const first = await freshRun(['run-once', '--json'], { SPOTIFY_REFRESH_TOKEN: seed });
    expect(first.code, first.stderr).toBe(0);
    expect(currentDoc().accounts.alice!.refresh_token).toBe(user.refreshToken);
    const second = await freshRun(['run-once', '--json'], { SPOTIFY_REFRESH_TOKEN: seed });
    expect(second.code, second.stderr).toBe(0);
    expect(spotify.requests.filter((r) => r.grantType === 'refresh_token' && r.status !== 200)).toHaveLength(
      0,
    );
  });

  it('auth status and auth logout work on the secret', async () => {
    secrets.create(SECRET, user.refreshToken);
    expect((await freshRun(['run-once'])).code).toBe(0);

    const status = await freshRun(['auth', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const rows = JSON.parse(status.stdout).accounts as { user_id: string; state: string }[];
    expect(rows).toMatchObject([{ user_id: 'alice', state: 'ok' }]);
    expectNoToken(status, user.refreshToken);

    const logout = await freshRun(['auth', 'logout']);
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stdout).toContain('Forgot the Spotify tokens of alice');
    expect(currentDoc().accounts).toEqual({});
    expect(JSON.parse(secrets.version(SECRET, 'AWSPREVIOUS')!.secretString!).accounts.alice).toBeDefined();

    const after = await freshRun(['auth', 'status']);
    expect(after.code).toBe(3);
  });

  it('auth login writes the secret (created empty), and nothing to STATE_DIR', async () => {
    secrets.create(SECRET);
    const fx = await authFixture();
    try {
      const extra = { SPOTIFY_TOKEN_SECRET_ID: SECRET, ...secretsManagerEnv(secrets.endpoint) };
      const { result } = await fx.browserLogin(extra);
      expect(result.code, result.stderr).toBe(0);
      const alice = fx.spotify.users.get('alice')!;
      expect(currentDoc().accounts.alice).toMatchObject({
        user_id: 'alice',
        refresh_token: alice.refreshToken,
      });
      expect(existsSync(path.join(fx.stateDir, 'accounts'))).toBe(false);
      expectNoToken(result, alice.refreshToken);
      const status = await fx.run(['auth', 'status', '--json'], extra);
      expect(JSON.parse(status.stdout).accounts).toMatchObject([
        { user_id: 'alice', authorized_at_known: true },
      ]);
    } finally {
      await fx.close();
    }
  });

  it('a missing secret, or a role without access: exit 2 with the fix, and no token in the output', async () => {
    const missing = await freshRun(['run-once']);
    expect(missing.code).toBe(2);
    // run-once reports it in its summary on stdout. Under the printed policy (scoped to the secret's ARN)
    // a missing secret is denied rather than not found: the message says both.
    expect(missing.stdout).toContain(`"${SECRET}" (SPOTIFY_TOKEN_SECRET_ID) was denied`);
    expect(missing.stdout).toMatch(
      /also denied when the secret does not exist.*aws secretsmanager create-secret/,
    );

    secrets.create(SECRET, user.refreshToken);
    secrets.deny(SECRET, 'GetSecretValue');
    const denied = await freshRun(['auth', 'status']);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain(
      'secretsmanager:GetSecretValue, secretsmanager:DescribeSecret, secretsmanager:PutSecretValue and secretsmanager:UpdateSecretVersionStage',
    );
    expectNoToken(denied, user.refreshToken);
  });

  it('refuses an invalid SPOTIFY_TOKEN_SECRET_ID before any work', async () => {
    const bad = await freshRun(['run-once'], { SPOTIFY_TOKEN_SECRET_ID: 'has spaces in it' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('SPOTIFY_TOKEN_SECRET_ID');
    expect(bad.stderr).toContain('must be a Secrets Manager secret name');
    expect(secrets.calls).toHaveLength(0);
  });
});
