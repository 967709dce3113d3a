import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makePlays } from '../fakes/spotify-server.js';
import { authFixture, jsonOf } from './fixture.js';

let fx: Awaited<ReturnType<typeof authFixture>>;
afterEach(async () => fx?.close());

interface Summary {
  exit_code: number;
  plays_new: number;
  errors: string[];
  accounts: { user_id: string; outcome: string; plays_new: number; error?: string }[];
}

async function loginAs(userId: string) {
  fx.spotify.loginUser = userId;
  const { result } = await fx.browserLogin();
  expect(result.code, result.stderr).toBe(0);
  return result;
}

const accountFile = (id: string) => path.join(fx.stateDir, 'accounts', `${id}.json`);

async function editAccount(id: string, change: (a: Record<string, unknown>) => void) {
  const a = JSON.parse(await fs.readFile(accountFile(id), 'utf8'));
  change(a);
  await fs.writeFile(accountFile(id), JSON.stringify(a));
}

describe('several accounts', () => {
  it('a second login adds a second account; one run collects both, each play tagged with its user_id', async () => {
    fx = await authFixture({ users: ['alice', 'bob'] });
    const first = await loginAs('alice');
    expect(first.stdout).toContain('1 account connected');
    const second = await loginAs('bob');
    expect(second.stdout).toContain('Connected Spotify account bob');
    expect(second.stdout).toContain('2 accounts connected');

    fx.spotify.addPlays('alice', makePlays(7, new Date('2024-06-01T12:00:00.000Z'), { firstTrack: 1 }));
    fx.spotify.addPlays('bob', makePlays(4, new Date('2024-06-01T12:00:00.000Z'), { firstTrack: 500 }));
    const run = await fx.run(['run-once', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = jsonOf<Summary>(run);
    expect(summary.accounts.map((a) => [a.user_id, a.outcome, a.plays_new])).toEqual([
      ['alice', 'ok', 7],
      ['bob', 'ok', 4],
    ]);
    const records = (await fx.lake()).flatMap((f) => f.records);
    expect(records).toHaveLength(11);
    const byUser = (id: string) =>
      records
        .filter((r) => r.user_id === id)
        .map((r) => r.track_id)
        .sort();
    expect(byUser('alice')).toEqual(
      fx.spotify.users
        .get('alice')!
        .plays.map((p) => p.track!.id)
        .sort(),
    );
    expect(byUser('bob')).toEqual(
      fx.spotify.users
        .get('bob')!
        .plays.map((p) => p.track!.id)
        .sort(),
    );

    // --account limits the run to one account.
    fx.spotify.addPlays('alice', makePlays(2, new Date('2024-06-02T12:00:00.000Z'), { firstTrack: 50 }));
    fx.spotify.addPlays('bob', makePlays(2, new Date('2024-06-02T12:00:00.000Z'), { firstTrack: 550 }));
    const onlyBob = jsonOf<Summary>(await fx.run(['run-once', '--json', '--account', 'bob']));
    expect(onlyBob.accounts.map((a) => [a.user_id, a.plays_new])).toEqual([['bob', 2]]);
  });

  it('notes the Development Mode limit of 5 users when a sixth account is connected', async () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    fx = await authFixture({ users });
    for (const id of users.slice(0, 5)) {
      expect((await loginAs(id)).stdout).not.toContain('Development Mode allows');
    }
    const sixth = await loginAs('u6');
    expect(sixth.stdout).toContain('6 accounts connected');
    expect(sixth.stdout).toContain('a Spotify app in Development Mode allows 5 users');
  });

  it('logging the same user in again replaces its tokens instead of adding an account', async () => {
    fx = await authFixture();
    await loginAs('alice');
    const before = JSON.parse(await fs.readFile(accountFile('alice'), 'utf8'));
    const again = await loginAs('alice');
    expect(again.stdout).toContain('Renewed Spotify account alice');
    expect(again.stdout).toContain('1 account connected');
    const after = JSON.parse(await fs.readFile(accountFile('alice'), 'utf8'));
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect((await fs.readdir(path.join(fx.stateDir, 'accounts'))).filter((n) => n.endsWith('.json'))).toEqual(
      ['alice.json'],
    );
  });

  it('one account with a revoked refresh token does not stop the other; the summary names it and exit is 3', async () => {
    fx = await authFixture({ users: ['alice', 'bob'] });
    await loginAs('alice');
    await loginAs('bob');
    fx.spotify.addPlays('alice', makePlays(5, new Date('2024-06-01T12:00:00.000Z'), { firstTrack: 1 }));
    fx.spotify.addPlays('bob', makePlays(5, new Date('2024-06-01T12:00:00.000Z'), { firstTrack: 500 }));
    fx.spotify.revokeRefreshToken('alice');
    fx.spotify.expireAccessTokens();
    // bob's access token is expired too, but his refresh token still works.
    const run = await fx.run(['run-once', '--json']);
    expect(run.code).toBe(3);
    const summary = jsonOf<Summary>(run);
    expect(summary.exit_code).toBe(3);
    expect(summary.accounts.map((a) => [a.user_id, a.outcome, a.plays_new])).toEqual([
      ['alice', 'auth_required', 0],
      ['bob', 'ok', 5],
    ]);
    expect(summary.errors.join('\n')).toMatch(/alice: .*invalid_grant.*auth login/);
    const records = (await fx.lake()).flatMap((f) => f.records);
    expect(records.map((r) => r.user_id)).toEqual(Array(5).fill('bob'));

    // The human summary names the account and the fix too.
    const text = await fx.run(['run-once']);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/✗ alice: .*auth login/);
    expect(text.stdout).toMatch(/✓ bob: /);

    // `--account bob` alone is not held back by alice.
    const onlyBob = await fx.run(['run-once', '--json', '--account', 'bob']);
    expect(onlyBob.code, onlyBob.stderr).toBe(0);

    // `auth status` says what the runs found, instead of "ok": alice's login is gone.
    type Status = { accounts: { user_id: string; state: string; warning: string | null }[] };
    const status = await fx.run(['auth', 'status', '--json']);
    expect(status.code).toBe(3);
    const rows = jsonOf<Status>(status).accounts;
    expect(rows.map((r) => [r.user_id, r.state])).toEqual([
      ['alice', 'refused'],
      ['bob', 'ok'],
    ]);
    expect(rows[0]!.warning).toMatch(/refused the refresh token on .*invalid_grant.*auth login/);
    const statusText = await fx.run(['auth', 'status']);
    expect(statusText.stdout).toMatch(
      /^alice.*: login refused by Spotify\n[^]*\n {2}access token +none\n[^]*WARNING: Spotify refused/,
    );
    // A new login clears it.
    await loginAs('alice');
    const renewed = await fx.run(['auth', 'status', '--json']);
    expect(renewed.code, renewed.stdout).toBe(0);
    expect(jsonOf<Status>(renewed).accounts.map((r) => r.state)).toEqual(['ok', 'ok']);
  });

  it('a dead SPOTIFY_REFRESH_TOKEN does not stop the stored accounts: reported, exit 3', async () => {
    fx = await authFixture({ users: ['alice', 'carol'] });
    await loginAs('alice');
    fx.spotify.addPlays('alice', makePlays(3, new Date('2024-06-01T12:00:00.000Z')));
    const run = await fx.run(['run-once', '--json'], { SPOTIFY_REFRESH_TOKEN: 'revoked-long-ago' });
    expect(run.code).toBe(3);
    const summary = jsonOf<Summary>(run);
    expect(summary.accounts.map((a) => [a.user_id, a.outcome, a.plays_new])).toEqual([['alice', 'ok', 3]]);
    expect(summary.errors[0]).toContain('SPOTIFY_REFRESH_TOKEN could not be used');
    expect(summary.errors[0]).toContain('invalid_grant');
    expect(run.stdout + run.stderr).not.toContain('revoked-long-ago');

    // `test` shows it as a failed check next to the working account.
    const test = await fx.run(['test', '--json'], { SPOTIFY_REFRESH_TOKEN: 'revoked-long-ago' });
    const checks = jsonOf<{ checks: { name: string; ok: boolean }[] }>(test).checks;
    expect(checks.filter((c) => c.name.startsWith('Spotify')).map((c) => [c.name, c.ok])).toEqual([
      ['Spotify SPOTIFY_REFRESH_TOKEN', false],
      ['Spotify account alice', true],
    ]);
    expect(test.code).toBe(1);

    // With no stored account the dead seed is still fatal, with exit 3.
    await fs.rm(accountFile('alice'));
    const alone = await fx.run(['run-once', '--json'], { SPOTIFY_REFRESH_TOKEN: 'revoked-long-ago' });
    expect(alone.code).toBe(3);
  });
});

describe('auth status', () => {
  it('a block per account: state, scopes, token validity, refresh token age and expiry, last collection, where the tokens are kept; --json too', async () => {
    fx = await authFixture({ users: ['alice', 'bob'] });
    await loginAs('alice');
    await loginAs('bob');
    fx.spotify.addPlays('alice', makePlays(2, new Date('2024-06-01T12:00:00.000Z')));
    expect((await fx.run(['run-once', '--json', '--account', 'alice'])).code).toBe(0);

    // bob's refresh token dies in 10.5 days: inside the 14-day warning window.
    const authorized = new Date(Date.now() + 10.5 * 86_400_000);
    authorized.setUTCMonth(authorized.getUTCMonth() - 6);
    await editAccount('bob', (a) => (a.authorized_at = authorized.toISOString()));

    const text = await fx.run(['auth', 'status']);
    expect(text.code, text.stderr).toBe(0);
    // A block per account: the account and its state, then one labelled fact a line, and where the tokens
    // are kept (never a token).
    const [alice, bob] = text.stdout.trim().split('\n\n');
    expect(alice).toMatch(
      /^alice \(Listener alice\): ok, can collect\n {2}scopes {11}user-read-recently-played user-read-currently-playing\n {2}access token {5}valid until \S+Z\n {2}refresh token {4}0 days old, expires \d{4}-\d{2}-\d{2}\n {2}last collection {2}\d{4}-\d{2}-\d{2}T\S+\n {2}tokens kept in {3}\S+accounts$/,
    );
    expect(bob).toMatch(/^bob \(Listener bob\): ok for now, the login expires soon\n/);
    expect(bob).toMatch(/\n {2}refresh token {4}1[78\d]\d days old.*\n {2}last collection {2}never\n/);
    expect(bob).toMatch(
      /\n {2}WARNING: the refresh token expires in 10 days: run `spotify-pipeline auth login`/,
    );
    expect(text.stdout).not.toMatch(/refresh-|access-/);

    const json = jsonOf<{ accounts: Record<string, unknown>[] }>(await fx.run(['auth', 'status', '--json']));
    expect(json.accounts.map((a) => [a.user_id, a.state, a.access_token_valid])).toEqual([
      ['alice', 'ok', true],
      ['bob', 'expiring', true],
    ]);
    expect(json.accounts[0]!.last_success_at).toEqual(expect.any(String));
    expect(json).toMatchObject({ token_store: expect.stringMatching(/accounts$/) });
    expect(JSON.stringify(json)).not.toMatch(/refresh-|access-/);

    const only = jsonOf<{ accounts: unknown[] }>(
      await fx.run(['auth', 'status', '--json', '--account', 'bob']),
    );
    expect(only.accounts).toHaveLength(1);

    // An expired refresh token: status says so and exits 3.
    authorized.setUTCMonth(authorized.getUTCMonth() - 1);
    await editAccount('bob', (a) => (a.authorized_at = authorized.toISOString()));
    const expired = await fx.run(['auth', 'status']);
    expect(expired.code).toBe(3);
    expect(expired.stdout).toMatch(/WARNING: the refresh token expired on/);
  });

  it('with no account connected it says how to connect one and exits 3', async () => {
    fx = await authFixture();
    const result = await fx.run(['auth', 'status']);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('No Spotify account is connected');
    // Where it looked: run from another folder, these are what differ.
    expect(result.stdout).toContain(`Looked for accounts in ${path.join(fx.stateDir, 'accounts')}`);
    expect(result.stdout).toMatch(/for settings in the environment and \S+\.env( \(not found\))?\./);
  });
});

describe('auth logout', () => {
  it('forgets one account and says that its lake data stays', async () => {
    fx = await authFixture({ users: ['alice', 'bob'] });
    await loginAs('alice');
    await loginAs('bob');
    fx.spotify.addPlays('alice', makePlays(2, new Date('2024-06-01T12:00:00.000Z')));
    expect((await fx.run(['run-once'])).code).toBe(0);

    const ambiguous = await fx.run(['auth', 'logout']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('Several accounts are connected (alice, bob)');

    const out = await fx.run(['auth', 'logout', 'alice']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('Forgot the Spotify tokens of alice');
    expect(out.stdout).toContain('stay');
    await expect(fs.stat(accountFile('alice'))).rejects.toThrow();
    expect((await fx.lake()).flatMap((f) => f.records)).toHaveLength(2);

    const status = jsonOf<{ accounts: { user_id: string }[] }>(await fx.run(['auth', 'status', '--json']));
    expect(status.accounts.map((a) => a.user_id)).toEqual(['bob']);

    const unknown = await fx.run(['auth', 'logout', 'zed']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No account zed is connected (connected: bob)');
  });
});
