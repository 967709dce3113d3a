import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerTokenStore } from '../../src/spotify/secrets-manager-token-store.js';
import {
  FileTokenStore,
  StateTokenStore,
  type StoredAccount,
  type TokenStore,
} from '../../src/spotify/token-store.js';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { FakeSecretsManager } from '../fakes/secrets-manager.js';
import { tempDir } from '../helpers/cli.js';

/**
 * What every TokenStore must do (src/spotify/token-store.ts), one test body run against each implementation:
 * files in STATE_DIR, the state store, and a Secrets Manager secret (the loopback double, through the SDK).
 */
let fake: FakeSecretsManager;
let client: SecretsManagerClient;
beforeAll(async () => {
  fake = new FakeSecretsManager();
  await fake.start();
  fake.allowAll();
  client = new SecretsManagerClient({
    endpoint: fake.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    maxAttempts: 3,
  });
});
afterAll(async () => {
  client?.destroy();
  await fake?.close();
});
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const dir = () => tempDir('tokens-');
let n = 0;
const IMPLEMENTATIONS: [string, () => Promise<TokenStore>][] = [
  ['FileTokenStore', async () => new FileTokenStore(await dir())],
  ['StateTokenStore', async () => new StateTokenStore(new LocalStateStore(await dir()))],
  [
    'SecretsManagerTokenStore',
    async () => {
      // The user creates the secret (empty) before the first login; the store never creates it.
      const secretId = `contract/tokens-${++n}`;
      fake.create(secretId);
      return new SecretsManagerTokenStore({ secretId, region: 'us-east-1' }, client);
    },
  ],
];

function account(id: string, refresh: string): StoredAccount {
  return {
    v: 1,
    user_id: id,
    display_name: `${id} name`,
    refresh_token: refresh,
    access_token: null,
    access_token_expires_at: null,
    scopes: ['user-read-recently-played'],
    authorized_at: '2026-10-01T00:00:00.000Z',
    authorized_at_known: true,
    client_id: 'client',
    seed_sha256: null,
    updated_at: '2026-10-01T00:00:00.000Z',
  };
}

describe.each(IMPLEMENTATIONS)('TokenStore contract: %s', (_, open) => {
  it('holds no account at first', async () => {
    const store = await open();
    expect(await store.list()).toEqual([]);
    expect(await store.read('alice')).toBeUndefined();
  });

  it('saves accounts, reads each back, lists them sorted by user id, and replaces one on save', async () => {
    const store = await open();
    await store.save(account('bob', 'refresh-b'));
    await store.save(account('alice', 'refresh-a'));
    expect((await store.list()).map((a) => a.user_id)).toEqual(['alice', 'bob']);
    expect(await store.read('alice')).toMatchObject({ user_id: 'alice', refresh_token: 'refresh-a' });
    await store.save(account('alice', 'refresh-a2'));
    expect(await store.read('alice')).toMatchObject({ refresh_token: 'refresh-a2' });
    expect((await store.list()).map((a) => a.user_id)).toEqual(['alice', 'bob']);
  });

  it('removes an account, saying whether there was one', async () => {
    const store = await open();
    await store.save(account('alice', 'refresh-a'));
    expect(await store.remove('alice')).toBe(true);
    expect(await store.remove('alice')).toBe(false);
    expect(await store.read('alice')).toBeUndefined();
  });
});
