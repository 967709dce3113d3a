import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AuthRequiredError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { AccountSession } from '../../src/spotify/account-session.js';
import { SpotifyHttp } from '../../src/spotify/http-client.js';
import {
  readAccount,
  removeAccount,
  saveAccount,
  type StoredAccount,
} from '../../src/spotify/token-store.js';
import { FakeSpotify } from '../fakes/spotify-server.js';
import { tempDir } from '../helpers/cli.js';

let spotify: FakeSpotify;
afterEach(async () => spotify?.close());

async function setup() {
  spotify = await FakeSpotify.start();
  const user = spotify.addUser('alice');
  const cwd = await tempDir('spp-session-');
  const config = loadConfig({
    cwd,
    env: {
      SPOTIFY_CLIENT_ID: spotify.clientId,
      SPOTIFY_CLIENT_SECRET: spotify.clientSecret!,
      SPOTIFY_API_BASE_URL: spotify.apiBaseUrl,
      SPOTIFY_ACCOUNTS_BASE_URL: spotify.accountsBaseUrl,
    },
  });
  const log = createLogger('silent');
  const account = (refresh: string): StoredAccount => ({
    v: 1,
    user_id: 'alice',
    display_name: null,
    refresh_token: refresh,
    access_token: null,
    access_token_expires_at: null,
    scopes: [],
    authorized_at: new Date().toISOString(),
    authorized_at_known: true,
    client_id: spotify.clientId,
    seed_sha256: null,
    updated_at: new Date().toISOString(),
  });
  const session = (a: StoredAccount) =>
    new AccountSession(a, {
      stateDir: config.stateDir,
      http: new SpotifyHttp(config.spotify, log),
      settings: config.spotify,
      log,
    });
  return { user, config, account, session };
}

describe('AccountSession and concurrent auth commands', () => {
  it('adopts the tokens of a newer `auth login` written while it ran, instead of overwriting them', async () => {
    const { user, config, account, session } = await setup();
    const old = account('refresh-old-and-dead');
    await saveAccount(config.stateDir, old);
    const running = session(old);
    // A newer login wrote a working refresh token to the file.
    await saveAccount(config.stateDir, { ...old, refresh_token: user.refreshToken, display_name: 'New' });
    await expect(running.accessToken()).resolves.toMatch(/^access-/);
    const stored = await readAccount(config.stateDir, 'alice');
    expect(stored!.refresh_token).toBe(user.refreshToken);
    expect(stored!.display_name).toBe('New');
  });

  it('does not bring back an account that `auth logout` removed while it ran', async () => {
    const { user, config, account, session } = await setup();
    const a = account(user.refreshToken);
    await saveAccount(config.stateDir, a);
    const running = session(a);
    await removeAccount(config.stateDir, 'alice');
    await expect(running.refreshNow()).rejects.toBeInstanceOf(AuthRequiredError);
    expect(await readAccount(config.stateDir, 'alice')).toBeUndefined();
  });
});
