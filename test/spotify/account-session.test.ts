import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AuthRequiredError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { AccountSession } from '../../src/spotify/account-session.js';
import { SpotifyHttp } from '../../src/spotify/http-client.js';
import { SecretsManagerTokenStore } from '../../src/spotify/secrets-manager-token-store.js';
import { FileTokenStore, type StoredAccount, type TokenStore } from '../../src/spotify/token-store.js';
import { FakeSecretsManager } from '../fakes/secrets-manager.js';
import { FakeSpotify } from '../fakes/spotify-server.js';
import { tempDir } from '../helpers/cli.js';

let spotify: FakeSpotify;
let secrets: FakeSecretsManager | undefined;
afterEach(async () => {
  await spotify?.close();
  await secrets?.close();
  secrets = undefined;
});

/** The same behaviour is owed by every token store: files in STATE_DIR, and a Secrets Manager secret. */
async function openStore(kind: 'file' | 'secret', stateDir: string): Promise<TokenStore> {
  if (kind === 'file') return new FileTokenStore(stateDir);
  secrets = new FakeSecretsManager();
  await secrets.start();
  secrets.create('tokens');
  return new SecretsManagerTokenStore(
    { secretId: 'tokens' },
    new SecretsManagerClient({
      endpoint: secrets.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    }),
  );
}

async function setup(kind: 'file' | 'secret') {
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
  const store = await openStore(kind, config.stateDir);
  const session = (a: StoredAccount) =>
    new AccountSession(a, {
      store,
      http: new SpotifyHttp(config.spotify, log),
      settings: config.spotify,
      log,
    });
  return { user, store, account, session };
}

describe.each(['file', 'secret'] as const)(
  'AccountSession and concurrent auth commands (%s store)',
  (kind) => {
    it('adopts the tokens of a newer `auth login` written while it ran, instead of overwriting them', async () => {
      const { user, store, account, session } = await setup(kind);
      const old = account('refresh-old-and-dead');
      await store.save(old);
      const running = session(old);
      // A newer login wrote a working refresh token to the store.
      await store.save({ ...old, refresh_token: user.refreshToken, display_name: 'New' });
      await expect(running.accessToken()).resolves.toMatch(/^access-/);
      const stored = await store.read('alice');
      expect(stored!.refresh_token).toBe(user.refreshToken);
      expect(stored!.display_name).toBe('New');
    });

    it('does not bring back an account that `auth logout` removed while it ran', async () => {
      const { user, store, account, session } = await setup(kind);
      const a = account(user.refreshToken);
      await store.save(a);
      const running = session(a);
      await store.remove('alice');
      await expect(running.refreshNow()).rejects.toBeInstanceOf(AuthRequiredError);
      expect(await store.read('alice')).toBeUndefined();
    });
  },
);
